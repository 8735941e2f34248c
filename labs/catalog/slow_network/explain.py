"""The slow-network lab's words: each phase of the calls as a step measured
in round trips, what TCP did about loss (tshark's `tcp.analysis` names),
slow start, throughput against the rate limit, and Path MTU discovery or
its black hole. Everything is read from the captured packets, the timing
waterfall (`labs.model.waterfall`) and the run's result."""

from __future__ import annotations

from dataclasses import replace

from labs.catalog.slow_network.analysis import FLAGS, Flagged, analyse, rounds, throughput_kbit
from labs.catalog.slow_network.result import SlowResult
from labs.catalog.slow_network.setup_text import conditions_section, network_section
from labs.kit import Recording, make_trace
from labs.kit.netlab import netlab, waterfall
from labs.model.numbers import number
from labs.model.trace import Fact, Field, Layer, Packet, Phase, Section, Step, Trace

CLIENT = "192.0.2.10"
#: The laptop's address with --ipv6 (labs.netsim.ipv6.SLOW_NETWORK).
CLIENT6 = "2001:db8:1::10"

_WORDS = {
    "dns": ("Look up the name", "Your laptop asks the lab's DNS server for api.shop.example"),
    "connect": ("Open the connection", "SYN out, SYN-ACK back: the TCP handshake"),
    "tls": ("The TLS handshake", "ClientHello out, the server's whole answer back"),
    "request": ("Send the request", "The request leaves your laptop"),
    "wait": ("Wait for the first byte", "From the request's last packet to the answer's first"),
    "download": ("Receive the answer", "From the answer's first byte to its last"),
    "answer": ("A probe and its answer", "A packet and its answer"),
}
#: Round trips each phase costs on a fresh HTTPS connection (what the lesson predicts).
_PREDICTED = {"dns": 1, "connect": 1, "tls": 1, "wait": 1}


def _handshake(phases: tuple[Phase, ...], packets: tuple[Packet, ...]) -> tuple[int, int] | None:
    """The first connection's SYN-ACK and the SYN it answered (the last one
    sent before it: an earlier SYN was lost and retried)."""
    first = next((ph for ph in phases if ph.name == "connect"), None)
    if first is None:
        return None
    flags = [(i, packets[i].number("tcp.flags") or 0) for i in first.packets]
    synack = next((i for i, f in flags if f & 0x12 == 0x12), None)
    syn = [i for i, f in flags if f & 0x12 == 0x02 and synack is not None and i < synack]
    return (syn[-1], synack) if syn and synack is not None else None


def _rtt(phases: tuple[Phase, ...], packets: tuple[Packet, ...]) -> float:
    """The round-trip time: a SYN to its SYN-ACK, on the wire."""
    pair = _handshake(phases, packets)
    return packets[pair[1]].time - packets[pair[0]].time if pair else 0.0


def _api_call(phases: tuple[Phase, ...]) -> int:
    """The exchange of the small API call (a one-packet request on a fresh
    connection): the one the round-trip facts are read from, whichever
    order the calls ran in."""
    fresh = {ph.exchange for ph in phases if ph.name == "connect"}
    sizes = {
        ph.exchange: len(ph.packets)
        for ph in phases
        if ph.name == "request" and ph.exchange in fresh
    }
    return min(sizes, key=lambda e: (sizes[e], e)) if sizes else min(fresh, default=-1)


def _in_rtts(seconds: float, rtt: float) -> str:
    return f"{seconds / rtt:.2f}" if rtt >= 0.005 else "-"


def _steps(phases: tuple[Phase, ...], packets: tuple[Packet, ...]) -> tuple[Step, ...]:
    rtt = _rtt(phases, packets)
    out = []
    for ph in phases:
        title, what = _WORDS.get(ph.name, (ph.name, ph.name))
        took = ph.end - ph.start
        text = f"{what} ({ph.label}): {took * 1000:.1f} ms"
        if rtt >= 0.005:
            text += f", {took / rtt:.2f} round trips of {rtt * 1000:.0f} ms"
            if ph.name in _PREDICTED:
                text += f" (a fresh HTTPS call predicts {_PREDICTED[ph.name]})"
        if ph.name == "dns" and len(ph.packets) > 2:
            text += (f". {len(ph.packets) - 1} queries: the first got no answer (lost), so the "
                     "stub resolver asked again when its 1-second timer ran out")  # fmt: skip
        members = [packets[i] for i in ph.packets]
        t0 = packets[0].time if packets else 0.0
        out.append(Step.over(f"{ph.name}-{ph.exchange + 1}", members, text + ".", title, t0))
    return tuple(out)


