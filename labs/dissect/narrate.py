"""One plain sentence per packet, built from that packet's own fields.

Every number or name in a sentence is read from the dissected fields of the
packet it describes (ports, flags, sequence numbers, the HTTP request line),
so the text can never disagree with the bytes shown beside it.
"""

from __future__ import annotations

from itertools import chain
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from labs.dissect.patterns import host
from labs.dissect.proto import app_named
from labs.dissect.roles import Roles, port_of
from labs.dissect.tcp_words import reset, stray_ack
from labs.model.trace import Field, Layer

if TYPE_CHECKING:
    from labs.dissect.proto.tunnel import Carried


def field_map(layers: tuple[Layer, ...]) -> dict[str, Field]:
    """Wireshark name -> the first field with that name (the outer header wins).
    The dict is shared: callers read it, never change it."""
    # Built backwards, so each name's first field is the one left.
    if len(layers) == 1:
        layer = layers[0]
        if layer is _LAST[0]:
            return _LAST[1]
        back = layer.fields[::-1]  # one header (the transport's): most calls
    else:
        back = tuple(chain.from_iterable(map(_FIELDS, layers)))[::-1]
    out: dict[str | None, Field] = dict(zip(map(_FILTER, back), back, strict=True))
    out.pop(None, None)
    out.pop("", None)
    if len(layers) == 1:
        _LAST[0], _LAST[1] = layers[0], out
    return out  # type: ignore[return-value]


#: The last single layer mapped and its map: the narration maps a packet's TCP
#: header, then the step view (`labs.dissect.steps.view`) maps the same Layer.
_LAST: list[Any] = [None, None]


_FIELDS, _FILTER, _NAME = attrgetter("fields"), attrgetter("filter"), attrgetter("name")


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
    if seg:
        offered = _offered(layers, src, dst, roles, f"TCP {flags} ({seg} bytes")
        app_sentence, app_summary = offered if offered[0] else (app_sentence, app_summary)
    if syn and not ackf:
        mss = _num(fields, "tcp.options.mss_val")
        tail = f" and segments up to {mss} bytes" if mss else ""
        said = f"{a} asks {b} to open a conversation (SYN), proposing sequence number {seq}{tail}."
        return summary, said
    if syn and ackf:
        roles.syns[(dst, src)] = 2
        return summary, (
            f"{a} agrees to open the conversation (SYN, ACK): it acknowledges the SYN "
            f"by answering {ack} (the other side's number + 1) and starts its own numbering at {seq}."
        )
    if rst:  # a refusal only when it acknowledges the SYN, which nothing else answered
        return summary, reset(a, b, port_of(src), ack if ackf else None, roles.syns.get((dst, src)) == 1, roles.isn.get((dst, src)))  # fmt: skip
    if fin and seq is not None:
        roles.fin[(src, dst)] = (seq + seg) % 2**32
    if fin and not seg:
        return summary, f"{a} says it has nothing more to send to {b} (FIN)."
    if seg:
        what = f": {app_sentence.rstrip('.')}" if app_sentence else ""
        span = (
            f" (its bytes {sent_before + 1}-{sent_before + seg})" if sent_before is not None else ""
        )
        sentence = _end(f"{a} sends {seg} bytes to {b}{span}{what}")
        line = app_summary or f"TCP {flags} ({seg} bytes)"
        if fin:
            # The data and the end of this side in one segment: say both.
            line += " + FIN" if app_summary else ""
            sentence += " The same segment carries a FIN: these are its last bytes; it will send nothing more."
        return line, sentence
    if roles.syns.get((src, dst)) == 2:
        stray = stray_ack(a, b, seq, ack, roles.isn.get((dst, src)), roles.fin.get((src, dst)), roles.fin.get((dst, src)))  # fmt: skip
        if stray:  # short of the SYN-ACK it answers: not its handshake's last ACK
            return summary, stray
        roles.syns[(src, dst)] = 3
        return summary, f"{a} acknowledges {b}'s SYN (ACK): the three-way handshake is complete."
    if ack is not None and roles.fin.get((dst, src)) == (ack - 1) % 2**32:
        counted = f" and all {got - 1} bytes before it" if got is not None else ""
        return summary, f"{a} confirms it has received {b}'s FIN{counted} (ACK)."
    if got is not None:
        return summary, f"{a} confirms it has received all {got} bytes {b} has sent so far (ACK)."
    return summary, f"{a} acknowledges everything {b} sent before byte {ack} (ACK)."


