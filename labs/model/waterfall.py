"""The timing waterfall of a trace: every exchange (a DNS lookup, an HTTP
request on its connection, a probe and its answer) cut into phases (dns,
connect, tls, request, wait, download, answer) measured from the packets'
own timestamps, the way a browser's network panel draws a request but read
from the wire.

It reads only dissected `Packet`s (their Wireshark-named fields), never the
bytes again, so a lab's trace, a capture file and a stored run all get the
same bars. The renderers draw `Trace.waterfall`; they never time anything."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from labs.model.trace import Packet, Phase
from labs.model.waterfall_dns import lookups
from labs.model.waterfall_tftp import transfers
from labs.model.waterfall_tls import handshake, without_goaway, without_goodbyes

#: A busy capture file could hold thousands of connections: the waterfall
#: keeps the first ones (a renderer could not show more anyway).
MAX_EXCHANGES = 500

#: Every field the waterfall reads: `seen` keeps only these.
READS = frozenset(
    """tcp.flags tcp.len tcp.stream tcp.srcport tcp.dstport udp.srcport udp.dstport icmp.type
    icmp.code icmp.ident icmp.seq tls.handshake.type tls.handshake.extensions_server_name
    http.request.method http.request.uri ftp.request.command dns.id dns.flags.response
    dns.qry.name dns.a dns.aaaa tls.handshake.extensions.supported_version tftp.opcode
    tftp.source_file tftp.destination_file tls.handshake.ciphersuite tls.record.length
    http2.type""".split()
)


@dataclass(frozen=True, slots=True)
class Seen:
    """What the waterfall reads of one packet, read once: its place and time,
    its layers' names, and the values of the READS fields (those inside an
    ICMP error's quoted headers apart). A capture read as a stream keeps
    them in a file and reads back only those the first exchanges need
    (`labs.files.seens`)."""

    index: int
    time: float
    src: str
    dst: str
    summary: str
    origin: str
    interface: str
    layers: frozenset[str]
    values: dict[str, tuple[str, ...]]
    quoted: dict[str, tuple[str, ...]]
    #: The DNS query type as a reading ("A"), for the exchange's label.
    qtype: str

    def number(self, name: str) -> int | None:
        found = self.values.get(name)
        try:
            return int(found[0], 0) if found else None
        except ValueError:
            return None

    def first(self, name: str) -> str | None:
        found = self.values.get(name)
        return found[0] if found else None


#: The layers whose fields READS names (by the start of their names).
_READ_LAYERS = ("TCP", "UDP", "ICMP", "TLS", "HTTP", "FTP", "DNS", "TFTP")


def seen(p: Packet) -> Seen:
    """`p` as the waterfall reads it (one pass over its fields)."""
    values: dict[str, list[str]] = {}
    quoted: dict[str, list[str]] = {}
    qtype = ""
    for layer in p.layers:
        if not layer.name.startswith(_READ_LAYERS):  # Ethernet, IP, ARP: none is read here
            values = {} if layer.name.startswith("L2TP") else values  # a tunnel: its cargo counts
            continue
        into = quoted if layer.name.endswith("(quoted)") else values
        for f in layer.fields:
            if f.filter in READS:
                into.setdefault(f.filter, []).append(f.value)
            elif f.filter == "dns.qry.type" and not qtype:
                qtype = f.show
    return Seen(
        p.index, p.time, p.src, p.dst, p.summary, p.origin, p.interface,
        frozenset(layer.name for layer in p.layers),
        {k: tuple(v) for k, v in values.items()},
        {k: tuple(v) for k, v in quoted.items()},
        qtype,
    )  # fmt: skip


def clock(capture: str, packets: Sequence[Packet]) -> str:
    """Which clock stamped the times, and where it was read."""
    where = sorted({p.interface for p in packets if p.interface})
    at = f" on {', '.join(where)}" if where else ""
    if capture == "live":
        return (
            f"Packet timestamps from the live capture{at}: the kernel's clock as each packet "
            "crossed the interface, so a phase includes the time on the wire both ways."
        )
    if capture == "reconstructed":
        return (
            "Timestamps taken at the socket by tutor's recorder (this process's clock as "
            "each read or write returned), not on the wire: close to the wire, a little later."
        )
    if capture == "file":
        return "Timestamps stored in the capture file: the clock of the machine that captured it."
    return "Simulated: computed times, not measured."


def _tcp_len(p: Seen) -> int:
    return p.number("tcp.len") or 0


def _flags(p: Seen) -> int:
    return p.number("tcp.flags") or 0


@dataclass
class _Conn:
    """One TCP connection's wire packets, in time order."""

    packets: list[Seen] = field(default_factory=list)
    client: str = ""


