"""A TCP relay that plays a middlebox (a firewall or NAT with a connection
table) which silently forgets connections idle longer than `idle_timeout`.

Nothing is sent when a connection is forgotten. The next segment either side
sends on it (a request on a kept-alive connection, or a FIN) is answered with
RST, and the other side is dropped the same way. An HTTP client that reuses a
kept-alive connection after the timeout gets "Connection reset by peer"; its
next, fresh connection works.

What a learner should see on the wire (client side): a normal connection
and exchange, a quiet gap longer than the timeout with no FIN and no RST,
then the client's next request (PSH, ACK) answered by RST from the same
address and port; then a new SYN, and that connection works. Fresh
connections always work and the server never logged an error: the fault is
in the path (the firewall or NAT's idle timeout), not in the server. The fix
is TCP keep-alives or a client idle-pool timeout shorter than the box's.

Hand-written because no library plays a stateful middlebox; a user-space
relay cannot stop its kernel from acknowledging the segment before the RST
(a real middlebox sends only the RST). The clock can be injected so tests
move time without sleeping.
"""

from __future__ import annotations

import argparse
import http.client
import select
import socket
import struct
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from labs.drills.servers.background import OneLineParser, host_port, run_in_foreground
from labs.kit import HTTPService

BUFFER = 65536
#: Seconds a relay thread waits in select() before checking for stop().
TICK = 0.2


@dataclass(frozen=True)
class Reset:
    """A forgotten connection that was reset: the client's port, how long it
    had been idle, and which side sent the segment that met the RST."""

    client_port: int
    idle_seconds: float
    woken_by: str  # "client" or "server"


def _abort(sock: socket.socket) -> None:
    """Close with RST instead of FIN (SO_LINGER on with a zero timeout)."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


class IdleMiddlebox:
    """Relay (host, port) -> `upstream`, forgetting connections idle longer
    than `idle_timeout` seconds. A context manager; stop() closes everything.

    Facts for a drill: `idle_timeout`, `connections` (accepted so far) and
    `resets` (each forgotten connection that was reset, in order).
    """

    def __init__(
        self,
        host: str,
        port: int,
        upstream: tuple[str, int],
        *,
        idle_timeout: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if idle_timeout <= 0:
            raise ValueError("idle_timeout must be more than 0 seconds")
        self.host = host
        self.port = port
        self.upstream = upstream
        self.idle_timeout = idle_timeout
        self.connections = 0
        self.resets: list[Reset] = []
        self._clock = clock
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    def start(self) -> IdleMiddlebox:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((self.host, self.port))
            listener.listen(16)
        except OSError:
            listener.close()
            raise
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._spawn(self._accept_loop)
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._listener is not None:
            try:  # shutdown() wakes a thread blocked in accept(); close() alone does not
                self._listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._listener.close()
        for thread in list(self._threads):
            thread.join(timeout=5)
        with self._lock:
            leftovers = list(self._open)
            self._open.clear()
        for sock in leftovers:
            sock.close()

    def __enter__(self) -> IdleMiddlebox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the relay --------------------------------------------------------------

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        with self._lock:
            self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                client, _addr = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                self._open.add(client)
            self._spawn(self._relay, client)

    def _relay(self, client: socket.socket) -> None:
        client_port = client.getpeername()[1]
        try:
            server = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            self._forget(client)
            _abort(client)
            return
        with self._lock:
            self._open.add(server)
        peer = {client: server, server: client}
        reading = {client, server}
        last = self._clock()
        try:
            while reading and not self._stopping.is_set():
                ready, _, _ = select.select(list(reading), [], [], TICK)
                for sock in ready:
                    data = sock.recv(BUFFER)
                    now = self._clock()
                    if now - last > self.idle_timeout:
                        side = "client" if sock is client else "server"
                        with self._lock:
                            self.resets.append(Reset(client_port, now - last, side))
                        _abort(client)
                        _abort(server)
                        return
                    last = now
                    if data:
                        peer[sock].sendall(data)
                    else:  # a FIN: pass the half-close on and stop reading that side
                        reading.discard(sock)
                        peer[sock].shutdown(socket.SHUT_WR)
        except OSError:
            _abort(client)
            _abort(server)
        finally:
            self._forget(client, server)
            client.close()
            server.close()

    def _forget(self, *socks: socket.socket) -> None:
        with self._lock:
            self._open.difference_update(socks)


@dataclass(frozen=True)
class Reuse:
    """What `reuse_after` saw: the first answer's status, and the second
    request's on the same connection after the gap (a status, or "reset")."""

    first: int
    second: str
    same_connection: bool


def reuse_after(
    host: str,
    port: int,
    gap: float,
    *,
    path: str = "/",
    sleep: Callable[[float], None] = time.sleep,
) -> Reuse:
    """The probe that shows this fault: one HTTP/1.1 request, `gap` seconds
    of silence, then a second request on the same kept-alive connection (as
    a client's connection pool does). A fresh connection would never meet
    the fault, so a drill's fetch must do this to show it."""
    request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    with socket.create_connection((host, port), timeout=10) as sock:
        local = sock.getsockname()
        sock.sendall(request)
        answer = http.client.HTTPResponse(sock)
        answer.begin()
        answer.read()
        first = answer.status
        sleep(gap)
        try:
            sock.sendall(request)
            again = http.client.HTTPResponse(sock)
            again.begin()
            again.read()
        except (ConnectionResetError, http.client.RemoteDisconnected, BrokenPipeError):
            return Reuse(first, "reset", True)
        return Reuse(first, str(again.status), sock.getsockname() == local)


class _WithOwnUpstream:
    """The middlebox in front of its own kept-alive HTTP server on 127.0.0.1
    (what the command line runs when no --upstream is given)."""

    def __init__(self, host: str, port: int, idle_timeout: float) -> None:
        self.host, self.port, self._idle = host, port, idle_timeout
        self._parts: list[IdleMiddlebox | HTTPService] = []

    def start(self) -> _WithOwnUpstream:
        # Imported here: the loadbalancer module's Backend is the plain app server.
        from labs.drills.servers.loadbalancer import Backend

        try:
            backend = Backend("app-1").start()
            self._parts.append(backend)
            box = IdleMiddlebox(self.host, self.port, backend.address, idle_timeout=self._idle)
            self._parts.append(box.start())
            self.port = box.port
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for part in reversed(self._parts):
            part.stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = OneLineParser(prog="idle_middlebox", description="A middlebox with an idle timeout.")
    parser.add_argument("--listen", type=host_port, default=("127.0.0.1", 0))
    parser.add_argument(
        "--upstream", type=host_port, help="HOST:PORT to relay to (default: its own HTTP server)"
    )
    parser.add_argument("--idle-timeout", type=float, default=30.0)

    def build(a: argparse.Namespace) -> IdleMiddlebox | _WithOwnUpstream:
        if a.upstream is None:
            return _WithOwnUpstream(a.listen[0], a.listen[1], a.idle_timeout)
        return IdleMiddlebox(a.listen[0], a.listen[1], a.upstream, idle_timeout=a.idle_timeout)

    return run_in_foreground(parser, build, argv)


if __name__ == "__main__":
    raise SystemExit(main())
