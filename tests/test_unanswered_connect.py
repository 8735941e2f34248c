"""A connect nobody answers (curl behind what drops its SYNs: the SYN and
the kernel's resends, nothing back) reads as that: "is it the firewall?"
starts here. It was stepped "4 packets open a TCP connection", its resends
were "data sent again", and it had no bar in the timing waterfall."""

from __future__ import annotations

import io
import json
from pathlib import Path

from labs.files.explain import explain_file, write_explain_json
from tutor.waterfall_text import block, rows

CAPTURE = Path(__file__).parent / "data" / "programs" / "no-answer.pcapng"


def _went_wrong(sections: list[dict[str, str]]) -> str:
    return next(s["body"] for s in sections if s["title"] == "What went wrong")


def test_the_step_says_what_its_packets_show() -> None:
    (step,) = explain_file(CAPTURE).steps
    assert step.packets == (0, 1, 2, 3)
    assert step.explain == (
        "192.0.2.2:44332 asks 192.0.2.9:443 to open a TCP connection (SYN), and asks again 3 "
        "times: no answer (SYN-ACK, or a reset) had come back before its timer ran out."
    )


def test_what_went_wrong_says_it_was_never_answered() -> None:
    trace = explain_file(CAPTURE)
    rows_ = [s for s in trace.sections if s.title == "What went wrong"][0].body.splitlines()
    assert rows_[1].startswith("1 connection never answered\t#1\ta SYN, sent again at least once")
    assert rows_[2].startswith("3 SYNs sent again\t#2, #3, #4\ta connection's first packet")
    assert not any(r.startswith("3 retransmissions") for r in rows_)


def test_the_waterfall_draws_the_wait() -> None:
    trace = explain_file(CAPTURE)
    (phase,) = trace.waterfall
    assert (phase.name, phase.packets, phase.start) == ("no-reply", (0, 1, 2, 3), 0.0)
    assert phase.end == round(trace.packets[3].time - trace.packets[0].time, 6)
    assert phase.label == "connection to 192.0.2.9"
    drawn = rows(trace)
    assert drawn[0] == "1. connection to 192.0.2.9"
    assert drawn[1].startswith("   no-reply |") and drawn[1].endswith("3056 ms")
    legend = "  no-reply: the first SYN to its last resend"
    assert any(line.startswith(legend) for line in block(trace))


def test_streamed_json_says_the_same() -> None:
    out = io.StringIO()
    write_explain_json(CAPTURE, out)
    streamed = json.loads(out.getvalue())
    assert streamed["waterfall"][0]["name"] == "no-reply"
    assert "1 connection never answered" in _went_wrong(streamed["sections"])


DATA = Path(__file__).parent / "data"


def test_a_refused_connect_is_timed_as_a_probe_and_its_answer() -> None:
    """A SYN answered with a reset drew no bar ("Connection refused, but the
    server is up": the drill's connect probe showed only its DNS lookup)."""
    (phase,) = explain_file(DATA / "pcaps" / "refused.pcap").waterfall
    assert (phase.name, phase.packets) == ("answer", (0, 1))
    # A reset closing an answered connection answers no probe.
    assert all(ph.name != "answer" for ph in explain_file(DATA / "pcaps" / "tls.pcap").waterfall)


def test_a_scans_bar_counts_its_refused_probes() -> None:
    """The scan's step took 1.1 ms while its bar said "2 handshakes, 55 µs":
    the 98 refused probes were left out."""
    trace = explain_file(DATA / "programs" / "scan.pcapng")
    drawn = rows(trace)
    assert drawn[0] == "1. Scan the ports (port scan): 98 answered probes, 2 handshakes, in one bar"
    assert drawn[1].endswith("1.1 ms")
