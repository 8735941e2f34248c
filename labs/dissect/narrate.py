"""One plain sentence per packet, built from that packet's own fields.

Every number or name in a sentence is read from the dissected fields of the
packet it describes (ports, flags, sequence numbers, the HTTP request line),
so the text can never disagree with the bytes shown beside it.
"""

from __future__ import annotations

from collections.abc import Iterable

from labs.dissect import idle
from labs.dissect.proto.base import APPS
from labs.trace import Field, Layer


def field_map(layers: tuple[Layer, ...]) -> dict[str, Field]:
    """Wireshark name -> the first field with that name (the outer header wins)."""
    out: dict[str, Field] = {}
    for layer in layers:
        for f in layer.fields:
            if f.filter and f.filter not in out:
                out[f.filter] = f
    return out


#: How a layer quoted inside an ICMP error (the probe sent back) is named.
QUOTED = " (quoted)"


def outer_fields(layers: tuple[Layer, ...]) -> dict[str, Field]:
    """Like `field_map`, without the headers an ICMP error quotes: the fields
    that describe this packet itself (the router's ICMP type and address),
    not the probe it sends back (whose UDP length says nothing about it)."""
    return field_map(tuple(layer for layer in layers if not layer.name.endswith(QUOTED)))


def _num(fields: dict[str, Field], name: str) -> int | None:
    f = fields.get(name)
    if f is None:
        return None
    try:
        return int(f.value, 0)
    except ValueError:
        return None


class Roles:
    """Who is the client: the side that sent the first SYN of a conversation,
    else the side not on a known server port (`server_ports`: the ports a
    lab gave as `decode_as`, where its servers listen even when the port is
    as high as the client's), else the side on the higher (ephemeral) port.
    `client` ("IP" or "IP:PORT") names the learner's side, which the
    narration calls "your computer"."""

    def __init__(self, client: str | None = None, server_ports: Iterable[int] = ()):
        self.client = client
        self.server_ports = frozenset(server_ports)
        self.clients: set[str] = set()
        self.servers: set[str] = set()
        #: connection attempts seen: (client, server) -> flags seen so far
        self.syns: dict[tuple[str, str], int] = {}
        #: one direction (sender, receiver) -> the sender's initial sequence
        #: number, to count bytes from 1 (a server's endpoint is the same in
        #: all its connections, so the endpoint alone would mix them up)
        self.isn: dict[tuple[str, str], int] = {}
        #: one direction -> the sequence number its FIN used (a FIN counts as one byte)
        self.fin: dict[tuple[str, str], int] = {}
        #: conversations idle for a sweep: their entries in the three tables
        #: above as bytes (`labs.dissect.idle`), by "a b" (sorted ends)
        self.frozen: dict[str, bytes] = {}
        #: conversation (sorted ends) -> when a TCP segment last came to it
        self._touched: dict[tuple[str, str], int] = {}
        self._count = 0

    def touch(self, src: str, dst: str) -> None:
        """A TCP segment between `src` and `dst` is read: what was frozen of
        their conversation comes back, and idle conversations are frozen."""
        a, b = (src, dst) if src <= dst else (dst, src)
        tables = (self.syns, self.isn, self.fin)
        if self.frozen:
            blob = self.frozen.pop(f"{a} {b}", None)
            if blob is not None:
                idle.thaw_roles(blob, tables, a, b)
        self._count += 1
        self._touched[(a, b)] = self._count
        if self._count % idle.SWEEP == 0:
            since = self._count - idle.SWEEP
            for a, b in [k for k, last in self._touched.items() if last <= since]:
                del self._touched[(a, b)]
                blob = idle.freeze_roles(tables, a, b)
                if blob is not None:
                    self.frozen[f"{a} {b}"] = blob

    def note_syn(self, src: str, dst: str) -> None:
        self.learn(src, dst)
        self.syns[(src, dst)] = 1

    def learn(self, src: str, dst: str) -> None:
        """A SYN from `src` to `dst` was seen (here, or in another process
        reading other conversations of the same capture)."""
        self.clients.add(src)
        self.servers.add(dst)

    def is_client(self, src: str, dst: str) -> bool:
        if src in self.clients or dst in self.servers:
            return True
        if dst in self.clients or src in self.servers:
            return False
        sport, dport = _port(src), _port(dst)
        if sport is None or dport is None:
            return False
        to_server, from_server = dport in self.server_ports, sport in self.server_ports
        if to_server != from_server:
            return to_server
        return sport > dport

    def name(self, endpoint: str, client_side: bool) -> str:
        """`endpoint` as the narration names it. With `client` given as an
        address only, both ends of a loopback conversation match it, so only
        the client side of the conversation is "your computer"."""
        c = self.client
        if c and (endpoint == c or (client_side and _host(endpoint) == c)):
            return f"your computer ({endpoint})"
        return endpoint

    def names(self, src: str, dst: str) -> tuple[str, str]:
        src_is_client = self.is_client(src, dst)
        return self.name(src, src_is_client), self.name(dst, not src_is_client)


