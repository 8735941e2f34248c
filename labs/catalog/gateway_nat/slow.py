"""The gateway-nat lab on a slow, lossy or narrow network: what the
conditions on the gateway did to this call, read from both sides of the
gateway, tshark's TCP analysis (`tcp.analysis.*`) of the same packets and
the slow link's own log of what it dropped."""

from __future__ import annotations

from typing import Any

from labs.kit import conditions_lines
from labs.kit.netlab import conditions
from labs.model.numbers import number
from labs.model.trace import Packet, Section, Step, Trace

#: tshark's names for data sent again, most specific first.
RESENT = (
    "tcp.analysis.fast_retransmission",
    "tcp.analysis.spurious_retransmission",
    "tcp.analysis.retransmission",
)


def resent(packets: tuple[Packet, ...]) -> list[tuple[int, str]]:
    """Every packet tshark flags as sent again, with its most specific flag."""
    out = []
    for p in packets:
        flag = next((f for f in RESENT if p.field(f) is not None), None)
        if flag is not None:
            out.append((p.index, flag))
    return out


def _side(p: Packet) -> str:
    return "LAN side" if p.interface.lower().startswith("lan") else "Internet side"


def unpaired(packets: tuple[Packet, ...], paired: set[int]) -> list[int]:
    """TCP packets seen on one side of the gateway only: what the slow link
    dropped (the laptop's on the LAN side, the server's on the Internet side)."""
    return [p.index for p in packets if p.layer("TCP") is not None and p.index not in paired]


def _held(trace: Trace, pairs: list[Any]) -> str:
    """How long the first packet each way spent inside the gateway."""
    out = []
    for outbound in (True, False):
        pair = next((p for p in pairs if p.outbound == outbound), None)
        if pair is not None:
            took = (trace.packets[pair.after].time - trace.packets[pair.before].time) * 1000
            way = "going out" if outbound else "coming back"
            out.append(
                f"{took:.1f} ms {way} (packets {number(pair.before)} and {number(pair.after)})"
            )
    return " and ".join(out)


def loss_step(trace: Trace, pairs: list[Any], made: conditions.Made | None) -> Step | None:
    """The frames the slow link dropped and what TCP sent again, as one step."""
    if made is None or not made.asked.loss_pct:
        return None
    paired = {i for p in pairs for i in (p.before, p.after)}
    lost, again = unpaired(trace.packets, paired), resent(trace.packets)
    if not lost and not again:
        return None
    members = tuple(sorted(set(lost) | {i for i, _f in again}))
    text = (f"The gateway's slow link dropped {len(made.drops)} frame(s). "
            + "".join(f"Packet {number(i)} ({trace.packets[i].summary}) reached the {_side(trace.packets[i])} "
                      "and never came out of the other side. " for i in lost[:4])
            + "".join(f"tshark flags packet {number(i)} {flag}: {trace.packets[i].summary}, sent again "
                      f"on the {_side(trace.packets[i])} because no acknowledgment came in time. "
                      for i, flag in again[:4]))  # fmt: skip
    return Step("lost", members, text.strip(), title="Lost on the slow link, and sent again")


def sections(trace: Trace, pairs: list[Any], made: conditions.Made | None) -> list[Section]:
    """The conditions, how they were made, and what they did to this call."""
    if made is None:
        return []
    asked, said = made.asked, []
    if asked.delay_ms or asked.jitter_ms:
        said.append(
            f"The gateway holds every frame between your laptop's cable and itself for half the "
            f"{asked.delay_ms:g} ms each way: the first packet spent {_held(trace, pairs)} inside "
            "the gateway (LAN side in, Internet side out, or back). The translation itself takes "
            "microseconds; the wait is the slow link. Every round trip of the call pays it once: "
            "the handshake, the request and its answer."
        )  # fmt: skip
    if asked.loss_pct:
        again = resent(trace.packets)
        rows = ", ".join(
            f"packet {number(i)} ({flag}, {_side(trace.packets[i])})" for i, flag in again[:6]
        )
        said.append(
            f"It dropped {len(made.drops)} frame(s) at {asked.loss_pct:g}% loss each way. "
            + (f"TCP noticed and sent the data again: tshark flags {rows}. A lost SYN or a "
               "segment with nothing after it is resent when its timer runs out (1 s for a "
               "SYN, RFC 6298), so one loss costs far more than one round trip."
               if again else "None of them was a segment TCP had to send again this time.")
        )  # fmt: skip
    if asked.rate_kbit:
        biggest = max((len(p.data) for p in trace.wire_packets()), default=0)
        said.append(f"The rate limit ({asked.rate_kbit} kbit/s) barely shows: this call moves a "
                    f"few hundred bytes (the biggest packet was {biggest} bytes).")  # fmt: skip
    if asked.mtu:
        biggest = max((p.number("ip.len") or 0 for p in trace.packets), default=0)
        said.append(f"The gateway's Internet side carries at most {asked.mtu} bytes a packet; "
                    f"the biggest here was {biggest} bytes, so nothing had to be split or "
                    "refused.")  # fmt: skip
    return [
        Section("The conditions and how they were made", _commands_text(made), "code"),
        Section("What the conditions did", " ".join(said) or "Nothing this call could show."),
    ]


def _commands_text(made: conditions.Made) -> str:
    """The conditions as asked and made, then every command as run."""
    return "\n".join(conditions_lines(made.asked.describe(), made.mechanism, made.commands))
