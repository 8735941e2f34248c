"""The hello-udp lab's words: what the two datagrams show."""

from __future__ import annotations

from typing import TYPE_CHECKING

from labs.kit import Fact, Recording, Section, Trace, make_trace

if TYPE_CHECKING:
    from .run import Result


def explain(rec: Recording[Result]) -> Trace:
    sent, answer = rec.result.sent, rec.result.answer
    return make_trace(
        rec,
        sections=(
            Section(
                "No handshake",
                f"The first packet already carries your {len(sent)} bytes: UDP sends "
                "without asking first, and the answer is another single datagram.",
            ),
            Section("What the server said", answer.decode("utf-8", "replace"), kind="code"),
        ),
        facts=(
            Fact(
                "packets",
                str(len(rec.raws)),
                "One datagram each way, nothing else.",
                tuple(range(len(rec.raws))),
                "udp",
            ),
        ),
    )