#: The round trip the lesson's predict question on first_byte_ms is about.
ASKED_MS = 100


def _first_byte_ms(run: SlowResult, took: float, packets: tuple[int, int]) -> Fact:
    """SYN to first byte in whole round trips of the --delay asked for, so a
    run at 50 ms says 150 ms (to the nearest 100 ms it said 200)."""
    step = run.delay_ms or ASKED_MS
    trips = round(took * 1000 / step)
    why = (f"SYN to the answer's first byte: {took * 1000:.0f} ms, to the nearest round trip "
           f"of the --delay {step:g} you set ({trips} x {step:g} ms).")  # fmt: skip
    if step != ASKED_MS:
        why += (f" The question is about --delay {ASKED_MS}: {trips} round trips there are "
                f"{trips * ASKED_MS} ms.")  # fmt: skip
    return Fact(
        "first_byte_ms",
        f"{trips * step:g} ms",
        why,
        packets,
        "tcp.flags",
        label="Time to the first byte, in whole round trips",
    )


def _facts(
    run: SlowResult, packets: tuple[Packet, ...], phases: tuple[Phase, ...], flagged: list[Flagged]
) -> list[Fact]:
    facts: list[Fact] = []
    rtt = _rtt(phases, packets)
    by = {ph.name: ph for ph in phases if ph.exchange == _api_call(phases)}
    if rtt >= 0.005 and "connect" in by:
        syn = by["connect"].packets[0]
        facts.append(Fact("rtt_ms", f"{rtt * 1000:.0f}", "SYN to SYN-ACK on the wire.",
                          _handshake(phases, packets) or (), "tcp.flags", label="Round trip (SYN to SYN-ACK)", unit="ms"))  # fmt: skip
        for name, fact, label in (
            ("connect", "connect_round_trips", "Round trips to connect"),
            ("tls", "tls_round_trips", "Round trips for the TLS handshake"),
        ):
            if name in by and by[name].end > by[name].start:  # a handshake that finished
                ph = by[name]
                facts.append(Fact(fact, f"{(ph.end - ph.start) / rtt:.0f}",
                                  f"{(ph.end - ph.start) * 1000:.0f} ms at {rtt * 1000:.0f} ms a round trip.",
                                  ph.packets, "tcp.flags" if name == "connect" else "tls.handshake.type", label=label))  # fmt: skip
        if "download" in by:
            first_byte = by["download"].packets[0]
            took = packets[first_byte].time - packets[syn].time
            facts.append(Fact("first_byte_round_trips", f"{took / rtt:.0f}",
                              f"SYN to the answer's first byte: {took * 1000:.0f} ms, "
                              f"{took / rtt:.2f} round trips.", (syn, first_byte), "tcp.flags", label="Round trips to the first byte"))  # fmt: skip
            facts.append(_first_byte_ms(run, took, (syn, first_byte)))
    if run.loss_pct:
        # Data sent again, under whichever name tshark gives it: one that
        # arrives within the first round trip of the newest data is "out of order".
        again = set(FLAGS) - {"tcp.analysis.duplicate_ack", "tcp.analysis.lost_segment"}
        resent = [f for f in flagged if again & set(f.flags)]
        facts.append(Fact("retransmitted", "yes" if resent else "no",
                          f"{len(resent)} segment(s) sent again ({', '.join(sorted({f.flag for f in resent}))})."
                          if resent else "No segment was sent again this time.",
                          tuple(f.index for f in resent[:20]),
                          resent[0].flag if resent else "tcp.analysis.retransmission", label="Data sent again"))  # fmt: skip
    if run.mtu:
        icmp = [
            p.index for p in packets if p.number("icmp.type") == 3 and p.number("icmp.code") == 4
        ]
        facts.append(Fact("frag_needed_seen", "yes" if icmp else "no",
                          "ICMP type 3 code 4 reached your laptop." if icmp else
                          "No ICMP 'fragmentation needed' reached your laptop.",
                          tuple(icmp[:5]), "icmp.code", label="ICMP 'fragmentation needed' received"))  # fmt: skip
        ptb = [p.index for p in packets if p.number("icmpv6.type") == 2]
        if run.ipv6:
            facts.append(Fact("packet_too_big_seen", "yes" if ptb else "no",
                              "ICMPv6 type 2 reached your laptop." if ptb else
                              "No ICMPv6 'packet too big' reached your laptop.",
                              tuple(ptb[:5]), "icmpv6.type", label="ICMPv6 'packet too big' received"))  # fmt: skip
        hung = any(c.timed_out for c in run.calls)
        facts.append(Fact("upload_hangs", "yes" if hung else "no",
                          "A call gave up waiting." if hung else "Every call finished.", (), None, label="An upload hung"))  # fmt: skip
    return facts