#: The FTP fields that offer a data port, and where Wireshark 4.0 expects that
#: connection (labs.dissect.proto.ftp_ports.linked_ports).
_OFFERS = {"ftp.active.port": "PORT", "ftp.eprt.port": "EPRT", "ftp.passive.port": "PASV"}
_EXPECTS = {
    "PORT": "from the server's port 20",
    "EPRT": "between port {port} on the address the client sent EPRT from and the address "
    "EPRT names (one host talking to itself)",
    "PASV": "at the address the server's reply named, and it goes to another (as behind NAT, "
    "where the server names the router's public address)",
}


def _offered(
    layers: tuple[Layer, ...], src: str, dst: str, roles: Roles, line: str
) -> tuple[str, str]:
    """Notes the data ports an FTP PORT or EPRT command offers; for bytes on
    such a port that Wireshark shows as plain data (it does not link the
    connection to the command), (sentence, summary) that say whose they are,
    else ("", "")."""
    names = [layer.name for layer in layers]
    if "FTP" in names:
        for f in layers[names.index("FTP")].fields:
            if f.filter in _OFFERS:
                roles.offered[int(f.value)] = _OFFERS[f.filter]
    if not roles.offered or "Data" not in names:
        return "", ""
    port = next((p for p in (port_of(dst), port_of(src)) if p in roles.offered), None)
    if port is None:
        return "", ""
    command = roles.offered[port]
    expects = _EXPECTS[command].format(port=port)
    who = "server" if command == "PASV" else "client"
    return (
        f"FTP data on the connection the {who} offered with {command} (port {port}), the "
        f"file or listing a command asked for. Wireshark 4.0 shows these bytes as plain data: "
        f"it expects this connection {expects}, so it does not link it to {command}",
        f"{line} of FTP data)",
    )


def _relative(number: int | None, isn: int | None) -> int | None:
    """Bytes counted from the handshake: the SYN itself uses number ISN."""
    if number is None or isn is None:
        return None
    return (number - isn - 1) % 2**32


def _app(layers: tuple[Layer, ...]) -> tuple[str, str]:
    """(narration phrase, summary) offered by the application protocol module."""
    for layer in layers:
        app = app_named(_APP_KEYS.get(layer.name) or _app_key(layer.name))
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


#: layer name -> the App it would belong to ("HTTP body" -> "http")
_APP_KEYS: dict[str, str] = {}


def _app_key(name: str) -> str:
    key = _APP_KEYS[name] = name.lower().split(" ")[0]
    if len(_APP_KEYS) > 4096:
        _APP_KEYS.clear()
    return key


_KINDS = ("TCP", "UDP", "ICMP", "ICMPv6", "ARP")


def _end(sentence: str) -> str:
    return sentence if sentence.endswith((".", "?", "!")) else sentence + "."


def _carried(layers: tuple[Layer, ...], src: str, dst: str) -> Carried | None:
    """What an L2TP tunnel carries, by the module imported for the first
    packet with a tunnel (a capture without one never needs it)."""
    from labs.dissect.proto import tunnel

    return tunnel.carried(layers, src, dst)


