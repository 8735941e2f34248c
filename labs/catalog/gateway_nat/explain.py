"""Reading NAT from packets: one packet before and after the gateway, the
connection-tracking entry, and the gateway's walk through its NAT table.

Every number in these sentences and tables is read from the frames (scapy
packets) or from the gateway's own conntrack line; nothing is assumed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Ether

from labs.core.base import RawPacket
from labs.kit.netlab import GATEWAY_NAT, Topology
from labs.model.numbers import number
from labs.model.trace import Section

_FLAG_NAMES = (("S", "SYN"), ("F", "FIN"), ("R", "RST"), ("P", "PSH"), ("A", "ACK"))


@dataclass(frozen=True)
class Pair:
    """The same packet on both sides of the gateway: `before` is where it came
    in (LAN side when `outbound`), `after` where it left."""

    before: int
    after: int
    outbound: bool


def flag_names(pkt: Any) -> str:
    flags = str(pkt[TCP].flags)
    return "-".join(name for letter, name in _FLAG_NAMES if letter in flags) or "segment"


def _ends(pkt: Any) -> tuple[str, str]:
    return f"{pkt[IP].src}:{pkt[TCP].sport}", f"{pkt[IP].dst}:{pkt[TCP].dport}"


def _changed(what: str, old: int, new: int) -> str:
    if old == new:
        return f"the {what} stayed {old:#06x}"
    return f"the {what} changed from {old:#06x} to {new:#06x}"


def pair_text(pair: Pair, pkts: list[Any], topo: Topology, short: bool = False) -> str:
    """The pair in words: what the gateway changed, and why."""
    b, a = pkts[pair.before], pkts[pair.after]
    (b_src, b_dst), (a_src, a_dst) = _ends(b), _ends(a)
    if short:
        if pair.outbound:
            return f"out, {b_src} became {a_src} (packets {number(pair.before)} and {number(pair.after)})"
        return (
            f"back, {b_dst} became {a_dst} (packets {number(pair.before)} and {number(pair.after)})"
        )
    sums = (
        f"{_changed('IP header checksum', b[IP].chksum, a[IP].chksum)} and "
        f"{_changed('TCP checksum', b[TCP].chksum, a[TCP].chksum)}"
    )
    same = f"the same packet (same IP identification {b[IP].id}, same sequence number {b[TCP].seq})"
    if pair.outbound:
        port = (
            f"kept the source port {b[TCP].sport}"
            if b[TCP].sport == a[TCP].sport
            else f"replaced the source port {b[TCP].sport} with {a[TCP].sport}"
        )
        return (
            f"The laptop's {flag_names(b)} goes from {b_src} to {b_dst} on the LAN side "
            f"(packet {number(pair.before)}). On the Internet side {same} leaves from {a_src} "
            f"(packet {number(pair.after)}): the gateway put its own address {a[IP].src} in place of "
            f"{b[IP].src} and {port}; the destination is untouched. Addresses and ports are "
            f"covered by the checksums, so {sums}. The TTL went from {b[IP].ttl} to "
            f"{a[IP].ttl}: the gateway is a router too."
        )
    owner = topo.label_of(b[IP].dst)
    return (
        f"The server's {flag_names(b)} is addressed to {b_dst} (packet {number(pair.before)}), "
        f"{owner}'s address: the only one the server knows. The gateway finds "
        f"that address and port in its connection-tracking table and puts the laptop's back: "
        f"{same} reaches the LAN side addressed to {a_dst} (packet {number(pair.after)}). Again "
        f"{sums}."
    )


def compare_table(title: str, pair: Pair, pkts: list[Any]) -> Section:
    """Field by field, the packet before and after the gateway."""
    b, a = pkts[pair.before], pkts[pair.after]
    sides = ("LAN side", "Internet side") if pair.outbound else ("Internet side", "LAN side")
    rows = [
        f"field\tbefore ({sides[0]}, packet {number(pair.before)})\tafter ({sides[1]}, packet {number(pair.after)})\tchanged"
    ]
    fields = (
        ("eth.src", lambda p: p[Ether].src),
        ("eth.dst", lambda p: p[Ether].dst),
        ("ip.src", lambda p: p[IP].src),
        ("ip.dst", lambda p: p[IP].dst),
        ("ip.ttl", lambda p: str(p[IP].ttl)),
        ("ip.id", lambda p: f"{p[IP].id:#06x} ({p[IP].id})"),
        ("ip.checksum", lambda p: f"{p[IP].chksum:#06x}"),
        ("tcp.srcport", lambda p: str(p[TCP].sport)),
        ("tcp.dstport", lambda p: str(p[TCP].dport)),
        ("tcp.seq_raw", lambda p: str(p[TCP].seq)),
        ("tcp.checksum", lambda p: f"{p[TCP].chksum:#06x}"),
    )
    for name, read in fields:
        old, new = read(b), read(a)
        rows.append(f"{name}\t{old}\t{new}\t{'yes' if old != new else ''}")
    return Section(title, "\n".join(rows), "table")


def parse_conntrack(line: str) -> dict[str, Any]:
    """A conntrack line (from `conntrack -L` or /proc/net/nf_conntrack) as
    {proto, timeout, state, original: (src, dst, sport, dport), reply: (...), flags}."""
    tokens = line.split()
    pairs = [t.split("=", 1) for t in tokens if "=" in t]
    values: dict[str, list[str]] = {}
    for k, v in pairs:
        values.setdefault(k, []).append(v)
    words = [t for t in tokens if "=" not in t]
    proto = next((w for w in words if w in ("tcp", "udp", "icmp")), "")
    after = words[words.index(proto) + 1 :] if proto else []
    numbers = [w for w in after if w.isdigit()]
    state = next((w for w in after if re.fullmatch(r"[A-Z_]+", w)), "")

    def tuple_at(n: int) -> tuple[str, ...]:
        found = [values.get(k, []) for k in ("src", "dst", "sport", "dport")]
        return tuple(v[n] if len(v) > n else "" for v in found)

    return {
        "proto": proto,
        "timeout": numbers[1] if len(numbers) > 1 else "",
        "state": state,
        "original": tuple_at(0),
        "reply": tuple_at(1),
        "flags": [w.strip("[]") for w in words if w.startswith("[")],
    }


def _derived_line(pair: Pair, pkts: list[Any]) -> str:
    b, a = pkts[pair.before], pkts[pair.after]
    return (
        f"tcp      6 src={b[IP].src} dst={b[IP].dst} sport={b[TCP].sport} dport={b[TCP].dport} "
        f"src={a[IP].dst} dst={a[IP].src} sport={a[TCP].dport} dport={a[TCP].sport}"
    )


def conntrack_section(
    lines: tuple[str, ...], source: str, pairs: list[Pair], pkts: list[Any], simulated: bool
) -> list[Section]:
    """The gateway's entry for the lab's connection, and how to read it."""

    first = next((p for p in pairs if p.outbound), None)
    if first is None:
        return []
    b = pkts[first.before]
    mine = [ln for ln in lines if f"src={b[IP].src} " in ln and f"sport={b[TCP].sport} " in ln]
    if mine:
        line = mine[0]
        where = "simulated" if simulated else f"read from {source} inside the gateway"
    else:
        line = _derived_line(first, pkts)
        where = "derived from the packets: this machine showed no connection-tracking table"
    entry = parse_conntrack(line)
    o, r = entry["original"], entry["reply"]
    text = (
        f"The first half is the connection as the laptop opened it: from {o[0]}:{o[2]} to "
        f"{o[1]}:{o[3]}. The second half is the answer the gateway expects: from {r[0]}:{r[2]} "
        f"to {r[1]}:{r[3]}, its own public address. A packet matching either half is "
        "translated without looking at the NAT rule again."
    )
    if entry["state"]:
        text += f" State {entry['state']}"
        if entry["state"] == "TIME_WAIT":
            text += (
                ": the connection is closed; the entry lingers a little in case late packets arrive"
            )
        text += "."
    if entry["timeout"]:
        text += f" It will be forgotten in {entry['timeout']} seconds unless more packets come."
    if "ASSURED" in entry["flags"]:
        text += " [ASSURED]: traffic was seen in both directions."
    return [
        Section(f"The gateway's connection-tracking entry ({where})", line, "code"),
        Section("How to read the connection-tracking entry", text),
    ]


def walk(pairs: list[Pair], pkts: list[Any], topo: Topology, ruleset: str) -> str:
    """The gateway's NAT table, walked for the first packet out, its answer and the rest."""
    first_out = next((p for p in pairs if p.outbound), None)
    first_in = next((p for p in pairs if not p.outbound), None)
    if first_out is None:
        return "No packet crossed the gateway."
    b, a = pkts[first_out.before], pkts[first_out.after]
    (b_src, b_dst), (a_src, _a_dst) = _ends(b), _ends(a)
    rule = next((ln.strip() for ln in ruleset.splitlines() if "masquerade" in ln), "masquerade")
    port = (
        f"keeps port {b[TCP].sport} (it is free)"
        if b[TCP].sport == a[TCP].sport
        else f"picks port {a[TCP].sport}"
    )
    steps = [
        f"The laptop's {flag_names(b)} arrives on the LAN side from {b_src} for {b_dst}.",
        f"The gateway's routing table sends {b[IP].dst} out of its Internet side (see its table below).",
        f"Connection tracking: no entry holds {b_src} -> {b_dst} yet, so this is a new connection.",
        f"The NAT rule `{rule}` matches {b[IP].src}: the gateway takes the address of the "
        f"interface the packet leaves by, {a[IP].src}, and {port}.",
        f"It writes the entry: original {b_src} -> {b_dst}, reply expected from {b_dst} to {a_src}.",
        f"The packet leaves rewritten, from {a_src}.",
    ]
    if first_in is not None:
        rb, ra = pkts[first_in.before], pkts[first_in.after]
        steps.append(
            f"The server's {flag_names(rb)} arrives for {_ends(rb)[1]}: that is the reply half of "
            f"the entry, so the gateway rewrites the destination to {_ends(ra)[1]} and passes it "
            "to the laptop."
        )
    rest = len(pairs) - 1 - (first_in is not None)
    if rest > 0:
        steps.append(
            f"The {rest} later packets find the same entry; the rule is not consulted again."
        )
    return "\n".join(f"{n}. {s}" for n, s in enumerate(steps, 1))


