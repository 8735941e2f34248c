"""One packet's bytes as Layers, and what reading them remembers.

`dissect_layers` reads the headers with `labs.dissect.proto.fast` (or a full scapy
dissection when it declines), maps each to Wireshark's fields with the
mapper `labs.dissect.proto` registers for it, and hands TCP/UDP payloads to the
application protocol the `Session` picks for that conversation. `labs.dissect.core`
builds Packets and Traces from these; `labs.dissect.session` holds the
`Session` and the choice of application protocol.
"""

from __future__ import annotations

from typing import Any

from labs.dissect import proto, tcp_window
from labs.dissect import tcp_words as words
from labs.dissect.conversations import stream_field
from labs.dissect.proto import fast, icmp_ext, inet, link
from labs.dissect.proto.base import HEADERS, plain_field, resent_layer
from labs.dissect.proto.transport import tcp_fields
from labs.dissect.proto.tunnel_marks import L2TP_PORT, PPPOE_DISCOVERY, PPPOE_SESSION, carried_by_ip
from labs.dissect.proto.walk import spots
from labs.dissect.session import Session, app_layers, data_layer, quoted_layers
from labs.dissect.tcp_analysis import NOTHING, RESENT, Segment, header_numbers
from labs.model.trace import Field, Layer

__all__ = ["Session", "data_layer", "dissect_layers", "endpoint", "padding_layer"]

_PARSERS: dict[str, Any] = {}


def _parse(data: bytes, link: str) -> Any:
    """The scapy packet for `data`, dissected down to TCP/UDP (their payload
    stays raw so protocol choice is ours, not scapy's port bindings)."""
    if not _PARSERS:
        # The mappers of headers only scapy reads (IPv6 extension headers, 802.11).
        proto.load_headers()
        # lazy: scapy takes about 0.2 s to import; paid on first use, not when labs load
        from scapy.layers.inet import IP, TCP, UDP
        from scapy.layers.inet6 import IPv6
        from scapy.layers.l2 import CookedLinux, CookedLinuxV2, Ether
        from scapy.packet import Raw

        _PARSERS.update(ip=IP, ipv6=IPv6, ethernet=Ether, raw=Raw, stop=(TCP, UDP))
        _PARSERS.update({"linux-sll": CookedLinux, "linux-sll2": CookedLinuxV2})
    if link in ("ieee80211", "radiotap") and link not in _PARSERS:
        from scapy.layers.dot11 import Dot11, RadioTap  # only for a Wi-Fi capture

        _PARSERS.update(ieee80211=Dot11, radiotap=RadioTap)
    if link in ("ethernet", "ieee80211", "radiotap", "linux-sll", "linux-sll2"):
        cls = _PARSERS[link]
    elif data and data[0] >> 4 == 6:
        cls = _PARSERS["ipv6"]
    elif data and data[0] >> 4 == 4:
        cls = _PARSERS["ip"]
    else:
        cls = _PARSERS["raw"]
    return cls(data, stop_dissection_after=_PARSERS["stop"])


def padding_layer(payload: bytes, offset: int, named: bool = True) -> Layer:
    """Bytes after the end of the IP packet: Ethernet pads a frame to its
    64-byte minimum with zeros (Wireshark's eth.padding); other bytes there
    are a trailer (eth.trailer). After a PPPoE payload Wireshark names
    neither (`named` False): tutor shows them without a filter name."""
    n = len(payload)
    if not named:
        name, wireshark, says = "Padding", None, "Bytes after the PPPoE payload: "
        says += "filler to the frame's minimum size (Wireshark does not mark them)."
    elif any(payload):  # not zeros: Wireshark calls them a trailer, not padding
        name, wireshark, says = "Trailer", "eth.trailer", "Bytes after the packet, not zeros: "
        says += "added on the way (by a switch, a tap or the sender's driver), not part of it."
    else:
        name, wireshark = "Padding", "eth.padding"
        says = "Filler bytes after the packet (the frame's minimum size)."
    return Layer(
        name,
        offset,
        n,
        (Field(name, wireshark, payload.hex(":"), f"{n} bytes", offset, n, says),),
    )


def _generic_layer(layer: Any, offset: int, packet: bytes) -> tuple[Layer, int]:
    found, length = spots(layer, offset, packet)
    # scapy's own name for the layer ("802.1Q"), not its class name.
    name = str(getattr(layer, "name", "") or type(layer).__name__)
    return Layer(name, offset, length, tuple(plain_field(layer, s) for s in found)), length