def _timing_table(phases: tuple[Phase, ...], packets: tuple[Packet, ...]) -> Section:
    rtt = _rtt(phases, packets)
    rows = ["exchange\tphase\tmeasured\tround trips\tpredicted"]
    for ph in phases:
        took = ph.end - ph.start
        predicted = str(_PREDICTED[ph.name]) if ph.name in _PREDICTED else ""
        rows.append(f"{ph.exchange + 1}. {ph.label}\t{ph.name}\t{took * 1000:.1f} ms\t"
                    f"{_in_rtts(took, rtt)}\t{predicted}")  # fmt: skip
    return Section(f"Every phase in round trips (RTT {rtt * 1000:.1f} ms, SYN to SYN-ACK)",
                   "\n".join(rows), "table")  # fmt: skip


def _backoff(packets: tuple[Packet, ...]) -> str:
    """The same segment sent three times or more, and the waits between the
    copies, read from the packets: the retransmission timer doubling."""
    copies: dict[tuple[str, int], list[Packet]] = {}
    for p in packets:
        flags, length = p.number("tcp.flags") or 0, p.number("tcp.len") or 0
        if p.layer("TCP") is not None and p.layer("ICMP") is None and (length or flags & 0x02):
            copies.setdefault((p.src, p.number("tcp.seq_raw") or 0), []).append(p)
    said, doubled, linear = [], True, False
    for sent in copies.values():
        if len(sent) >= 3:
            waits = [b.time - a.time for a, b in zip(sent, sent[1:], strict=False)]
            syn = bool((sent[0].number("tcp.flags") or 0) & 0x02)
            steady = syn and all(0.8 <= w <= 1.2 for w in waits)
            linear = linear or steady
            doubled = doubled and (
                steady or all(b >= 1.5 * a for a, b in zip(waits, waits[1:], strict=False))
            )
            said.append(f"the {'SYN' if syn else 'segment'} of packet {number(sent[0].index)} was sent "
                        f"{len(sent)} times, waiting " + ", then ".join(f"{w:.2f} s" for w in waits))  # fmt: skip
    if not said:
        return ""
    why = ("Each wait is about twice the one before: the retransmission timer doubles after "
           "every timeout (RFC 6298, 5.5)." if doubled else "Not every wait doubled: some "
           "copies were sent at once after duplicate or partial ACKs (fast retransmit and "
           "recovery, RFC 5681 and RFC 6582), not by the timer, which doubles after every "
           "timeout (RFC 6298, 5.5).")  # fmt: skip
    if linear:
        why += (" A SYN resent every second is Linux's choice since 6.6: the first retries of a "
                "SYN wait a steady 1 s (net.ipv4.tcp_syn_linear_timeouts, default 4) before "
                "the timer starts doubling.")  # fmt: skip
    return " Backoff, measured: " + "; ".join(said[:3]) + ". " + why


