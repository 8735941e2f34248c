"""Patterns that span many packets and conversations, named from the packets
alone: a traceroute (probes with rising TTL answered by routers' ICMP
time-exceeded, then by the destination), ARP resolution and IPv6's own (neighbor
discovery), a DHCP lease and a port scan (one source probing many ports of one host).

`mark` reads what they need of a packet into its `View` (a TTL and a few
strings); `Patterns` names each packet as `steps.Classifier` is fed them,
and renames earlier ones once a pattern shows (the first probes of a
traceroute are plain UDP until a router answers one). The explanations are
in `labs.dissect.pattern_text`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from labs.dissect.tftp_steps import Transfers
from labs.model.trace import Packet

if TYPE_CHECKING:
    from labs.dissect.steps import View

#: The step names of the patterns (a traceroute by the kind of its probes).
TRACE = {"udp": "traceroute-udp", "icmp": "traceroute-icmp", "tcp": "traceroute-tcp"}
NAMES = ("arp", "nd", "dhcp", *TRACE.values(), "scan")

#: ICMP and ICMPv6 types, by what they are.
_TYPES = {
    ("ICMP", "8"): "echo",
    ("ICMPv6", "128"): "echo",
    ("ICMP", "0"): "echo-reply",
    ("ICMPv6", "129"): "echo-reply",
    ("ICMP", "11"): "time-exceeded",
    ("ICMPv6", "3"): "time-exceeded",
    ("ICMP", "3"): "unreachable",
    ("ICMPv6", "1"): "unreachable",
}
_ECHO_IDS = ("icmp.ident", "icmpv6.echo.identifier")
_ECHO_SEQS = ("icmp.seq", "icmpv6.echo.sequence_number")
_DHCP = (
    "dhcp.option.dhcp",
    "dhcp.id",
    "dhcp.hw.mac_addr",
    "dhcp.ip.your",
    "dhcp.option.dhcp_server_id",
    "dhcp.option.ip_address_lease_time",
    "dhcp.option.requested_ip_address",
)
#: A probe sent with a TTL this low or lower may belong to a traceroute
#: (a sender's own packets leave with 64, 128 or 255).
MAX_PROBE_TTL = 63
#: This many ports of one host probed by one source make a scan ...
SCAN_PORTS = 5
#: ... each within this many seconds of the previous probe.
SCAN_GAP = 5.0
#: Probes and candidates remembered at most (a capture may hold millions),
#: and ports of one pair until a scan shows.
_KEEP = 4096
_PORTS_KEPT = 256


def _number(value: str) -> str:
    try:
        return str(int(value, 0))
    except ValueError:
        return value


def mark(p: Packet, kind: str, bits: int) -> tuple[int, tuple[str, ...]]:
    """What the patterns read of `p` beyond its View's other fields: the TTL
    (hop limit) of a packet that could be a probe (a UDP datagram, a TCP SYN,
    an echo request), and the facts of an ICMP, ARP or DHCP packet."""
    ttl = 0
    facts: tuple[str, ...] = ()
    layers = p.layers
    if kind in ("ICMP", "ICMPv6"):
        top = next(layer for layer in layers if layer.name == kind)
        f = {fl.filter: fl.value for fl in top.fields}
        what = _TYPES.get((kind, f.get("icmp.type") or f.get("icmpv6.type") or ""), "")
        if what in ("echo", "echo-reply"):
            ident = next((f[n] for n in _ECHO_IDS if n in f), "")
            seq = next((f[n] for n in _ECHO_SEQS if n in f), "")
            facts = (what, _number(ident), _number(seq))
        elif what:
            facts = (what, *_quoted(p))
        elif kind == "ICMPv6" and f.get("icmpv6.type") in ("135", "136"):
            facts = _neighbor(p, f)
    elif kind == "ARP":
        f = {fl.filter: fl.value for layer in layers for fl in layer.fields}
        facts = ("arp", f.get("arp.opcode", ""), f.get("arp.src.hw_mac", ""))
    elif kind == "UDP" and any(layer.name == "DHCP" for layer in layers):
        f = {}
        for layer in layers:
            if layer.name == "DHCP":
                for fl in layer.fields:
                    if fl.filter in _DHCP and fl.filter not in f:
                        f[fl.filter] = fl.value
        facts = ("dhcp", *(f.get(n, "") for n in _DHCP))
    if kind == "UDP" or (kind == "TCP" and bits & 0x12 == 0x02) or facts[:1] == ("echo",):
        ip = next((layer for layer in layers if layer.name in ("IPv4", "IPv6")), None)
        if ip is not None:
            found = next((fl.value for fl in ip.fields if fl.filter in ("ip.ttl", "ipv6.hlim")), "")
            ttl = int(found) if found.isdigit() else 0
    return ttl, facts


def _neighbor(p: Packet, f: dict[str | None, str]) -> tuple[str, ...]:
    """("ns", target, the asker's MAC) of a neighbor solicitation, ("na",
    target, the target's MAC, solicited flag) of an advertisement (RFC 4861,
    4.3-4.4): each MAC as its link-layer address option gives it (source in
    a solicitation, target in an advertisement), "" without one."""
    named = "icmpv6.opt.src_linkaddr" if f["icmpv6.type"] == "135" else "icmpv6.opt.target_linkaddr"
    mac = next((fl.value for ly in p.layers for fl in ly.fields if fl.filter == named), "")
    if f["icmpv6.type"] == "135":
        return ("ns", f.get("icmpv6.nd.ns.target_address", ""), mac)
    return ("na", f.get("icmpv6.nd.na.target_address", ""), mac, f.get("icmpv6.nd.na.flag.s", ""))


def _quoted(p: Packet) -> tuple[str, ...]:
    """The key of the packet an ICMP error quotes (as `probe_key` reads it)."""
    inside = False
    for layer in p.layers:
        if layer.name in ("IPv4 (quoted)", "IPv6 (quoted)"):
            inside = True  # an ICMPv6 echo quoted after it keeps its own name
        elif layer.name in ("UDP (quoted)", "TCP (quoted)"):
            f = {fl.filter: fl.value for fl in layer.fields}
            proto = layer.name[:3].lower()
            return (proto, f.get(f"{proto}.srcport", ""), f.get(f"{proto}.dstport", ""))
        elif layer.name == "ICMP (quoted)" or inside and layer.name == "ICMPv6":
            f = {fl.filter: fl.value for fl in layer.fields}
            ident = next((f[n] for n in _ECHO_IDS if n in f), "")
            seq = next((f[n] for n in _ECHO_SEQS if n in f), "")
            return ("icmp", _number(ident), _number(seq))
    return ()


def host(endpoint: str) -> str:
    """The address of "addr:port" or "[v6]:port" (an address without a port as it is)."""
    if endpoint.startswith("["):
        return endpoint[1 : endpoint.index("]")]
    if endpoint.count(":") == 1:
        return endpoint.split(":", 1)[0]
    return endpoint


def port(endpoint: str) -> str:
    head, sep, tail = endpoint.rpartition(":")
    return tail if sep and (endpoint.startswith("[") or head.count(":") == 0) else ""


Key = tuple[str, str, str]


def probe_key(v: View) -> Key | None:
    """(kind, a, b) of a packet that may be a probe: UDP and TCP ports, or an echo's id and sequence."""
    if v.kind == "UDP" or (v.kind == "TCP" and v.bits & 0x12 == 0x02):
        return (v.kind.lower(), port(v.src), port(v.dst))
    if v.mark[:1] == ("echo",):
        return ("icmp", v.mark[1], v.mark[2])
    return None