def _host(endpoint: str) -> str:
    head, sep, tail = endpoint.rpartition(":")
    host = head if sep and tail.isdigit() else endpoint
    return host.strip("[]")


def _port(endpoint: str) -> int | None:
    head, _, tail = endpoint.rpartition(":")
    return int(tail) if head and tail.isdigit() else None


def _tcp(
    fields: dict[str, Field], layers: tuple[Layer, ...], src: str, dst: str, roles: Roles
) -> tuple[str, str]:
    bits = _num(fields, "tcp.flags") or 0
    flags = fields["tcp.flags"].show
    seq = _num(fields, "tcp.seq_raw")
    ack = _num(fields, "tcp.ack_raw")
    seg = _num(fields, "tcp.len") or 0
    roles.touch(src, dst)
    # Byte counts from the handshake's numbers, when the capture saw it.
    sent_before = _relative(seq, roles.isn.get((src, dst)))
    got = _relative(ack, roles.isn.get((dst, src)))
    if bits & 0x02 and not bits & 0x10:
        roles.note_syn(src, dst)
    if bits & 0x02 and seq is not None:
        roles.isn[(src, dst)] = seq
    a, b = roles.names(src, dst)
    syn, ackf, fin, rst = bits & 0x02, bits & 0x10, bits & 0x01, bits & 0x04
    summary = f"TCP {flags.replace(', ', '-') if syn and ackf else flags}"
    app_sentence, app_summary = _app(layers)
    if syn and not ackf:
        mss = _num(fields, "tcp.options.mss_val")
        tail = f" and segments up to {mss} bytes" if mss else ""
        return (
            summary,
            f"{a} asks {b} to open a conversation (SYN), proposing sequence number {seq}{tail}.",
        )
    if syn and ackf:
        roles.syns[(dst, src)] = 2
        return summary, (
            f"{a} agrees to open the conversation (SYN, ACK): it acknowledges the SYN "
            f"by answering {ack} (the other side's number + 1) and starts its own numbering at {seq}."
        )
    if rst:
        if roles.syns.get((dst, src)) == 1:
            return summary, (
                f"{a} refuses the conversation (RST): nothing is listening on port {_port(src)}."
            )
        return summary, f"{a} aborts the conversation with {b} at once (RST)."
    if fin:
        if seq is not None:
            roles.fin[(src, dst)] = (seq + seg) % 2**32
        extra = f", after {seg} last bytes of data" if seg else ""
        return summary, f"{a} says it has nothing more to send to {b} (FIN){extra}."
    if seg:
        what = f": {app_sentence}" if app_sentence else ""
        span = (
            f" (its bytes {sent_before + 1}-{sent_before + seg})" if sent_before is not None else ""
        )
        return (app_summary or f"TCP {flags} ({seg} bytes)"), _end(
            f"{a} sends {seg} bytes to {b}{span}{what}"
        )
    if roles.syns.get((src, dst)) == 2:
        roles.syns[(src, dst)] = 3
        return summary, f"{a} acknowledges {b}'s SYN (ACK): the three-way handshake is complete."
    if ack is not None and roles.fin.get((dst, src)) == (ack - 1) % 2**32:
        counted = f" and all {got - 1} bytes before it" if got is not None else ""
        return summary, f"{a} confirms it has received {b}'s FIN{counted} (ACK)."
    if got is not None:
        return summary, f"{a} confirms it has received all {got} bytes {b} has sent so far (ACK)."
    return summary, f"{a} acknowledges everything {b} sent before byte {ack} (ACK)."


def _relative(number: int | None, isn: int | None) -> int | None:
    """Bytes counted from the handshake: the SYN itself uses number ISN."""
    if number is None or isn is None:
        return None
    return (number - isn - 1) % 2**32


def _app(layers: tuple[Layer, ...]) -> tuple[str, str]:
    """(narration phrase, summary) offered by the application protocol module."""
    for layer in layers:
        app = APPS.get(layer.name.lower().split(" ")[0])
        if app is not None:
            try:
                phrase = app.describe(layers)
                summary = app.summarize(layers)
            except (ValueError, KeyError, IndexError):
                # A half-read message: let the transport speak.
                return "", ""
            if phrase or summary:
                return phrase, summary
    return "", ""


_KINDS = ("TCP", "UDP", "ICMP", "ICMPv6", "ARP")


def _end(sentence: str) -> str:
    return sentence if sentence.endswith((".", "?", "!")) else sentence + "."