def _loss_sections(
    run: SlowResult, flagged: list[Flagged], packets: tuple[Packet, ...], simulated: bool = False
) -> list[Section]:
    if not run.loss_pct and not flagged:
        return []
    ways: dict[str, int] = {}
    for d in run.drops:
        ways[d.direction] = ways.get(d.direction, 0) + 1
    dropped = ", ".join(f"{n} {w}" for w, n in ways.items()) or "none"
    rows = ["packet\ttshark flag\twhat it means"]
    for f in flagged[:40]:
        rows.append(f"{number(f.index)}\t{', '.join(f.flags)}\t{FLAGS[f.flag]}")
    who = "In this simulation, router 1 dropped" if simulated else "Router 1 dropped"
    said = f"{who} {len(run.drops)} frames ({dropped})."
    if not run.drops and not run.loss_pct and run.mtu:
        said = ("Nothing was lost at random (no --loss): what was lost were full-size packets, "
                f"too big for the {run.mtu}-byte link between the routers")  # fmt: skip
        said += (", and the routers' firewall dropped the ICMP that would have said so."
                 if run.blackhole else ".")  # fmt: skip
    elif not run.drops:
        said = f"{who} no frame" + (
            ": the --loss you set is a random draw." if run.loss_pct else "."
        )
    text = (
        f"{said} Your laptop captured what "
        "reached its card: a segment lost on the way to it shows as a gap (tshark: "
        "'previous segment not captured'), your laptop's duplicate ACKs say what is missing "
        "(with SACK blocks saying what did arrive), and the server sends it again: quickly "
        "after duplicate ACKs (fast retransmit), or only when its retransmission timer (RTO) "
        "runs out, a timer that doubles after each timeout (backoff). A segment your laptop "
        "sent that was lost shows as the same data leaving twice." + _backoff(packets)
    )
    return [Section("What TCP did about the lost packets", text),
            Section("Packets tshark flags (tcp.analysis)", "\n".join(rows), "table")]  # fmt: skip


def _data(packets: tuple[Packet, ...], phases: tuple[Phase, ...], name: str) -> list[Packet]:
    # The biggest such phase: the download's answer, whichever order the calls ran in.
    ph = max((p for p in phases if p.name == name), key=lambda p: len(p.packets), default=None)
    return [packets[i] for i in ph.packets] if ph else []


def _flow_sections(
    run: SlowResult, phases: tuple[Phase, ...], packets: tuple[Packet, ...]
) -> list[Section]:
    out = []
    rtt = _rtt(phases, packets)
    down = _data(packets, phases, "download")
    if rtt >= 0.005 and down:
        rows = ["round trip\tsegments\tbytes"]
        rows += [
            f"{k + 1}\t{segs}\t{size}" for k, (segs, size) in enumerate(rounds(down, rtt)[:12])
        ]
        out.append(
            Section("Slow start: the answer's bytes per round trip", "\n".join(rows), "table")
        )
        out.append(Section("Why it grows", (
            "A new connection may not send a whole window at once: TCP starts with a small "
            "congestion window (10 segments on Linux, RFC 6928) and doubles it every round trip "
            "while every segment is acknowledged (slow start, RFC 5681). On a long round trip "
            "that costs several round trips before the link is full, which is why a fresh "
            "connection feels slower than a warm one.")))  # fmt: skip
    if down:
        got = throughput_kbit(down)
        limit = f" against router 1's limit of {run.rate_kbit} kbit/s" if run.rate_kbit else ""
        bdp = ""
        if run.rate_kbit and rtt:
            kb = run.rate_kbit * rtt / 8
            bdp = (
                f" The bandwidth-delay product, {run.rate_kbit} kbit/s x {rtt * 1000:.0f} ms = "
                f"{kb:.0f} KB, is how much must be in flight to keep the link busy."
            )
        out.append(Section("Throughput", f"The answer arrived at {got:.0f} kbit/s{limit}.{bdp}"))
    return out