def describe(layers: tuple[Layer, ...], src: str, dst: str, roles: Roles) -> tuple[str, str]:
    """(summary, sentence) for one packet; a packet an L2TP tunnel carries
    by what it is, then by the tunnel (`labs.dissect.proto.tunnel`)."""
    try:
        inside = _carried(layers, src, dst) if "L2TP" in map(_NAME, layers) else None
        if inside is not None:
            summary, sentence = _describe(inside.layers, inside.src, inside.dst, roles)
            return summary, f"{sentence} {inside.words}"
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
        said = f"{a} sends {b} a UDP datagram carrying {n} bytes of data{what}"
        return summary or f"UDP {n} bytes", _end(said)
    if kind == "ICMPv6":
        what = fields["icmpv6.type"].show
        said = _neighbor(fields, a, b, dst)
        if not said and fields["icmpv6.type"].value in ("133", "143"):
            # An MLDv2 report or a router solicitation: their names alone say nothing.
            from labs.dissect.proto.icmpv6_words import sentence

            said = sentence(layers, fields, a, b)
        return f"ICMPv6 {what}", said or f"{a} sends {b} an ICMPv6 {what}."
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
        return _arp(fields, roles)
    if "wlan.fc.type_subtype" in fields:
        from labs.dissect.proto.wifi import told  # only a Wi-Fi capture needs it

        return told(fields, a, b)
    phrase, summary = _app(layers)  # a link-layer message: PPPoE discovery, PPP's LCP
    if summary:
        return summary, _end(f"{a} sends {b} {phrase}")
    names = " / ".join(layer.name for layer in layers) or "nothing"
    cut = _cut_short(fields, layers, a, b)
    if cut:
        return f"{names} (cut short)", cut
    return (
        names,
        f"A packet this tool does not decode further ({names}); its bytes are shown as they are.",
    )


def _neighbor(fields: dict[str, Field], a: str, b: str, dst: str) -> str:
    """IPv6 Neighbor Discovery (RFC 4861), IPv6's ARP, in ARP's words; ""
    for other ICMPv6. The hardware addresses are the options' (RFC 4861 4.6.1),
    not the frame's sender."""
    kind = fields["icmpv6.type"].value
    mine = fields.get("icmpv6.opt.src_linkaddr")
    gives = (
        f" It gives its own hardware address, {mine.value} (source link-layer address option), "
        "so the answer needs no asking back."
        if mine is not None
        else ""
    )
    if kind == "135" and "icmpv6.nd.ns.target_address" in fields:
        target = fields["icmpv6.nd.ns.target_address"].value
        if "ipv6.src" in fields and fields["ipv6.src"].value == "::":
            return (
                f"A machine checks that nobody else uses {target}: it asks who has it, from the "
                "unspecified address :: (duplicate address detection)."
            )
        if dst.startswith("ff02::1:ff"):
            return (
                f"{a} asks the local network, by multicast to the solicited-node group of "
                f"{target} ({b}): who has {target}?{gives}"
            )
        return (
            f"{a} asks {b} directly whether it still has {target} (is it still reachable?).{gives}"
        )
    if kind == "136" and "icmpv6.nd.na.target_address" in fields:
        target = fields["icmpv6.nd.na.target_address"].value
        given = fields.get("icmpv6.opt.target_linkaddr")
        where = (
            f"{target} is at {given.value} (target link-layer address option)"
            if given is not None
            else f"it has {target} (it gives no link-layer address option)"
        )
        solicited = fields.get("icmpv6.nd.na.flag.s")
        if solicited is not None and solicited.value == "1":
            return f"{a} answers {b}: {where}."
        return f"{a} tells {b}, unasked, that {where.replace('it answers for', 'it has')}."
    return ""


def _yours(roles: Roles, address: str) -> bool:
    """Whether `address` (no port) is the learner's own computer (`--client`)."""
    return bool(roles.client) and host(roles.client or "") == address


def _arp(fields: dict[str, Field], roles: Roles) -> tuple[str, str]:
    """ARP (RFC 826) in the words IP packets use for the learner's own side:
    the asker's hardware address, or the answerer, as "your computer"."""
    op = _num(fields, "arp.opcode")
    who, tell = fields["arp.dst.proto_ipv4"].value, fields["arp.src.proto_ipv4"].value
    mac = fields["arp.src.hw_mac"].value
    if op == 1:
        asker = f"your computer ({mac})" if _yours(roles, tell) else mac
        return (
            "ARP request",
            f"{asker} asks everyone on the local network: who has {who}? Tell {tell}.",
        )
    if op == 2:
        if _yours(roles, tell):
            return "ARP reply", f"your computer ({tell}) answers: {tell} is at {mac}."
        to = f" your computer ({who})" if _yours(roles, who) else ""
        return "ARP reply", f"{tell} answers{to}: {tell} is at {mac}."
    return "ARP", f"An ARP message (operation {op})."


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
