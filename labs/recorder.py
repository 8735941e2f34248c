"""Recording a lab's traffic at the socket, for when it cannot be captured.

A `Recorder` hands out `RecordingSocket` proxies. Each proxy passes every call
through to the real socket (or TLS object) it wraps and notes, with a
timestamp, what the network would have seen: the connection attempt and its
outcome (established, refused, timed out), every byte sent and received, and
how each side stopped (FIN or RST). The notes are kept per conversation and
read back as frozen `ConversationLog`s, from which `labs.reconstruct` rebuilds
IP/TCP/UDP packets and labs read the exact bytes of each exchange.

The bytes are exact; packet boundaries, sequence numbers and timings are
rebuilt later, so nothing here pretends to be a capture.
"""

from __future__ import annotations

import io
import ipaddress
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

Address = tuple[str, int]

#: Bytes kept per conversation; beyond this only the count is kept, so a
#: huge download cannot fill memory.
MAX_BYTES = 8 * 1024 * 1024

#: Event kinds. connect: the client sent SYN; established: the handshake
#: completed; refused: the SYN was answered with RST; timeout: the SYN was
#: never answered; data: bytes from `sender`; fin/rst: `sender` closed or reset.
EVENT_KINDS = ("connect", "established", "refused", "timeout", "data", "fin", "rst")


@dataclass(frozen=True)
class Event:
    """One thing that happened in a conversation, seen from one of its ends."""

    time: float
    #: "client" or "server": who sent the bytes, the FIN or the RST.
    sender: str
    kind: str
    data: bytes = b""


@dataclass(frozen=True)
class ConversationLog:
    """Everything recorded about one connection (TCP) or one pair of
    endpoints (UDP), ready to be rebuilt into packets or read as a transcript."""

    proto: str
    client: Address
    server: Address
    name: str
    #: "wire" for bytes on the wire, "inside-tls" for plaintext inside TLS.
    origin: str
    events: tuple[Event, ...]
    #: Bytes seen but not kept (past MAX_BYTES).
    dropped: int = 0
    #: Which end the recording socket was on ("client" or "server").
    recorded_by: str = "client"

    def stream(self, sender: str) -> bytes:
        """All bytes one side sent, in order."""
        return b"".join(e.data for e in self.events if e.kind == "data" and e.sender == sender)

    def runs(self) -> list[tuple[str, bytes, float]]:
        """The data as alternating turns: (sender, bytes, time of first byte).

        HTTP/1.1 without pipelining alternates strictly, so each client run is
        one request and the server run after it is its response."""
        out: list[tuple[str, bytes, float]] = []
        for e in self.events:
            if e.kind != "data" or not e.data:
                continue
            if out and out[-1][0] == e.sender:
                sender, data, start = out[-1]
                out[-1] = (sender, data + e.data, start)
            else:
                out.append((e.sender, e.data, e.time))
        return out


class _Conversation:
    """The mutable side of a ConversationLog while traffic is flowing."""

    def __init__(
        self,
        proto: str,
        client: Address,
        server: Address,
        name: str,
        origin: str,
        recorded_by: str = "client",
    ) -> None:
        self.recorded_by = recorded_by
        self.proto = proto
        self.client = client
        self.server = server
        self.name = name
        self.origin = origin
        self.events: list[Event] = []
        self.kept = 0
        self.dropped = 0
        self.lock = threading.Lock()

    def add(self, sender: str, kind: str, data: bytes = b"", at: float | None = None) -> None:
        with self.lock:
            if kind == "data":
                room = max(0, MAX_BYTES - self.kept)
                if len(data) > room:
                    self.dropped += len(data) - room
                    data = data[:room]
                if not data:
                    return
                self.kept += len(data)
            elif kind in ("fin", "rst") and any(
                e.kind in ("fin", "rst") and e.sender == sender for e in self.events
            ):
                return
            self.events.append(Event(time.time() if at is None else at, sender, kind, data))

    def has(self, kind: str, sender: str | None = None) -> bool:
        return any(e.kind == kind and (sender is None or e.sender == sender) for e in self.events)

    def log(self) -> ConversationLog:
        with self.lock:
            events = tuple(self.events)
        return ConversationLog(
            self.proto,
            self.client,
            self.server,
            self.name,
            self.origin,
            events,
            self.dropped,
            self.recorded_by,
        )