def addresses() -> tuple[str, str, str]:
    laptop, gw, server = GATEWAY_NAT.nodes
    return laptop.interfaces[0].ip, gw.toward(server.role).ip, server.interfaces[0].ip


def find_pairs(raws: tuple[RawPacket, ...], pkts: list[Any]) -> list[Pair]:
    """Each TCP packet as it entered the gateway and as it left: same IP
    identification, sequence and acknowledgment numbers, flags and length.
    A segment sent again can carry the same identification (a SYN-ACK's is
    0), so each copy pairs with the nearest copy on the other side in the
    direction it travelled: the laptop's with the first that left after it,
    the server's with the last that arrived before it. A copy the gateway's
    slow link dropped is left without a pair."""
    laptop_ip = addresses()[0]

    def key(p: Any) -> tuple[int, ...]:
        return (p[IP].id, p[TCP].seq, p[TCP].ack, int(p[TCP].flags), len(p[TCP].payload))

    wan: dict[tuple[int, ...], list[int]] = {}
    lan: list[int] = []
    for i, p in enumerate(pkts):
        if p.haslayer(TCP):
            if "lan" in raws[i].interface.lower():
                lan.append(i)
            else:
                wan.setdefault(key(p), []).append(i)
    pairs, used = [], set()
    for i in lan:
        outbound = pkts[i][IP].src == laptop_ip
        copies = [j for j in wan.get(key(pkts[i]), []) if j not in used]
        if outbound:
            j = next((j for j in copies if raws[j].time >= raws[i].time), None)
        else:
            j = next((j for j in reversed(copies) if raws[j].time <= raws[i].time), None)
        if j is None:
            continue
        used.add(j)
        pairs.append(Pair(i, j, True) if outbound else Pair(j, i, False))
    return sorted(pairs, key=lambda p: p.before)
