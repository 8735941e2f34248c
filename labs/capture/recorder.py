"""Recording a lab's traffic at the socket, for when it cannot be captured.

A `Recorder` hands out socket proxies: `labs.capture.recording_socket.RecordingSocket`,
passed in by the capture that owns the Recorder (the proxy writes into the
Recorder, so this lower module does not import it). Each proxy passes every
call through to the real socket (or TLS object) it wraps and notes, with a
timestamp, what the network would have seen: the connection attempt and its
outcome (established, refused, timed out), every byte sent and received, and
how each side stopped (FIN or RST). The notes are kept per conversation and
read back as frozen `ConversationLog`s, from which `labs.capture.reconstruct` rebuilds
IP/TCP/UDP packets and labs read the exact bytes of each exchange.

The bytes are exact; packet boundaries, sequence numbers and timings are
rebuilt later, so nothing here pretends to be a capture.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

Address = tuple[str, int]

#: Bytes kept per conversation; beyond this only the count is kept, so a
#: huge download cannot fill memory.
MAX_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class Event:
    """One thing that happened in a conversation, seen from one of its ends."""

    time: float
    #: "client" or "server": who sent the bytes, the FIN or the RST.
    sender: str
    #: connect: the client sent SYN; established: the handshake completed;
    #: refused: the SYN was answered with RST; timeout: the SYN was never
    #: answered; data: bytes from `sender`; fin/rst: `sender` closed or reset.
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


class Conversation:
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


def endpoint(addr: Any) -> Address:
    return (str(addr[0]), int(addr[1]))


def local_for(local: Address, peer: Address) -> Address:
    """A socket bound to the wildcard address reports 0.0.0.0; name the real one."""
    if ipaddress.ip_address(local[0]).is_unspecified:
        return (source_address_for(peer[0]), local[1])
    return local


class Recorder:
    """Every conversation recorded for one lab run (thread-safe).

    `server_ports` tells which end of an already-connected socket is the
    server when a lab wraps a socket it accepted. `proxy(sock, recorder,
    name, origin, server_side, addresses)` makes the recording proxy that
    `wrap` hands out (`RecordingSocket`)."""

    def __init__(self, proxy: Callable[..., Any], server_ports: Iterable[int] = ()) -> None:
        self._proxy = proxy
        self.server_ports = set(server_ports)
        self._conversations: list[Conversation] = []
        self._lock = threading.Lock()
        self._unnamed = 0
        #: The sockets handed out, so a cancel can shut them down mid-read.
        self.sockets: weakref.WeakSet[Any] = weakref.WeakSet()

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
    ) -> Conversation | None:
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
        conv = Conversation(proto, client, server, self._name(name), origin, recorded_by)
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
    ) -> Any:
        try:
            self.sockets.add(sock)
        except TypeError:
            pass  # an object without weak references: nothing to interrupt
        return self._proxy(sock, self, name, origin, server_side, addresses)

    def create_connection(
        self,
        address: Address,
        timeout: float | None = None,
        source_address: Address | None = None,
        socket_options: Iterable[tuple[int, int, Any]] | None = None,
        name: str = "",
    ) -> Any:
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
