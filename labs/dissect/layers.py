"""One packet's bytes as Layers, and what reading them remembers.

`dissect_layers` reads the headers with `labs.dissect.proto.fast` (or a full scapy
dissection when it declines), maps each to Wireshark's fields with the
mapper `labs.dissect.proto` registers for it, and hands TCP/UDP payloads to the
application protocol the `Session` picks for that conversation. `labs.dissect.core`
builds Packets and Traces from these.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from labs.dissect import idle, narrate, proto
from labs.dissect.proto import fast, inet
from labs.dissect.proto.base import APPS, HEADERS, App, Stream, plain_field, resent_layer
from labs.dissect.proto.walk import spots
from labs.dissect.tcp_analysis import NOTHING, RESENT, Analyzer, Found, Segment
from labs.trace import Field, Layer


class Session:
    """Memory shared by the packets of one trace that crossed one place.

    `origin` is the packets' RawPacket.origin: packets not on the wire
    ("inside-tls": plaintext recorded inside the tunnel) are already
    decrypted, so TLS is never what they carry, whatever `decode_as` says of
    their ports."""

    def __init__(
        self,
        decode_as: Mapping[int, str] | None = None,
        client: str | None = None,
        origin: str = "wire",
    ):
        #: application protocols these packets cannot carry
        self.excluded = frozenset() if origin == "wire" else frozenset({"tls"})
        self.decode_as = {int(k): v for k, v in (decode_as or {}).items() if v not in self.excluded}
        #: conversation (frozenset of both endpoints) -> application protocol name
        self.protos: dict[frozenset[tuple[str, int]], str] = {}
        #: a client endpoint -> the protocol that follows it (`App.follows_client`)
        self.followed: dict[tuple[str, int], str] = {}
        #: port -> protocol a module announced for a connection to come (`Stream.expect`)
        self.expected: dict[int, str] = {}
        #: one direction (src, sport, dst, dport) -> what its protocol module remembers
        self.streams: dict[tuple[str, int, str, int], Stream] = {}
        # A port a lab names for its protocol is where its server listens
        # (also for the plaintext recorded inside that server's tunnel).
        self.roles = narrate.Roles(client, [int(k) for k in decode_as or {}])
        self._apps: dict[str, list[App]] = {}
        #: Wireshark's TCP analysis of the packets read so far
        self.tcp = Analyzer()
        #: the time and trace index of the packet being read (set by
        #: `labs.dissect.core.dissect_packet`; TCP analysis needs both)
        self.now = 0.0
        self.index = 0
        #: what TCP analysis found in the packet just read
        self.analysis: Found = NOTHING
        #: the raw sequence number of its TCP payload (None: no TCP read)
        self.seq: int | None = None
        #: conversations idle for a sweep, as bytes (`labs.dissect.idle`), by name
        self.frozen: dict[str, bytes] = {}
        #: conversation -> when a packet last came to it (in `proto` calls)
        self._touched: dict[idle.Conv, int] = {}
        self._calls = 0

    def apps(self, transport: str) -> list[App]:
        """The application protocols that may ride on `transport` here."""
        found = self._apps.get(transport)
        if found is None:
            found = self._apps[transport] = [
                a for a in APPS.values() if transport in a.transport and a.name not in self.excluded
            ]
        return found

    def proto(self, conv: idle.Conv) -> str | None:
        """The protocol chosen for `conv`, if any; a frozen conversation
        comes back whole (its Streams too), and idle ones are frozen."""
        if self.frozen:
            blob = self.frozen.pop(idle.conv_name(conv), None)
            if blob is not None:
                idle.thaw_session(blob, self.protos, self.streams, conv, self.expected)
        self._calls += 1
        self._touched[conv] = self._calls
        if self._calls % idle.SWEEP == 0:
            idle.sweep_session(self._touched, self._calls - idle.SWEEP, self)
        return self.protos.get(conv)

    def stream(self, src: str, sport: int, dst: str, dport: int) -> Stream:
        key = (src, sport, dst, dport)
        st = self.streams.get(key)
        if st is None:
            back = self.streams.get((dst, dport, src, sport))
            shared = {} if back is None else back.shared
            st = self.streams[key] = Stream(shared=shared, expect=self.expected)
        return st


_PARSERS: dict[str, Any] = {}


def _parse(data: bytes, link: str) -> Any:
    """The scapy packet for `data`, dissected down to TCP/UDP (their payload
    stays raw so protocol choice is ours, not scapy's port bindings)."""
    if not _PARSERS:
        # lazy: scapy takes about 0.2 s to import; paid on first use, not when labs load
        from scapy.layers.dot11 import Dot11, RadioTap
        from scapy.layers.inet import IP, TCP, UDP
        from scapy.layers.inet6 import IPv6
        from scapy.layers.l2 import CookedLinux, Ether
        from scapy.packet import Raw

        _PARSERS.update(ip=IP, ipv6=IPv6, ethernet=Ether, sll=CookedLinux, raw=Raw, stop=(TCP, UDP))
        _PARSERS.update(ieee80211=Dot11, radiotap=RadioTap)
    if link in ("ethernet", "ieee80211", "radiotap"):
        cls = _PARSERS[link]
    elif link == "linux-sll":
        cls = _PARSERS["sll"]
    elif data and data[0] >> 4 == 6:
        cls = _PARSERS["ipv6"]
    elif data and data[0] >> 4 == 4:
        cls = _PARSERS["ip"]
    else:
        cls = _PARSERS["raw"]
    return cls(data, stop_dissection_after=_PARSERS["stop"])


def data_layer(payload: bytes, offset: int, name: str = "Data", explain: str = "") -> Layer:
    """Bytes this tool does not decode, shown as they are."""
    n = len(payload)
    return Layer(
        name,
        offset,
        n,
        (
            Field("Data", "data.data", payload.hex(":"), f"{n} bytes", offset, n, explain),
            Field("Length", "data.len", str(n), f"{n} bytes", offset, n),
        ),
    )


def padding_layer(payload: bytes, offset: int) -> Layer:
    """Bytes after the end of the IP packet: Ethernet pads a frame to its
    64-byte minimum with zeros (Wireshark's eth.padding); other bytes there
    are a trailer (eth.trailer)."""
    n = len(payload)
    if any(payload):  # not zeros: Wireshark calls them a trailer, not padding
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


def _app_name(
    session: Session, src: str, sport: int, dst: str, dport: int, transport: str, payload: bytes
) -> str:
    conv = frozenset(((src, sport), (dst, dport)))
    known = session.proto(conv)
    if known:
        return known
    name = session.decode_as.get(dport) or session.decode_as.get(sport)
    if not name and session.expected:
        name = session.expected.get(dport) or session.expected.get(sport) or ""
    if not name and session.followed:
        name = session.followed.get((src, sport)) or session.followed.get((dst, dport)) or ""
    if not name and payload.startswith(b"PRI * HTTP/2.0\r\n"):
        name = "http2"  # the HTTP/2 preface says so on any port (h2c on 8080)
    if not name:
        apps = session.apps(transport)
        for port in (dport, sport):
            name = next((a.name for a in apps if port in a.ports), "")
            if name:
                break
        if not name:
            name = next((a.name for a in apps if a.detect and a.detect(payload)), "")
    if name == "http" and b"\r\nupgrade: websocket" in payload[:4096].lower():
        # An HTTP request asking to switch to WebSocket: the websocket module
        # reads the handshake and the frames that follow on this connection.
        name = "websocket"
    chosen = APPS.get(name)
    if chosen and transport not in chosen.transport and f"{name}-{transport}" in APPS:
        # The same protocol framed for this transport (DNS over TCP has a length prefix).
        name = f"{name}-{transport}"
    if name and (transport == "tcp" or (chosen is not None and chosen.sticky)):
        session.protos[conv] = name
    return name


def _app_layers(
    session: Session,
    payload: bytes,
    offset: int,
    src: str,
    sport: int,
    dst: str,
    dport: int,
    transport: str,
) -> list[Layer]:
    name = _app_name(session, src, sport, dst, dport, transport, payload)
    app = APPS.get(name)
    if app is None:
        return [data_layer(payload, offset)]
    try:
        if app.follows_client:
            return _followed(session, app, payload, offset, src, sport, dst, dport)
        stream = session.stream(src, sport, dst, dport)
        if transport == "tcp":
            # What TCP analysis found here (a gap, bytes out of order): a module
            # that reassembles (HTTP) says so rather than join bytes that do not follow.
            stream.state["tcp.analysis"] = session.analysis.flags
            stream.state["tcp.seq"] = session.seq
        return app.dissect(payload, offset, stream)
    except Exception:
        # A malformed or partial message: show the bytes rather than fail.
        return [data_layer(payload, offset, explain=f"Could not be read as {name.upper()}.")]


def _followed(
    session: Session,
    app: App,
    payload: bytes,
    offset: int,
    src: str,
    sport: int,
    dst: str,
    dport: int,
) -> list[Layer]:
    """A protocol whose server answers from a new port: its first message to
    a well-known port names the client endpoint, which is then followed."""
    if dport in app.ports and (src, sport) not in session.followed:
        session.followed[(src, sport)] = app.name
    client = (src, sport) if (src, sport) in session.followed else (dst, dport)
    return app.dissect(payload, offset, session.stream(client[0], client[1], "", 0))


def _generic_layer(layer: Any, offset: int, packet: bytes) -> tuple[Layer, int]:
    found, length = spots(layer, offset, packet)
    # scapy's own name for the layer ("802.1Q"), not its class name.
    name = str(getattr(layer, "name", "") or type(layer).__name__)
    return Layer(name, offset, length, tuple(plain_field(layer, s) for s in found)), length


def dissect_layers(data: bytes, link: str, session: Session) -> tuple[list[Layer], dict[str, Any]]:
    """Layers of one packet, and its endpoints {src, dst, sport, dport, transport}."""
    proto.load()
    session.analysis = NOTHING
    session.seq = None
    ends: dict[str, Any] = {"src": "", "dst": "", "sport": None, "dport": None, "transport": ""}
    if not data:
        return [], ends
    chain = fast.parse(data, link)
    if chain is None:
        try:
            chain = list(_parse(data, link).iterpayloads())
        except Exception:
            return [data_layer(data, 0, explain="Could not be decoded.")], ends
        try:
            return _map_layers(chain, data, session, ends)
        finally:
            for layer in chain:
                # Break scapy's layer <-> underlayer cycles so the packet is
                # freed at once (the cyclic collector is paused while dissecting).
                layer.underlayer = None
    return _map_layers(chain, data, session, ends)


def _map_layers(
    chain: list[Any], data: bytes, session: Session, ends: dict[str, Any]
) -> tuple[list[Layer], dict[str, Any]]:
    layers: list[Layer] = []
    offset = 0
    analyzed = False
    for layer in chain:
        name = type(layer).__name__
        if name in ("Raw", "Padding"):
            payload = bytes(layer.load)
            if not payload:
                continue
            if name == "Padding":
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
                layers.extend(
                    _app_layers(
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
        mapper = HEADERS.get(name, _generic_layer)
        try:
            lay, hlen = mapper(layer, offset, data)
        except Exception:
            lay, hlen = _generic_layer(layer, offset, data)
        # Only a TCP header under an IP header read as such belongs to a
        # conversation (a damaged packet may show TCP without one).
        if name == "TCP" and not analyzed and ends["src"]:
            analyzed = True
            lay = _analyze(session, lay, ends)
        layers.append(lay)
        offset += hlen
    if offset < len(data) and not layers:
        layers.append(data_layer(data[offset:], offset))
    return layers, ends


def _analyze(session: Session, tcp: Layer, ends: dict[str, Any]) -> Layer:
    """The TCP layer with Wireshark's `tcp.analysis.*` fields added, and
    `session.analysis` set for the narration."""
    by: dict[str, str] = {}
    for f in tcp.fields:
        if f.filter and f.filter not in by:
            by[f.filter] = f.value
    try:
        wscale = by.get("tcp.options.wscale.shift")
        segment = Segment(
            endpoint(ends["src"], ends["sport"]),
            endpoint(ends["dst"], ends["dport"]),
            int(by["tcp.seq_raw"]),
            int(by["tcp.ack_raw"]),
            int(by["tcp.flags"], 16),
            int(by["tcp.len"]),
            int(by["tcp.window_size_value"]),
            int(wscale) if wscale is not None else None,
            session.now,
            session.index,
        )
    except (KeyError, ValueError):
        return tcp  # a damaged header: nothing sure to say
    session.seq = segment.seq
    found = session.tcp.analyze(segment, tcp.offset)
    if not found.flags:
        return tcp
    session.analysis = found
    return Layer(tcp.name, tcp.offset, tcp.length, (*tcp.fields, *found.fields))


def _reorders(session: Session, ends: dict[str, Any]) -> bool:
    """The conversation's protocol puts resent bytes in place itself (`App.reorders`)."""
    conv = frozenset(((ends["src"], ends["sport"]), (ends["dst"], ends["dport"])))
    app = APPS.get(session.proto(conv) or "")
    return app is not None and app.reorders


def endpoint(ip: str, port: int | None) -> str:
    if port is None:
        return ip
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"