def answer_key(v: View) -> Key | None:
    """The key of the probe that `v` answers: an ICMP error quoting it, an
    echo reply, or a TCP segment or UDP datagram coming back."""
    what = v.mark[:1]
    if what in (("time-exceeded",), ("unreachable",)) and len(v.mark) == 4:
        return (v.mark[1], v.mark[2], v.mark[3])
    if what == ("echo-reply",):
        return ("icmp", v.mark[1], v.mark[2])
    if (
        v.kind == "UDP"
        and not v.mark
        or v.kind == "TCP"
        and (v.bits & 0x04 or v.bits & 0x12 == 0x12)
    ):
        return (v.kind.lower(), port(v.dst), port(v.src))
    return None


class _Probe:
    """A probe waiting for its answer: where it is and what session it may start."""

    __slots__ = ("index", "src", "dst", "key")

    def __init__(self, index: int, src: str, dst: str, key: Key):
        self.index, self.src, self.dst, self.key = index, src, dst, key


class Patterns:
    """The pattern layer of `steps.Classifier`: `name` gives a packet's step
    name (`base`, what the classifier named it, unless a pattern claims it)
    and appends to `renames` the earlier packets a newly seen pattern claims."""

    def __init__(self) -> None:
        #: traceroute probes (TTL at most MAX_PROBE_TTL) by (src, key)
        self.probes: dict[tuple[str, Key], _Probe] = {}
        #: (client, destination, probe kind) of the traceroutes seen
        self.traces: set[tuple[str, str, str]] = set()
        #: TCP conversations (as `steps` keys them) a traceroute or a scan opened, and which
        self.convs: dict[str, str] = {}
        self.scans = _Scans()
        self.tftp = Transfers()

    def name(self, i: int, v: View, conv: str, base: str, renames: list[tuple[int, str]]) -> str:
        if base == "tftp":
            return self.tftp.name(v)  # each transfer a step of its own
        kind = v.kind
        if kind == "TCP" and v.seg and not v.bits & 0x02:
            return base  # data: no probe, no answer to one (most packets of a capture)
        if kind == "ARP":
            return "arp"
        if kind == "ICMPv6" and v.mark[:1] in (("ns",), ("na",)):
            return "nd"
        if v.mark[:1] == ("dhcp",):
            return "dhcp"
        claimed = self.convs.get(conv)
        if claimed is not None and not v.seg:
            return claimed
        traced = self._trace(i, v, renames)
        if traced:
            if v.kind == "TCP":
                self._claim(conv, traced)
            return traced
        scanned = self.scans.feed(i, v, renames)
        if scanned:
            self._claim(conv, scanned)
            return scanned
        return base

    def _claim(self, conv: str, name: str) -> None:
        if len(self.convs) >= _KEEP * 4:
            self.convs.pop(next(iter(self.convs)))
        self.convs[conv] = name

    def _trace(self, i: int, v: View, renames: list[tuple[int, str]]) -> str:
        key = probe_key(v)
        if key is not None and 0 < v.ttl <= MAX_PROBE_TTL:
            src, dst = host(v.src), host(v.dst)
            probes = self.probes
            if len(probes) >= _KEEP:
                probes.pop(next(iter(probes)))
            probes[(src, key)] = _Probe(i, src, dst, key)
            return TRACE[key[0]] if (src, dst, key[0]) in self.traces else ""
        answered = answer_key(v)
        if answered is None:
            return ""
        me, them = host(v.dst), host(v.src)
        probe = self.probes.get((me, answered))
        if probe is None:
            return ""
        if v.mark[:1] == ("time-exceeded",):
            session = (me, probe.dst, answered[0])
            if session not in self.traces:
                self.traces.add(session)
                # The probes sent before the first answer were named as they came.
                renames.extend(
                    (p.index, TRACE[answered[0]])
                    for p in self.probes.values()
                    if (p.src, p.dst, p.key[0]) == session
                )
                self.scans.forget(me, probe.dst)
            return TRACE[answered[0]]
        if probe.dst == them and (me, them, answered[0]) in self.traces:
            return TRACE[answered[0]]
        return ""