def _endpoints(p: Seen) -> frozenset[str]:
    return frozenset((p.src, p.dst))


def _host(endpoint: str) -> str:
    return endpoint.rsplit(":", 1)[0] if ":" in endpoint else endpoint


def _label(conn: Sequence[Seen], extra: Sequence[Seen], start: float, end: float) -> str:
    """The HTTP request of this span (read from the wire, or from inside TLS), else the server."""
    for p in (*conn, *extra):
        if not start - 1e-9 <= p.time <= end + 1e-9:
            continue
        if method := p.first("http.request.method"):
            return f"{method} {p.first('http.request.uri') or ''}".strip()
        if command := p.first("ftp.request.command"):
            return f"FTP {command}"  # never its argument: PASS carries the password
    return ""


Phases = list[tuple[str, list[Seen]]]


def _tcp_phases(conn: _Conn, inside: Sequence[Seen] = ()) -> list[Phases]:
    """The exchanges of one connection, each a list of (phase, packets)
    (`inside`: the trace's plaintext recorded inside TLS tunnels)."""
    pkts = conn.packets
    client = conn.client
    exchanges: list[Phases] = []
    first: Phases = []
    synack = next((p for p in pkts if _flags(p) & 0x12 == 0x12), None)
    if synack is None and len(pkts) > 1 and all(_flags(p) & 0x17 == 0x02 for p in pkts):
        # A connect nobody answered: the SYN and its resends, nothing back
        # (a firewall that drops, a wrong address). Its wait is the point
        # ("is it the firewall?"); one SYN alone is left to the probes.
        return [[("no-reply", list(pkts))]]
    i = 0
    if synack is not None and any(_flags(p) & 0x12 == 0x02 for p in pkts):
        ack = next((p for p in pkts if p.time >= synack.time and p.src == client), None)
        # Every SYN sent before the answer: a lost SYN is retried after a
        # second (RFC 6298), and that wait is part of connecting.
        syns = [p for p in pkts if _flags(p) & 0x12 == 0x02 and p.time <= synack.time]
        first.append(("connect", [*syns, synack, *([ack] if ack is not None else [])]))
        i = pkts.index(synack) + 1
    # Data after the first FIN or RST is the goodbye (a TLS close_notify),
    # not a request; so is a side's last encrypted alert before it.
    close = next((p.time for p in pkts[i:] if _flags(p) & 0x05), None)
    data = [p for p in pkts[i:] if _tcp_len(p) and not _flags(p) & 0x05]
    data = [p for p in data if close is None or p.time < close]
    data = without_goaway(without_goodbyes(data, client), inside)
    data = handshake(pkts, data, client, first)
    current = first
    j = 0
    while j < len(data):
        if data[j].src != client:
            j += 1  # the server speaks first (FTP's greeting): not a request
            continue
        req = []
        while j < len(data) and data[j].src == client:
            req.append(data[j])
            j += 1
        resp = []
        while j < len(data) and data[j].src != client:
            resp.append(data[j])
            j += 1
        current.append(("request", req))
        if resp:
            current.append(("wait", [req[-1], resp[0]]))
            current.append(("download", resp))
        exchanges.append(current)
        current = []
    if current:
        exchanges.append(current)
    return exchanges