def describe(layers: tuple[Layer, ...], src: str, dst: str, roles: Roles) -> tuple[str, str]:
    """(summary, sentence) for one packet."""
    try:
        return _describe(layers, src, dst, roles)
    except (KeyError, ValueError, IndexError):
        # A damaged header missing fields the sentence needs: say only what is sure.
        names = " / ".join(layer.name for layer in layers)
        return names, f"A damaged or unusual packet ({names}); its bytes are shown as they are."


def opens(layers: tuple[Layer, ...]) -> bool:
    """Whether the narration reads this packet as a connection attempt (a
    SYN without ACK), which tells `Roles` who is the client from then on."""
    transport = next((layer for layer in layers if layer.name in _KINDS), None)
    if transport is None or transport.name != "TCP":
        return False
    fields = field_map((transport,))
    bits = _num(fields, "tcp.flags")
    return bits is not None and bool(bits & 0x02) and not bits & 0x10


def _describe(layers: tuple[Layer, ...], src: str, dst: str, roles: Roles) -> tuple[str, str]:
    if not layers:
        return "Empty", "This record holds no bytes: the capture saved nothing of this packet."
    transport = next((layer for layer in layers if layer.name in _KINDS), None)
    kind = transport.name if transport else ""
    if transport is not None and kind == "TCP":
        # Everything the TCP sentence reads is in the TCP header itself.
        return _tcp(field_map((transport,)), layers, src, dst, roles)
    fields = field_map(layers)
    a, b = roles.names(src, dst)
    if kind == "UDP":
        n = max((_num(fields, "udp.length") or 8) - 8, 0)
        phrase, summary = _app(layers)
        what = f": {phrase}" if phrase else ""
        return summary or f"UDP {n} bytes", _end(f"{a} sends {b} a UDP datagram of {n} bytes{what}")
    if kind == "ICMPv6":
        what = fields["icmpv6.type"].show
        return f"ICMPv6 {what}", f"{a} sends {b} an ICMPv6 {what}."
    if kind == "ICMP":
        t = _num(fields, "icmp.type")
        kind = fields["icmp.type"].show
        if t == 11:
            return (
                f"ICMP {kind}",
                f"{a} tells {b} that a packet's time to live ran out on the way, so it was dropped (ICMP time exceeded).",
            )
        if t == 3:
            code = fields["icmp.code"].explain or f"code {fields['icmp.code'].value}"
            return (
                f"ICMP {kind}",
                f"{a} tells {b} that its packet could not be delivered ({code.rstrip('.')}).",
            )
        return f"ICMP {kind}", f"{a} sends {b} an ICMP {kind}."
    if kind == "ARP":
        op = _num(fields, "arp.opcode")
        who, tell = fields["arp.dst.proto_ipv4"].value, fields["arp.src.proto_ipv4"].value
        if op == 1:
            return (
                "ARP request",
                f"{fields['arp.src.hw_mac'].value} asks everyone on the local network: who has {who}? Tell {tell}.",
            )
        if op == 2:
            return "ARP reply", f"{tell} answers: {tell} is at {fields['arp.src.hw_mac'].value}."
        return "ARP", f"An ARP message (operation {op})."
    wifi = fields.get("wlan.fc.type_subtype")
    if wifi is not None:
        ssid = fields.get("wlan.ssid")
        named = f' for the network "{ssid.show}"' if ssid is not None and ssid.length else ""
        return (
            f"802.11 {wifi.show}" + (f', SSID="{ssid.show}"' if ssid is not None else ""),
            f"{a} → {b}: {wifi.explain.rstrip('.')}{named}. A Wi-Fi frame seen over the air "
            "(a card in monitor mode), before any IP packet.",
        )
    names = " / ".join(layer.name for layer in layers) or "nothing"
    cut = _cut_short(fields, layers, a, b)
    if cut:
        return f"{names} (cut short)", cut
    return (
        names,
        f"A packet this tool does not decode further ({names}); its bytes are shown as they are.",
    )


def _cut_short(fields: dict[str, Field], layers: tuple[Layer, ...], a: str, b: str) -> str:
    """A sentence for an IP packet whose capture stops before its end, or ""."""
    if "ip.len" in fields:
        total = _num(fields, "ip.len") or 0
    elif "ipv6.plen" in fields:
        total = (_num(fields, "ipv6.plen") or 0) + 40
    else:
        return ""
    ip_at = next((layer.offset for layer in layers if layer.name in ("IPv4", "IPv6")), 0)
    seen = max(layer.offset + layer.length for layer in layers) - ip_at
    if seen >= total:
        return ""
    proto = fields.get("ip.proto") or fields.get("ipv6.nxt")
    what = f"{proto.show} " if proto else ""
    return (
        f"{a} sends {b} a {what}packet that was cut short: only {seen} of its {total} bytes "
        "were captured, so the rest of its headers cannot be read."
    )
