"""The traceroute lab on a slow, lossy or narrow network: what the conditions
on router 1's link did to each probe, read from the probes, their answers and
the slow link's own log of what it dropped."""

from __future__ import annotations

from typing import Any

from scapy.layers.inet import IP
from scapy.layers.l2 import Ether

from labs.core.base import RawPacket
from labs.kit.netlab import TRACEROUTE, conditions, probe_key
from labs.model.trace import Section

#: Router 1's address on host A's side: the hop that is the slow router itself.
ROUTER1 = TRACEROUTE.node("r1").interfaces[0].ip


def added_ms(made: conditions.Made, responder: str) -> float:
    """The round-trip time the slow link adds to one hop's answer. The
    forwarder sits between host A's cable and router 1, so both ways of
    every hop cross it; netem delays only what leaves an interface, so
    router 1's own answer is delayed on its way back only."""
    delay = made.asked.delay_ms
    return delay / 2 if made.netem and responder == ROUTER1 else delay


def _dropped(made: conditions.Made) -> dict[Any, str]:
    """Which probes (by the key that ties a probe to its answer) lost what:
    "probe" or "answer"."""
    out: dict[Any, str] = {}
    for drop in made.drops:
        frame = Ether(bytes.fromhex(drop.head))
        if frame.haslayer(IP):
            way = "probe" if drop.direction == "toward the server" else "answer"
            out.setdefault(probe_key(frame), way)
    return out


def lost_text(made: conditions.Made | None, probe: RawPacket) -> str:
    """Why a probe got no answer, when the slow link's log says so ("" otherwise)."""
    if made is None or not made.drops:
        return ""
    what = _dropped(made).get(probe_key(Ether(probe.data)))
    if what == "probe":
        return (f" This time the cause is known: router 1's slow link dropped this probe "
                f"({made.asked.loss_pct:g}% loss each way), so no router ever saw it.")  # fmt: skip
    if what == "answer":
        return (" This time the cause is known: the probe got through and was answered, but "
                f"router 1's slow link dropped the answer on its way back ({made.asked.loss_pct:g}% "
                "loss each way).")  # fmt: skip
    return ""


def rtt_text(made: conditions.Made | None, responder: str, rtt_ms: float) -> str:
    """How much of a hop's round-trip time the slow link added."""
    if made is None or not made.asked.delay_ms:
        return ""
    added = added_ms(made, responder)
    return (f" About {added:g} ms of that is router 1's added delay; the path itself took "
            f"{rtt_ms - added:.2f} ms.")  # fmt: skip


def sections(
    made: conditions.Made | None, hops: list[Any], raws: tuple[RawPacket, ...]
) -> list[Section]:
    """The conditions and how they were made, and what they did to each hop."""
    if made is None:
        return []
    asked = made.asked
    rows = ["hop\tanswered by\tRTT measured\tadded by router 1\tthe path itself"]
    for hop in hops:
        if hop.answer is None:
            rows.append(f"{hop.ttl}\t*\t-\t-\t-")
            continue
        added = added_ms(made, hop.responder) if asked.delay_ms else 0.0
        rows.append(f"{hop.ttl}\t{hop.responder}\t{hop.rtt_ms:.2f} ms\t{added:g} ms\t"
                    f"{hop.rtt_ms - added:.2f} ms")  # fmt: skip
    said = []
    if asked.delay_ms:
        said.append(
            f"Every hop's round-trip time grew by about the {asked.delay_ms:g} ms router 1 adds: "
            "every probe and every answer crosses host A's cable to router 1, the slow link"
            + (" (router 1's own answer only on its way back: netem delays what leaves)"
               if made.netem else "")
            + ". Traceroute cannot tell where on the path the time was spent, only when each "
            "answer came back: a slow first hop makes every hop after it look slow too."
        )  # fmt: skip
    if asked.jitter_ms:
        said.append(f"Jitter (+/-{asked.jitter_ms:g} ms) makes each hop's time wobble: one "
                    "probe per hop is one sample, which is why real traceroute sends three.")  # fmt: skip
    lost = [h for h in hops if h.answer is None]
    if asked.loss_pct:
        said.append(f"Router 1 dropped {len(made.drops)} frame(s) at {asked.loss_pct:g}% loss "
                    f"each way; {len(lost)} probe(s) got no answer and show `*`. A `*` is a "
                    "probe or its answer lost somewhere, not a broken path: the next TTL got "
                    "through." if lost else
                    f"Router 1 dropped {len(made.drops)} frame(s) at {asked.loss_pct:g}% loss "
                    "each way, none of them a probe or its answer this time: run it again.")  # fmt: skip
    if asked.rate_kbit:
        biggest = max((len(r.data) for r in raws), default=0)
        said.append(f"The rate limit ({asked.rate_kbit} kbit/s) changed nothing you can see: "
                    f"the biggest frame was {biggest} bytes and one probe waits for its answer, "
                    "far below what the limit lets through.")  # fmt: skip
    if asked.mtu:
        biggest = max((len(r.data) - 14 for r in raws), default=0)
        said.append(f"The cable between the routers carries at most {asked.mtu} bytes a packet; "
                    f"the biggest packet here was {biggest} bytes, so nothing had to be split or "
                    "refused. (`traceroute --mtu` sends full-size probes to find that limit.)")  # fmt: skip
    return [
        Section("The conditions and how they were made", conditions.commands_text(made), "code"),
        Section("What the conditions did to each hop", "\n".join(rows), "table"),
        Section("What the conditions did", " ".join(said)),
    ]