def source_address_for(dst: str) -> str:
    """The local address the kernel would use to reach `dst`.

    Connecting a UDP socket only consults the routing table; nothing is sent."""
    ip = ipaddress.ip_address(dst)
    if ip.is_loopback:
        return "::1" if ip.version == 6 else "127.0.0.1"
    family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.connect((dst, 9))
            return str(probe.getsockname()[0])
    except OSError:
        return "::" if ip.version == 6 else "0.0.0.0"


def _endpoint(addr: Any) -> Address:
    return (str(addr[0]), int(addr[1]))


def _fix_local(local: Address, peer: Address) -> Address:
    """A socket bound to the wildcard address reports 0.0.0.0; name the real one."""
    if ipaddress.ip_address(local[0]).is_unspecified:
        return (source_address_for(peer[0]), local[1])
    return local


class Recorder:
    """Every conversation recorded for one lab run (thread-safe).

    `server_ports` tells which end of an already-connected socket is the
    server when a lab wraps a socket it accepted."""

    def __init__(self, server_ports: Iterable[int] = ()) -> None:
        self.server_ports = set(server_ports)
        self._conversations: list[_Conversation] = []
        self._lock = threading.Lock()
        self._unnamed = 0

    def _name(self, name: str) -> str:
        if name:
            return name
        with self._lock:
            self._unnamed += 1
            return f"connection {self._unnamed}"

    def open(
        self,
        proto: str,
        client: Address,
        server: Address,
        name: str = "",
        origin: str = "wire",
        recorded_by: str = "client",
    ) -> _Conversation | None:
        """Start a conversation; None when the same one is already recorded
        from its other end (a lab wrapping both the client and the server)."""
        with self._lock:
            for conv in self._conversations:
                if (conv.proto, conv.client, conv.server, conv.origin) == (
                    proto,
                    client,
                    server,
                    origin,
                ):
                    return None
        conv = _Conversation(proto, client, server, self._name(name), origin, recorded_by)
        with self._lock:
            self._conversations.append(conv)
        return conv

    def record_refused(self, client: Address, server: Address, name: str = "") -> None:
        """A connection attempt answered with RST (nothing listening)."""
        conv = self.open("tcp", client, server, name)
        if conv is not None:
            conv.add("client", "connect")
            conv.add("server", "refused")

    def logs(self, origin: str | None = None) -> list[ConversationLog]:
        with self._lock:
            convs = list(self._conversations)
        return [c.log() for c in convs if origin is None or c.origin == origin]

    def wrap(
        self,
        sock: Any,
        name: str = "",
        origin: str = "wire",
        server_side: bool | None = None,
        addresses: tuple[Address, Address] | None = None,
    ) -> RecordingSocket:
        return RecordingSocket(sock, self, name, origin, server_side, addresses)

    def create_connection(
        self,
        address: Address,
        timeout: float | None = None,
        source_address: Address | None = None,
        socket_options: Iterable[tuple[int, int, Any]] | None = None,
        name: str = "",
    ) -> RecordingSocket:
        """`socket.create_connection`, wrapped before connecting so the SYN's
        time and a refusal or time-out are recorded too."""
        host, port = address
        err: OSError | None = None
        for family, kind, proto, _canon, sockaddr in socket.getaddrinfo(
            host.strip("[]"), port, 0, socket.SOCK_STREAM
        ):
            raw = socket.socket(family, kind, proto)
            sock = self.wrap(raw, name)
            try:
                for opt in socket_options or ():
                    raw.setsockopt(*opt)
                if timeout is not None:
                    raw.settimeout(timeout)
                if source_address:
                    raw.bind(source_address)
                sock.connect(sockaddr[:2])
                return sock
            except OSError as exc:
                err = exc
                sock.close()
        raise err if err is not None else OSError(f"getaddrinfo returned nothing for {host}")