def dissect_layers(data: bytes, link: str, session: Session) -> tuple[list[Layer], dict[str, Any]]:
    """Layers of one packet, and its endpoints {src, dst, sport, dport, transport}."""
    session.analysis = NOTHING
    session.seq = None
    ends: dict[str, Any] = {"src": "", "dst": "", "sport": None, "dport": None, "transport": ""}
    if not data:
        return [], ends
    chain = fast.parse(data, link)
    if chain is None:
        if _pppoe_at(data, link):
            return _pppoe(data, session, ends, link), ends
        return _scapy_layers(data, link, session, ends, 0, []), ends
    return _map_layers(chain, data, session, ends)


def _scapy_layers(
    data: bytes, link: str, session: Session, ends: dict[str, Any], start: int, layers: list[Layer]
) -> list[Layer]:
    """The layers of data[start:] (the whole packet, or the one a tunnel
    carries) as scapy dissects them, added to `layers`."""
    try:
        chain = list(icmp_ext.whole_quote(_parse(data[start:], link)).iterpayloads())
    except Exception:
        layers.append(data_layer(data[start:], start, explain="Could not be decoded."))
        return layers
    try:
        return _map_layers(chain, data, session, ends, start, layers)[0]
    finally:
        for layer in chain:
            # Break scapy's layer <-> underlayer cycles so the packet is
            # freed at once (the cyclic collector is paused while dissecting).
            layer.underlayer = None


def _map_layers(
    chain: list[Any],
    data: bytes,
    session: Session,
    ends: dict[str, Any],
    offset: int = 0,
    layers: list[Layer] | None = None,
) -> tuple[list[Layer], dict[str, Any]]:
    """The Layers of `chain` (headers read from data[offset:]), added to `layers`."""
    if layers is None:
        layers = []
    analyzed = False
    ip: Any = None  # the IP header just read
    for layer in chain:
        name = type(layer).__name__
        if name in ("Raw", "Padding"):
            payload = bytes(layer.load)
            if not payload:
                continue
            if name == "Padding" and layers and layers[0].name.startswith("Linux cooked"):
                layers.extend(link.cooked_trailer(payload, offset, len(data)))
            elif name == "Padding":
                layers.append(padding_layer(payload, offset))
            elif (
                RESENT.intersection(session.analysis.flags)
                and ends["transport"] == "tcp"
                and not _reorders(session, ends)
            ):
                # Bytes already read in an earlier segment: reading them again
                # would count them twice in the stream's application state.
                layers.append(resent_layer(payload, offset))
            elif ends["transport"] in ("tcp", "udp") and ends["sport"] is not None:
                if ends["transport"] == "udp" and L2TP_PORT in (ends["sport"], ends["dport"]):
                    _l2tp(data, offset, offset + len(payload), session, ends, layers)
                    offset += len(payload)
                    continue
                layers.extend(
                    app_layers(
                        session,
                        payload,
                        offset,
                        ends["src"],
                        ends["sport"],
                        ends["dst"],
                        ends["dport"],
                        ends["transport"],
                    )
                )
            elif not ends["transport"] and layers and carried_by_ip(layers[-1]):
                _l2tp(data, offset, offset + len(payload), session, ends, layers, over_ip=True)
            elif layers and layers[-1].name in ("UDP (quoted)", "TCP (quoted)"):
                layers.extend(quoted_layers(session, payload, offset, layers[-1]))
            else:
                timed = inet.echo_time(layers[-1], payload, session.now) if layers else None
                skip = 0
                if timed is not None:  # ping's clock in an echo's first 8 bytes
                    layers[-1], skip = timed, 8
                if payload[skip:]:
                    layers.append(data_layer(payload[skip:], offset + skip))
            offset += len(payload)
            continue
        if name in ("IP", "IPv6") and (not ends["src"] or ends.get("link")):
            ends.pop("link", None)
            ends["src"], ends["dst"] = str(layer.src), str(layer.dst)
        elif name in ("TCP", "UDP") and ends["sport"] is None:
            ends["sport"], ends["dport"], ends["transport"] = (
                int(layer.sport),
                int(layer.dport),
                name.lower(),
            )
        elif name in ("Dot11", "Dot11FCS") and not ends["src"]:
            # An 802.11 frame's transmitter and receiver, until an IP header names better ones.
            ends["src"], ends["dst"] = str(layer.addr2 or ""), str(layer.addr1 or "")
            ends["link"] = True
        elif name in ("ICMP", "ARP") and not ends["transport"]:
            ends["transport"] = name.lower()
            if name == "ARP":
                ends["src"], ends["dst"] = str(layer.psrc), str(layer.pdst)
        # Only a TCP header under an IP header read as such belongs to a
        # conversation (a damaged packet may show TCP without one).
        if name == "TCP" and not analyzed and ends["src"]:
            analyzed = True
            try:
                fields, hlen = tcp_fields(layer, offset, data)
                tcp_name = "TCP"
            except Exception:
                lay, hlen = _generic_layer(layer, offset, data)
                tcp_name, fields = lay.name, list(lay.fields)
            lay = _analyze(session, tcp_name, fields, offset, hlen, ends)
        else:
            mapper = HEADERS.get(name, _generic_layer)
            try:
                lay, hlen = mapper(layer, offset, data)
            except Exception:
                lay, hlen = _generic_layer(layer, offset, data)
            if name in _STREAMED:
                lay = _streamed(session, lay, layer, ip)
            elif name in _IPS:
                ip = layer
        layers.append(lay)
        offset += hlen
    if offset < len(data) and not layers:
        layers.append(data_layer(data[offset:], offset))
    return layers, ends