def _mtu_section(run: SlowResult, packets: tuple[Packet, ...]) -> list[Section]:
    if not run.mtu:
        return []
    icmp = [p for p in packets if p.number("icmp.type") == 3 and p.number("icmp.code") == 4]
    hung = [c for c in run.calls if c.timed_out]
    if icmp:
        text = (f"The cable between the routers carries at most {run.mtu} bytes per packet. Your "
                f"laptop's full-size packets (1500 bytes, Don't Fragment set) could not cross it, so "
                f"router 1 answered with ICMP type 3 code 4, 'fragmentation needed' (packet "
                f"{number(icmp[0].index)}), quoting the MTU. Your laptop's TCP lowered its segment size "
                "and sent again: Path MTU discovery (RFC 1191), done in one round trip.")  # fmt: skip
    else:
        said = "ICMPv6 'packet too big'" if run.ipv6 else "ICMP 'fragmentation needed'"
        text = (f"The cable between the routers carries at most {run.mtu} bytes, and no "
                f"{said} reached your laptop.")  # fmt: skip
    ptb = [p for p in packets if p.number("icmpv6.type") == 2]
    if ptb:
        mtu = ptb[0].field("icmpv6.mtu")
        text = (f"The cable between the routers carries at most {run.mtu} bytes per packet. Over "
                "IPv6 no router ever fragments a packet (RFC 8200, section 5): your laptop's "
                "full-size packets could not cross, so router 1 dropped them and answered with "
                f"ICMPv6 type 2, 'packet too big' (packet {number(ptb[0].index)}), whose MTU field says "
                f"{mtu.value if mtu else '?'} bytes (icmpv6.mtu). Your laptop's TCP lowered its "
                "segment size and sent again: Path MTU discovery for IPv6 (RFC 8201). The same "
                "story as IPv4's ICMP type 3 code 4, but IPv6 has no 'Don't Fragment' bit: it is "
                "always on.")  # fmt: skip
    if hung:
        calls = "call" if len(hung) == 1 else f"{len(hung)} calls"
        text += (f" The {calls} hung and gave up after {hung[0].seconds:.1f} s: the routers' "
                 "firewall drops the ICMP that would have said the packets are too big, so full-size "
                 "packets vanish without a word and TCP resends them, the same size, until it gives "
                 "up. Small packets (the handshake) get through, big ones do not: an MTU black hole, "
                 "the classic 'VPN connects but large uploads hang'. The fix is to let ICMP type 3 "
                 "(ICMPv6 type 2) through, or to clamp the MSS at the tunnel.")  # fmt: skip
    return [Section("Path MTU discovery" + (" and its black hole" if hung else ""), text)]


def explain(rec: Recording[SlowResult]) -> Trace:
    run = rec.result
    simulated = rec.capture == "simulated"

    def steps(packets: tuple[Packet, ...]) -> tuple[Step, ...]:
        return _steps(waterfall.waterfall(packets), packets)

    trace = make_trace(rec, steps=steps, client=CLIENT6 if run.ipv6 else CLIENT, keylog=run.keylog)
    packets = trace.packets
    phases = waterfall.waterfall(packets)
    flagged = analyse(packets)
    sections = [
        network_section(run),
        conditions_section(run, _asked(run)),
        _timing_table(phases, packets),
        *_loss_sections(run, flagged, packets, simulated),
        *_flow_sections(run, phases, packets),
        *_mtu_section(run, packets),
        Section(
            "What your program saw (its own clock)",
            "\n".join(
                ["call\tstatus\tbytes\tseconds"]
                + [
                    f"{c.method} {c.path}\t{'gave up' if c.timed_out else c.status}\t"
                    f"{c.bytes or c.sent}\t{c.seconds:.3f}"
                    for c in run.calls
                ]
            ),
            "table",
        ),  # fmt: skip
    ]
    notes = {f.index: f.flags for f in flagged}
    marked = tuple(_flag(p, notes[p.index]) if p.index in notes else p for p in packets)
    note = f"{trace.capture_note} Conditions made by {run.mechanism}."
    trace = replace(trace, packets=marked, sections=tuple(sections), capture_note=note,
                    facts=tuple(_facts(run, marked, phases, flagged)))  # fmt: skip
    return netlab.mark_simulated(trace) if simulated else trace


def _flag(p: Packet, flags: tuple[str, ...]) -> Packet:
    """`p` with tshark's analysis flags as fields (in a layer of their own:
    they are Wireshark's conclusions about the packet, not bytes in it) and
    said first in its explanation."""
    tcp = p.layer("TCP")
    at = tcp.offset if tcp else 0
    fields = tuple(
        Field(f.rsplit(".", 1)[1].replace("_", " ").capitalize(), f, "", FLAGS[f], at, 0,
              FLAGS[f][:1].upper() + FLAGS[f][1:] + ".")
        for f in flags
    )  # fmt: skip
    layer = Layer("TCP analysis", at, 0, fields)
    said = f"tshark: {flags[0]}, {FLAGS[flags[0]]}."
    return replace(p, explain=f"{said} {p.explain}", layers=(*p.layers, layer))


def _asked(run: SlowResult) -> str:
    parts = [f"delay {run.delay_ms:g} ms", f"jitter {run.jitter_ms:g} ms",
             f"loss {run.loss_pct:g}%", f"rate {run.rate_kbit or 'unlimited'} kbit/s",
             f"MTU {run.mtu or 1500}"] + (["black hole"] if run.blackhole else [])  # fmt: skip
    return ", ".join(parts)