class RecordingSocket:
    """A proxy for a socket (or a TLS object) that records what crosses it.

    Anything not overridden here is passed through to the wrapped object, so
    libraries (http.client, ftplib, SSL via `urllib3`'s SSLTransport) use it as
    a socket. Like `socket.socket`, closing is deferred while files made by
    `makefile()` are open."""

    def __init__(
        self,
        sock: Any,
        recorder: Recorder,
        name: str = "",
        origin: str = "wire",
        server_side: bool | None = None,
        addresses: tuple[Address, Address] | None = None,
    ) -> None:
        self._sock = sock
        self._rec = recorder
        self._name = name
        self._origin = origin
        self._server_side = server_side
        self._conv: _Conversation | None = None
        self._udp: dict[Address, tuple[_Conversation | None, str]] = {}
        self._io_refs = 0
        self._closed = False
        self._is_udp = getattr(sock, "type", socket.SOCK_STREAM) == socket.SOCK_DGRAM
        self._udp_peer: Address | None = None
        if addresses is not None:
            self._attach(*addresses)
        elif not self._is_udp:
            try:
                local, peer = sock.getsockname(), sock.getpeername()
            except OSError:
                return  # not connected yet: connect() attaches
            self._attach(_endpoint(local), _endpoint(peer), established=True)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)

    def __enter__(self) -> RecordingSocket:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- who is who ---------------------------------------------------------

    def _local_role(self, local: Address) -> str:
        if self._server_side is None:
            self._server_side = local[1] in self._rec.server_ports
        return "server" if self._server_side else "client"

    def _attach(self, local: Address, peer: Address, established: bool = False) -> None:
        local = _fix_local(local, peer)
        self._local = self._local_role(local)
        self._peer = "client" if self._local == "server" else "server"
        client, server = (local, peer) if self._local == "client" else (peer, local)
        self._conv = self._rec.open("tcp", client, server, self._name, self._origin, self._local)
        if established and self._conv is not None:
            self._conv.add("client", "established")

    def _udp_conv(self, peer: Address, outgoing: bool) -> tuple[_Conversation | None, str]:
        peer = _endpoint(peer)
        if peer not in self._udp:
            local = _fix_local(_endpoint(self._sock.getsockname()), peer)
            # The side that speaks first is the client (a query, a probe).
            client, server = (local, peer) if outgoing else (peer, local)
            conv = self._rec.open(
                "udp", client, server, self._name, self._origin, "client" if outgoing else "server"
            )
            self._udp[peer] = (conv, "client" if outgoing else "server")
        return self._udp[peer]

    def _udp_data(self, peer: Address, outgoing: bool, data: bytes) -> None:
        conv, local_role = self._udp_conv(peer, outgoing)
        if conv is not None:
            other = "server" if local_role == "client" else "client"
            conv.add(local_role if outgoing else other, "data", data)

    def _data(self, sender_is_local: bool, data: bytes) -> None:
        if self._is_udp and self._udp_peer is not None:
            self._udp_data(self._udp_peer, sender_is_local, data)
        elif self._conv is not None and data:
            self._conv.add(self._local if sender_is_local else self._peer, "data", data)

    def _peer_event(self, kind: str) -> None:
        if self._conv is not None:
            self._conv.add(self._peer, kind)

    # -- connecting ---------------------------------------------------------

    def connect(self, address: Any) -> None:
        started = time.time()
        try:
            self._sock.connect(address)
        except ConnectionRefusedError:
            self._failed(address, started, "refused")
            raise
        except TimeoutError:
            self._failed(address, started, "timeout")
            raise
        local, peer = _endpoint(self._sock.getsockname()), _endpoint(self._sock.getpeername())
        if self._is_udp:
            self._udp_peer = peer
            return
        self._attach(local, peer)
        if self._conv is not None:
            self._conv.add("client", "connect", at=started)
            self._conv.add("client", "established")

    def connect_ex(self, address: Any) -> int:
        try:
            self.connect(address)
        except OSError as exc:
            return exc.errno or 1
        return 0

    def _failed(self, address: Any, started: float, kind: str) -> None:
        try:
            ipaddress.ip_address(address[0])
            local = _endpoint(self._sock.getsockname())
        except (ValueError, OSError):
            return  # a host name we did not resolve ourselves: nothing exact to note
        peer = _endpoint(address)
        conv = self._rec.open("tcp", _fix_local(local, peer), peer, self._name, self._origin)
        if conv is not None:
            conv.add("client", "connect", at=started)
            conv.add("server" if kind == "refused" else "client", kind)

    # -- bytes --------------------------------------------------------------

    def send(self, data: Any, flags: int = 0) -> int:
        sent: int = self._sock.send(data, flags) if flags else self._sock.send(data)
        self._data(True, bytes(memoryview(data)[:sent]))
        return sent

    def sendall(self, data: Any, flags: int = 0) -> None:
        if flags:
            self._sock.sendall(data, flags)
        else:
            self._sock.sendall(data)
        self._data(True, bytes(data))

    def sendto(self, data: Any, *args: Any) -> int:
        sent: int = self._sock.sendto(data, *args)
        self._udp_data(args[-1], True, bytes(data))
        return sent

    def _received(self, data: bytes, asked: int, flags: int) -> None:
        if flags & socket.MSG_PEEK:
            return
        if data:
            self._data(False, data)
        elif asked and not self._is_udp:
            self._peer_event("fin")

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        try:
            data: bytes = self._sock.recv(bufsize, flags) if flags else self._sock.recv(bufsize)
        except ConnectionResetError:
            self._peer_event("rst")
            raise
        self._received(data, bufsize, flags)
        return data

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        try:
            if flags:
                n: int = self._sock.recv_into(buffer, nbytes, flags)
            else:
                n = self._sock.recv_into(buffer, nbytes) if nbytes else self._sock.recv_into(buffer)
        except ConnectionResetError:
            self._peer_event("rst")
            raise
        self._received(bytes(memoryview(buffer)[:n]), nbytes or len(buffer), flags)
        return n

    def recvfrom(self, bufsize: int, flags: int = 0) -> tuple[bytes, Any]:
        data, addr = self._sock.recvfrom(bufsize, flags)
        if not self._is_udp:
            self._received(data, bufsize, flags)
            return data, addr
        if not flags & socket.MSG_PEEK:
            self._udp_data(addr, False, data)
        return data, addr

    # -- closing ------------------------------------------------------------

    def shutdown(self, how: int) -> None:
        self._sock.shutdown(how)
        if how in (socket.SHUT_WR, socket.SHUT_RDWR) and self._conv is not None:
            self._conv.add(self._local, "fin")

    def makefile(self, mode: str = "r", buffering: int | None = None, **text: Any) -> Any:
        """As `socket.makefile`, reading and writing through this proxy."""
        rawmode = "".join(m for m in "rw" if m in mode) or "r"
        raw = socket.SocketIO(self, rawmode)  # type: ignore[arg-type]
        self._io_refs += 1
        if buffering == 0:
            return raw
        size = io.DEFAULT_BUFFER_SIZE if buffering in (None, -1) else buffering
        buffer: Any
        if "r" in rawmode and "w" in rawmode:
            buffer = io.BufferedRWPair(raw, raw, size)
        elif "r" in rawmode:
            buffer = io.BufferedReader(raw, size)
        else:
            buffer = io.BufferedWriter(raw, size)
        return buffer if "b" in mode else io.TextIOWrapper(buffer, **text)

    def _decref_socketios(self) -> None:
        self._io_refs -= 1
        if self._closed and self._io_refs <= 0:
            self._real_close()

    def close(self) -> None:
        self._closed = True
        if self._io_refs <= 0:
            self._real_close()

    def _real_close(self) -> None:
        conv = self._conv
        if conv is not None and not conv.has("fin", self._local) and not conv.has("rst"):
            self._note_close(conv)
        self._sock.close()

    def _note_close(self, conv: _Conversation) -> None:
        """Work out what this close puts on the wire: a FIN, or (with unread
        data waiting) an RST; and whether the peer's FIN had already arrived."""
        pending = None
        if isinstance(self._sock, socket.socket) and self._sock.fileno() >= 0:
            timeout = self._sock.gettimeout()
            try:
                self._sock.setblocking(False)
                pending = self._sock.recv(1, socket.MSG_PEEK)
            except (BlockingIOError, InterruptedError):
                pending = None
            except OSError:
                pending = None
            finally:
                try:
                    self._sock.settimeout(timeout)
                except OSError:
                    pass
        if pending == b"":
            self._peer_event("fin")
        conv.add(self._local, "rst" if pending else "fin")