#: EtherTypes of PPPoE discovery and session frames
_PPPOE = (PPPOE_DISCOVERY.to_bytes(2, "big"), PPPOE_SESSION.to_bytes(2, "big"))


def _pppoe_at(data: bytes, link: str) -> int:
    """Where the PPPoE header of an Ethernet frame (or a Linux cooked one,
    whose type is 2 bytes later, or first in v2) starts (after one VLAN tag,
    as many providers send it), or 0 when the frame is not PPPoE."""
    at = {"ethernet": 12, "linux-sll": 14, "linux-sll2": 0}.get(link)
    if at is None:
        return 0
    body = 20 if link == "linux-sll2" else at + 2
    if data[at : at + 2] in _PPPOE:
        return body
    tagged = data[at : at + 2] == b"\x81\x00" and data[body + 2 : body + 4] in _PPPOE
    return body + 4 if tagged else 0


def _pppoe(data: bytes, session: Session, ends: dict[str, Any], link: str) -> list[Layer]:
    """A PPPoE frame: Ethernet (and its VLAN tag), PPPoE and PPP, then the
    IP packet it carries read as any other, or the PPP control message;
    bytes after the PPPoE payload pad the Ethernet frame."""
    from labs.dissect.proto import ppp  # the reader of a tunnel, for a capture that has one

    at = _pppoe_at(data, link)
    layers: list[Layer] = []
    offset = 0
    for header in list(_parse(data[:at], link).iterpayloads()):
        lay, hlen = HEADERS.get(type(header).__name__, _generic_layer)(header, offset, data)
        layers.append(lay)
        offset += hlen
        header.underlayer = None  # no cycle left for the paused collector
    try:
        kind = at - 2 if link != "linux-sll2" or at > 20 else 0  # the type, in v2 untagged first
        framed = ppp.pppoe(data, at, int.from_bytes(data[kind : kind + 2], "big"))
    except (ValueError, IndexError):
        layers.append(data_layer(data[at:], at, explain="Could not be read as PPPoE."))
        return layers
    layers += framed.layers
    # Until an IP header inside names better ones, the frame's ends are its MAC addresses.
    src, dst = ppp.frame_ends(layers[0])
    ends.update(src=src, dst=dst, link=True)
    end = min(len(data), at + 6 + int.from_bytes(data[at + 4 : at + 6], "big"))
    if framed.kind:
        _scapy_or_fast(data[:end], framed.inner_at, session, ends, layers)
    if end < len(data):
        layers.append(padding_layer(data[end:], end, named=False))
    return layers


