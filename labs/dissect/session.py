"""What the packets of one trace share while they are read (`Session`), and
the application protocol each TCP/UDP payload is handed to.

`labs.dissect.layers` reads the headers and calls `app_layers` with a
payload and its conversation; the `Session` remembers the protocol chosen for
each conversation and each direction's `Stream`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from labs.dissect import idle, narrate, proto
from labs.dissect.conversations import Streams
from labs.dissect.proto.base import App, Stream
from labs.dissect.tcp_analysis import NOTHING, Analyzer, Found
from labs.model.trace import Field, Layer

#: Whether this process linked two conversations: FTP announced a data
#: connection on its control one, or TFTP's server answered from a new port.
#: Two processes reading a capture's conversations apart cannot see such a
#: link, so `labs.files.parallel` reads the capture again in one process.
LINKED = [False]


class _Links(dict):  # type: ignore[type-arg]
    """`Session.followed` and `Session.expected`: an entry sets LINKED."""

    def __setitem__(self, key: object, value: object) -> None:
        LINKED[0] = True
        super().__setitem__(key, value)


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
        self.followed: dict[tuple[str, int], str] = _Links()
        #: port -> protocol a module announced for a connection to come (`Stream.expect`)
        self.expected: dict[int, str] = _Links()
        #: one direction (src, sport, dst, dport) -> what its protocol module remembers
        self.streams: dict[tuple[str, int, str, int], Stream] = {}
        # A port a lab names for its protocol is where its server listens
        # (also for the plaintext recorded inside that server's tunnel).
        self.roles = narrate.Roles(client, [int(k) for k in decode_as or {}])
        #: Wireshark's TCP analysis of the packets read so far
        self.tcp = Analyzer()
        #: Wireshark's tcp.stream / udp.stream numbers (a first pass's, shared)
        self.stream_index = Streams()
        #: the time and trace index of the packet being read (set by
        #: `labs.dissect.core.dissect_packet`; TCP analysis needs both)
        self.now = 0.0
        #: `now` in whole nanoseconds since the epoch (-1: not known; `RawPacket.ns`)
        self.now_ns = -1
        self.index = 0
        #: its index among the packets on the wire alone: Wireshark's frame
        #: number less one, which TCP analysis' *_frame fields name (a lab's
        #: plaintext read inside TLS is in the trace, not in the pcap)
        self.wire_index = 0
        #: what TCP analysis found in the packet just read
        self.analysis: Found = NOTHING
        #: the raw sequence number of its TCP payload (None: no TCP read)
        self.seq: int | None = None
        #: conversations idle for a sweep, as bytes (`labs.dissect.idle`), by name
        self.frozen: dict[str, bytes] = {}
        #: conversation -> when a packet last came to it (in `proto` calls)
        self._touched: dict[idle.Conv, int] = {}
        self._calls = 0

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
        name = proto.by_port(transport, dport, session.excluded)
        name = name or proto.by_port(transport, sport, session.excluded)
        name = name or proto.detected(transport, payload, session.excluded)
    if name == "http" and b"\r\nupgrade: websocket" in payload[:4096].lower():
        # An HTTP request asking to switch to WebSocket: the websocket module
        # reads the handshake and the frames that follow on this connection.
        name = "websocket"
    chosen = proto.app_named(name)
    if chosen and transport not in chosen.transport and proto.app_named(f"{name}-{transport}"):
        # The same protocol framed for this transport (DNS over TCP has a length prefix).
        name = f"{name}-{transport}"
    if name and (transport == "tcp" or (chosen is not None and chosen.sticky)):
        session.protos[conv] = name
    return name


def app_layers(
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
    app = proto.app_named(name)
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
            # Between which addresses (FTP compares them with the ones its commands name).
            stream.state["addresses"] = (src, dst)
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


def quoted_layers(session: Session, payload: bytes, offset: int, head: Layer) -> list[Layer]:
    """The UDP or TCP payload an ICMP error quotes (after `head`), read as
    the protocol its ports name (as Wireshark reads it), each layer marked
    "(quoted)" so it is never taken for the packet's own; read apart from
    the conversation's state."""
    transport = head.name.split(" ", 1)[0].lower()
    ends = (f"{transport}.srcport", f"{transport}.dstport")
    ports = [int(f.value) for f in head.fields if f.filter in ends]
    names = (proto.by_port(transport, port, session.excluded) for port in ports[::-1])
    app = proto.app_named(next((name for name in names if name), ""))
    if app is not None and not app.follows_client:
        try:
            found = app.dissect(payload, offset, Stream())
        except Exception:
            found = []
        if found:
            return [_quoted(lay, transport) for lay in found]
    return [data_layer(payload, offset)]


#: What the reader's own words on a TCP segment's bytes become in a quote.
_QUOTE = (
    "The start of the segment's data, as the ICMP error quotes it: a record or message "
    "is read here only if the quote holds all of it (as Wireshark reads it)."
)


def _quoted(lay: Layer, transport: str) -> Layer:
    """A layer read in a quoted payload, named as quoted; for TCP the words
    on its unnamed runs of data (about a stream's segments and gaps) speak
    of the quote instead."""
    fields = lay.fields
    if transport == "tcp":
        fields = tuple(
            replace(f, explain=_QUOTE) if f.filter is None and f.length > 4 else f for f in fields
        )
    return replace(lay, name=f"{lay.name} (quoted)", fields=fields)
