"""The socket proxy that records: every call goes through to the real socket
(or TLS object), and what the network would have seen is noted in the
`labs.capture.recorder.Recorder` it belongs to (see that module)."""

from __future__ import annotations

import io
import ipaddress
import socket
import time
from typing import Any

from labs.capture.recorder import Address, Conversation, Recorder, endpoint, local_for


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
        self._conv: Conversation | None = None
        self._udp: dict[Address, tuple[Conversation | None, str]] = {}
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
            self._attach(endpoint(local), endpoint(peer), established=True)

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
        local = local_for(local, peer)
        self._local = self._local_role(local)
        self._peer = "client" if self._local == "server" else "server"
        client, server = (local, peer) if self._local == "client" else (peer, local)
        self._conv = self._rec.open("tcp", client, server, self._name, self._origin, self._local)
        if established and self._conv is not None:
            self._conv.add("client", "established")

    def _udp_conv(self, peer: Address, outgoing: bool) -> tuple[Conversation | None, str]:
        peer = endpoint(peer)
        if peer not in self._udp:
            local = local_for(endpoint(self._sock.getsockname()), peer)
            # The side that speaks first is the client (a query, a probe).
            client, server = (local, peer) if outgoing else (peer, local)
            conv = self._rec.open(
                "udp", client, server, self._name, self._origin, "client" if outgoing else "server"
            )
            self._udp[peer] = (conv, "client" if outgoing else "server")
        return self._udp[peer]

    def _udp_data(
        self, peer: Address, outgoing: bool, data: bytes, at: float | None = None
    ) -> None:
        conv, local_role = self._udp_conv(peer, outgoing)
        if conv is not None:
            other = "server" if local_role == "client" else "client"
            conv.add(local_role if outgoing else other, "data", data, at=at)

    def _data(self, sender_is_local: bool, data: bytes, at: float | None = None) -> None:
        # Outgoing bytes are stamped when the send began: a reply can arrive
        # (and be recorded) before a blocking sendall returns.
        if self._is_udp and self._udp_peer is not None:
            self._udp_data(self._udp_peer, sender_is_local, data, at)
        elif self._conv is not None and data:
            self._conv.add(self._local if sender_is_local else self._peer, "data", data, at=at)

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
        local, peer = endpoint(self._sock.getsockname()), endpoint(self._sock.getpeername())
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
            local = endpoint(self._sock.getsockname())
        except (ValueError, OSError):
            return  # a host name we did not resolve ourselves: nothing exact to note
        peer = endpoint(address)
        conv = self._rec.open("tcp", local_for(local, peer), peer, self._name, self._origin)
        if conv is not None:
            conv.add("client", "connect", at=started)
            conv.add("server" if kind == "refused" else "client", kind)

    # -- bytes --------------------------------------------------------------

    def send(self, data: Any, flags: int = 0) -> int:
        started = time.time()
        sent: int = self._sock.send(data, flags) if flags else self._sock.send(data)
        self._data(True, bytes(memoryview(data)[:sent]), started)
        return sent

    def sendall(self, data: Any, flags: int = 0) -> None:
        started = time.time()
        if flags:
            self._sock.sendall(data, flags)
        else:
            self._sock.sendall(data)
        self._data(True, bytes(data), started)

    def sendto(self, data: Any, *args: Any) -> int:
        started = time.time()
        sent: int = self._sock.sendto(data, *args)
        self._udp_data(args[-1], True, bytes(data), started)
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

    def _note_close(self, conv: Conversation) -> None:
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