def _l2tp(
    data: bytes,
    start: int,
    end: int,
    session: Session,
    ends: dict[str, Any],
    layers: list[Layer],
    over_ip: bool = False,
) -> None:
    """An L2TP message in data[start:end] (a UDP payload); the IP packet in
    its PPP frame is read as a packet of its own: its TCP analysis and its
    protocol's state follow its own addresses and ports (as Wireshark's do),
    while the packet stays in the tunnel's conversation (`ends`), whose UDP
    datagram the narration describes."""
    from labs.dissect.proto import l2tp3  # the reader of a tunnel, for a capture that has one

    try:
        framed = l2tp3.dissect(data, start, end, over_ip)
    except (ValueError, IndexError):
        layers.append(data_layer(data[start:end], start, explain="Could not be read as L2TP."))
        return
    layers += framed.layers
    if not framed.kind and start < framed.inner_at < end:  # L2TPv3 data: its session's type unknown
        layers.append(data_layer(data[framed.inner_at : end], framed.inner_at))
    if framed.kind:
        inner: dict[str, Any] = {"src": "", "dst": "", "sport": None, "dport": None}
        inner["transport"] = ""
        _scapy_or_fast(data[:end], framed.inner_at, session, inner, layers)


def _scapy_or_fast(
    data: bytes, start: int, session: Session, ends: dict[str, Any], layers: list[Layer]
) -> list[Layer]:
    """The IP packet at data[start:] (inside a tunnel) added to `layers`."""
    chain = fast.parse(data[start:], "raw")
    if chain is None:
        return _scapy_layers(data, "raw", session, ends, start, layers)
    return _map_layers(chain, data, session, ends, start, layers)[0]


#: IP headers (an ICMP error's quote too) and the TCP/UDP headers numbered
#: by conversation besides the TCP header `_analyze` reads (Wireshark numbers
#: a conversation a header quoted in an ICMP error names, too).
_IPS = frozenset(("IP", "IPv6", "IPerror", "IPerror6"))
_STREAMED = {"UDP": "udp", "UDPerror": "udp", "TCPerror": "tcp"}


def _streamed(session: Session, lay: Layer, header: Any, ip: Any) -> Layer:
    """A UDP header (or a TCP/UDP header quoted in an ICMP error) with its
    conversation's Wireshark stream number (tcp.stream, udp.stream); `ip`
    is the IP header read before it (None: no addresses)."""
    src, dst = ("", "") if ip is None else (str(ip.src), str(ip.dst))
    try:
        a, b = endpoint(src, int(header.sport)), endpoint(dst, int(header.dport))
    except (AttributeError, TypeError, ValueError):
        return lay  # cut short before its ports
    transport = _STREAMED[type(header).__name__]
    n = session.stream_index.number(transport, a, b, session.index)
    fields = (*lay.fields, stream_field(transport, n, lay.offset))
    if transport == "tcp":
        fields = tcp_window.quoted(fields, session.tcp, a, b, lay.offset)
    return Layer(lay.name, lay.offset, lay.length, fields)


def _analyze(
    session: Session, name: str, fields: Any, offset: int, length: int, ends: dict[str, Any]
) -> Layer:
    """The TCP layer of these header fields with Wireshark's computed ones
    (relative numbers, `tcp.stream`, the scaled window, `tcp.analysis.*`) added, and
    `session.analysis` set for the narration."""
    try:
        seq, ack, bits, seglen, window, wscale = header_numbers(fields)
    except (KeyError, ValueError):
        return Layer(name, offset, length, tuple(fields))  # a damaged header: nothing sure to say
    segment = Segment(
        endpoint(ends["src"], ends["sport"]),
        endpoint(ends["dst"], ends["dport"]),
        seq,
        ack,
        bits,
        seglen,
        window,
        wscale,
        session.now,
        session.wire_index,
        session.now_ns,
    )
    session.seq = segment.seq
    analyzer = session.tcp
    found = analyzer.analyze(segment, offset)
    if analyzer.reused:
        session.stream_index.renew("tcp", segment.src, segment.dst, session.index)
    n = session.stream_index.number("tcp", segment.src, segment.dst, session.index)
    found = analyzer.numbered(found, n)
    given = words.numbered(
        tuple(fields),
        analyzer.numbers,
        bool(segment.flags & 0x10),
        stream_field("tcp", n, offset),
        offset,
    )
    given = tcp_window.scaled(given, analyzer, segment, offset)
    if not found.flags:
        return Layer(name, offset, length, given)
    session.analysis = found
    return Layer(name, offset, length, (*given, *found.fields))


def _reorders(session: Session, ends: dict[str, Any]) -> bool:
    """The conversation's protocol puts resent bytes in place itself (`App.reorders`)."""
    conv = frozenset(((ends["src"], ends["sport"]), (ends["dst"], ends["dport"])))
    app = proto.app_named(session.proto(conv) or "")
    return app is not None and app.reorders


def endpoint(ip: str, port: int | None) -> str:
    if port is None:
        return ip
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"