def _quoted_key(p: Seen) -> tuple[str, ...] | None:
    """Ports or echo id/seq of a probe, read from the probe or from the copy
    an ICMP error quotes (a traceroute probe and its answer share it)."""
    for proto in ("udp", "tcp", "icmp"):
        names = (
            ("icmp.ident", "icmp.seq")
            if proto == "icmp"
            else (f"{proto}.srcport", f"{proto}.dstport")
        )
        quoted = f"{proto.upper()} (quoted)" in p.layers
        values = p.quoted if quoted else p.values
        if (quoted or proto.upper() in p.layers) and all(values.get(n) for n in names):
            return (proto, values[names[0]][0], values[names[1]][0])
    return None


def _probe_pairs(pkts: Sequence[Seen]) -> list[tuple[Seen, Seen]]:
    """Probes (a TCP SYN, or a non-TCP, non-DNS packet) and the first later
    packet that answers them: an ICMP error quoting the probe, an echo reply,
    a datagram coming back, or a reset refusing the SYN."""
    pairs: list[tuple[Seen, Seen]] = []
    waiting: dict[tuple[str, ...], Seen] = {}
    for p in pkts:
        reset = False
        if "TCP" in p.layers and "ICMP" not in p.layers and _flags(p) & 0x12 != 0x02:
            # TCP conversations are timed as connections; a reset answering
            # a SYN (a closed port, a firewall that rejects) is the probe's answer.
            reset = bool(_flags(p) & 0x04)
            if _flags(p) & 0x12 == 0x12 and (key := _quoted_key(p)) is not None:
                waiting.pop((key[0], key[2], key[1]), None)  # answered: a connection
            if not reset:
                continue
        if "DNS" in p.layers or "TFTP" in p.layers:
            continue  # timed as lookups and as transfers
        if p.number("icmp.type") == 3 and p.number("icmp.code") == 4:
            continue  # "fragmentation needed" answers a too-big segment, not a probe
        key = _quoted_key(p)
        if key is None:
            continue
        answers = "ICMP" in p.layers and ("IPv4 (quoted)" in p.layers or p.number("icmp.type") == 0)
        reverse = (key[0], key[2], key[1]) if key[0] != "icmp" else key
        if answers or (reverse in waiting and waiting[reverse].src != p.src):
            probe = waiting.pop(key, None) or waiting.pop(reverse, None)
            if probe is not None:
                pairs.append((probe, p))
            continue
        if not reset:  # a reset answers; it asks nothing
            waiting.setdefault(key, p)
    return pairs


def _connections(wire: list[Seen]) -> dict[tuple[frozenset[str], int], _Conn]:
    """The TCP connections as tshark tells them apart (tcp.stream): the same
    ends again are a new one only from a SYN with another initial sequence
    number, not the old SYN again after the close (a retransmission). In a
    trace without stream numbers, any SYN after a FIN or RST on the ends."""
    conns: dict[tuple[frozenset[str], int], _Conn] = {}
    latest: dict[frozenset[str], int] = {}
    for p in wire:
        if "TCP" not in p.layers or "ICMP" in p.layers:
            continue
        ends = _endpoints(p)
        syn = _flags(p) & 0x12 == 0x02
        stream = p.number("tcp.stream")
        if stream is None:
            n = latest.setdefault(ends, 0)
            conn = conns.get((ends, -1 - n))
            if conn is not None and syn and any(_flags(q) & 0x05 for q in conn.packets):
                n = latest[ends] = n + 1
                conn = None
            key = (ends, -1 - n)  # never a stream number
        else:
            key = (ends, stream)
            conn = conns.get(key)
        if conn is None:
            conn = conns[key] = _Conn()
        if syn:
            conn.client = p.src
        elif not conn.packets:
            conn.client = p.src if _tcp_len(p) else p.dst
        conn.packets.append(p)
    return conns


def _name(conn: _Conn, phases: Phases, inside: list[Seen], where: str, server: str) -> str:
    req = next((pks for name, pks in phases if name == "request"), [])
    resp = next((pks for name, pks in phases if name == "download"), req)
    label = _label(conn.packets, inside, req[0].time, resp[0].time) if req else ""
    if not label:
        sni = next(
            (v for p in conn.packets if (v := p.first("tls.handshake.extensions_server_name"))),
            None,
        )
        label = f"HTTPS to {sni}" if sni else ""  # the request itself is encrypted
    return (label or f"connection to {server}") + (f" ({where})" if where else "")