class _Pair:
    """One source probing one host: the last probe's time and, until it is
    a scan, the packets of each port probed (and, for UDP, the ports that
    answered "port unreachable", which tell a probe from a reply)."""

    __slots__ = ("last", "ports", "closed", "scan")

    def __init__(self, last: float):
        self.last = last
        self.ports: dict[str, list[int]] = {}
        self.closed: set[str] = set()
        self.scan = False

    def add(self, probed: str, i: int) -> None:
        got = self.ports.get(probed)
        if got is None:
            if len(self.ports) < _PORTS_KEPT:
                self.ports[probed] = [i]
        elif len(got) < 4:  # a SYN, its answer, the prober's RST, a retry
            got.append(i)

    def count(self, kind: str) -> int:
        return len(self.closed) if kind == "UDP" else len(self.ports)


class _Scans:
    """Port scans: one source sending SYNs (or UDP datagrams that draw "port
    unreachable") to SCAN_PORTS or more ports of one host, each within
    SCAN_GAP seconds of the last."""

    def __init__(self) -> None:
        self.pairs: dict[tuple[str, str, str], _Pair] = {}

    def forget(self, src: str, dst: str) -> None:
        self.pairs.pop((src, dst, "UDP"), None)

    def feed(self, i: int, v: View, renames: list[tuple[int, str]]) -> str:
        kind = v.kind
        if kind == "UDP" and not v.mark or kind == "TCP" and v.bits & 0x12 == 0x02 and not v.seg:
            who = (host(v.src), host(v.dst), kind)
            pair = self.pairs.get(who)
            if pair is None or v.time - pair.last > SCAN_GAP:
                if len(self.pairs) >= _KEEP:
                    self.pairs.pop(next(iter(self.pairs)))
                pair = self.pairs[who] = _Pair(v.time)
            pair.last = v.time
            if pair.scan:
                return "scan"
            pair.add(port(v.dst), i)
            return self._check(pair, kind, i, renames)
        if kind == "TCP" and not v.seg:
            flags = v.bits
            if flags & 0x12 == 0x12 or flags & 0x14 == 0x14:  # SYN-ACK or RST-ACK: the host answers
                who, probed = (host(v.dst), host(v.src), kind), port(v.src)
            elif flags & 0x04:  # the prober's RST after a SYN-ACK
                who, probed = (host(v.src), host(v.dst), kind), port(v.dst)
            else:
                # The client's ACK completes a handshake: a connection, not a probe.
                pair = self.pairs.get((host(v.src), host(v.dst), kind))
                if pair is not None and not pair.scan:
                    pair.ports.pop(port(v.dst), None)
                return ""
        elif v.mark[:2] == ("unreachable", "udp"):
            who, probed = (host(v.dst), host(v.src), "UDP"), v.mark[3]
        else:
            return ""
        pair = self.pairs.get(who)
        if pair is None:
            return ""
        if pair.scan:
            return "scan"
        if probed in pair.ports:
            pair.add(probed, i)
            if who[2] == "UDP":
                pair.closed.add(probed)
                return self._check(pair, "UDP", i, renames)
        return ""

    @staticmethod
    def _check(pair: _Pair, kind: str, i: int, renames: list[tuple[int, str]]) -> str:
        if pair.count(kind) < SCAN_PORTS:
            return ""
        ports = pair.closed if kind == "UDP" else pair.ports
        renames.extend((j, "scan") for p in ports for j in pair.ports.get(p, ()) if j != i)
        pair.scan, pair.ports, pair.closed = True, {}, set()
        return "scan"