def waterfall(packets: Iterable[Packet]) -> tuple[Phase, ...]:
    """Every exchange of `packets` as phases, exchanges numbered by start."""
    return from_seen([seen(p) for p in packets])


def from_seen(packets: Iterable[Seen], several: bool | None = None) -> tuple[Phase, ...]:
    """`waterfall` of packets read with `seen` (`several`: on several interfaces)."""
    all_pkts = sorted(packets, key=lambda p: (p.time, p.index))
    wire = [p for p in all_pkts if p.origin == "wire"]
    inside = [p for p in all_pkts if p.origin != "wire"]
    t0 = wire[0].time if wire else 0.0
    groups: list[tuple[str, Phases]] = transfers(wire)  # TFTP's, timed apart from probes
    several = len({p.interface for p in wire}) > 1 if several is None else several
    dns = lookups(wire)
    by_address: dict[str, list[int]] = {}
    for k, (_qs, a) in enumerate(dns):
        for address in (*a.values.get("dns.a", ()), *a.values.get("dns.aaaa", ())) if a else ():
            by_address.setdefault(address, []).append(k)
    used_dns: set[int] = set()
    for conn in _connections(wire).values():
        server = next((_host(p.dst) for p in conn.packets if p.src == conn.client), "")
        for n, phases in enumerate(_tcp_phases(conn, inside)):
            spans = [pk for _name, pks in phases for pk in pks]
            if not spans:
                continue
            if n == 0:
                # The lookup that found this server's address, just before it.
                for k in by_address.get(server, ()):
                    qs, a = dns[k]
                    if k not in used_dns and a is not None and a.time <= spans[0].time:
                        used_dns.add(k)
                        phases.insert(0, ("dns", [*qs, a]))
                        break
            where = conn.packets[0].interface if several else ""
            groups.append((_name(conn, phases, inside, where, server), phases))
    asked: list[tuple[int, str]] = []  # (group, server asked) of each lookup on its own
    for k, (qs, a) in enumerate(dns):
        if k not in used_dns:
            what = f"DNS {qs[0].qtype} {qs[0].first('dns.qry.name') or ''}".split()
            groups.append((" ".join(what), [("dns", qs + ([a] if a else []))]))
            asked.append((len(groups) - 1, _host(qs[0].dst).strip("[]")))
    # Lookups of the same question (a walk asks root, TLD and zone the same
    # one): the server asked tells their rows apart.
    labels = Counter(groups[k][0] for k, _server in asked)
    for k, server in asked:
        if labels[groups[k][0]] > 1:
            groups[k] = (f"{groups[k][0]}, asking {server}", groups[k][1])
    groups += [(q.summary, [("answer", [q, r])]) for q, r in _probe_pairs(wire)]
    groups.sort(key=lambda g: min(p.time for _n, pks in g[1] for p in pks))
    return tuple(_phases(groups[:MAX_EXCHANGES], t0))


def _phases(groups: list[tuple[str, Phases]], t0: float) -> list[Phase]:
    out: list[Phase] = []
    for number, (label, phases) in enumerate(groups):
        for phase, pks in phases:
            if not pks:
                continue
            # The handshake's cost to the client is SYN to SYN-ACK: its own
            # ACK leaves at once, with data right behind it.
            answer = next((p for p in pks if _flags(p) & 0x12 == 0x12), None)
            last = answer.time if phase == "connect" and answer else max(p.time for p in pks)
            out.append(
                Phase(
                    exchange=number,
                    label=label,
                    name=phase,
                    start=round(min(p.time for p in pks) - t0, 6),
                    end=round(last - t0, 6),
                    packets=tuple(sorted({p.index for p in pks})),
                )
            )
    return out


__all__ = ["MAX_EXCHANGES", "READS", "Seen", "clock", "from_seen", "seen", "waterfall"]
