"""A load balancer (an HTTP reverse proxy) over backends, one of them down.

Requests are handed to the backends in turn (round robin) with no health
check, so when one backend is down every other request fails: "checkout
fails for some customers". A request routed to a backend that refuses the
connection or does not answer in time gets `503 Service Unavailable` from
the load balancer itself (HAProxy answers 503 for this; nginx says
`502 Bad Gateway` for the same failure), with `X-Backend: NAME HOST:PORT`
naming the backend it tried. Successful answers carry `X-Backend` too.

What a learner should see on the wire: the connection to the load balancer
always works (SYN, SYN-ACK, ACK) and answers come back fast; the statuses
alternate 200, 503, 200, 503; the 503s all name the same backend and carry
`Server: tutor-lb` (the load balancer wrote them, not the application). The
right call is to whoever runs that backend or the load balancer's pool.
Capturing on the backend side would show each of its SYNs answered by RST
(connection refused) — `DeadPort` makes a port that refuses for sure.
"""

from __future__ import annotations

import http.client
import itertools
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from labs.drills.servers.background import (
    OneLineParser,
    QuietHandler,
    host_port,
    run_in_foreground,
)
from labs.kit import HTTPService

SERVER_NAME = "tutor-lb"
#: Headers that belong to one hop (RFC 9110 §7.6.1) and are not forwarded.
HOP_BY_HOP = frozenset(
    "connection keep-alive proxy-connection proxy-authenticate proxy-authorization "
    "te trailer transfer-encoding upgrade content-length".split()
)


@dataclass(frozen=True)
class Upstream:
    """One backend in the pool: its name in `X-Backend` and its address."""

    name: str
    host: str
    port: int

    def label(self) -> str:
        return f"{self.name} {self.host}:{self.port}"


@dataclass(frozen=True)
class Routed:
    """One request the load balancer handled: which backend, which status, and
    why it failed (e.g. 'connection refused') when it did."""

    backend: str
    status: int
    reason: str = ""


class _ProxyHandler(QuietHandler):
    server_version = SERVER_NAME

    def _forward(self) -> None:
        lb: LoadBalancer = self.server.service  # type: ignore[attr-defined]
        body = self.read_body()
        upstream = lb.next_upstream()
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        headers["X-Forwarded-For"] = self.client_address[0]
        conn = http.client.HTTPConnection(upstream.host, upstream.port, timeout=lb.connect_timeout)
        try:
            conn.request(self.command, self.path, body=body or None, headers=headers)
            answer = conn.getresponse()
            payload = answer.read()
        except OSError as exc:
            reason = _reason(exc)
            lb.record(Routed(upstream.name, 503, reason))
            message = f"No answer from backend {upstream.label()}: {reason}."
            self.send_json(
                503,
                {"error": "backend_unavailable", "backend": upstream.name, "message": message},
                {"X-Backend": upstream.label()},
            )
            return
        finally:
            conn.close()
        lb.record(Routed(upstream.name, answer.status))
        self.send_response(answer.status, answer.reason)
        for name, value in answer.getheaders():
            if name.lower() not in HOP_BY_HOP | {"server", "date"}:
                self.send_header(name, value)
        self.send_header("X-Backend", upstream.label())
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = _forward  # noqa: N815


def _reason(exc: OSError) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out"
    return exc.strerror or type(exc).__name__


class LoadBalancer(HTTPService):
    """The load balancer on (host, port) over `upstreams`, in turn.

    Facts for a drill: `upstreams` and `routed` (every request, in order).
    """

    def __init__(
        self,
        host: str,
        port: int,
        upstreams: Sequence[Upstream],
        *,
        connect_timeout: float = 2.0,
    ) -> None:
        if not upstreams:
            raise ValueError("a load balancer needs at least one backend")
        super().__init__(host, port, _ProxyHandler)
        self.upstreams = tuple(upstreams)
        self.connect_timeout = connect_timeout
        self.routed: list[Routed] = []
        self._turn = itertools.cycle(self.upstreams)
        self._lock = threading.Lock()

    def next_upstream(self) -> Upstream:
        with self._lock:
            return next(self._turn)

    def record(self, routed: Routed) -> None:
        with self._lock:
            self.routed.append(routed)


class _BackendHandler(QuietHandler):
    server_version = "shop-app/2.3"

    def _answer(self) -> None:
        self.read_body()
        backend: Backend = self.server.service  # type: ignore[attr-defined]
        self.send_json(200, {"ok": True, "served_by": backend.name, "path": self.path})

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = _answer  # noqa: N815


class Backend(HTTPService):
    """A healthy application server that says its name in every answer."""

    def __init__(self, name: str, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port, _BackendHandler)
        self.name = name

    def upstream(self) -> Upstream:
        return Upstream(self.name, self.host, self.port)


class DeadPort:
    """A port that refuses connections for as long as this object is open: the
    socket is bound (so nothing else can take the port) but never listens, and
    Linux answers a SYN to it with RST — a backend whose process has died."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self._sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        try:
            self._sock.bind((host, 0))
        except OSError:
            self._sock.close()
            raise
        self.port: int = self._sock.getsockname()[1]

    def upstream(self, name: str) -> Upstream:
        return Upstream(name, self.host, self.port)

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> DeadPort:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Site:
    """The whole drill world on one host: backend `alive` answering, backend
    `dead` down, and the load balancer in front of both (alive first)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        alive: str = "app-1",
        dead: str = "app-2",
        backend_host: str | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self._names = (alive, dead)
        self._backend_host = backend_host or host
        self.backend: Backend | None = None
        self.dead: DeadPort | None = None
        self.lb: LoadBalancer | None = None

    def start(self) -> Site:
        try:
            self.backend = Backend(self._names[0], self._backend_host).start()
            self.dead = DeadPort(self._backend_host)
            pool = (self.backend.upstream(), self.dead.upstream(self._names[1]))
            self.lb = LoadBalancer(self.host, self.port, pool).start()
            self.port = self.lb.port
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for part in (self.lb, self.backend, self.dead):
            if isinstance(part, DeadPort):
                part.close()
            elif part is not None:
                part.stop()

    def __enter__(self) -> Site:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = OneLineParser(prog="loadbalancer", description="A load balancer, one backend down.")
    parser.add_argument("--listen", type=host_port, default=("127.0.0.1", 0))
    parser.add_argument("--alive", default="app-1", help="name of the backend that answers")
    parser.add_argument("--dead", default="app-2", help="name of the backend that is down")
    parser.add_argument("--backend-host", help="address the backends use (default: --listen's)")
    return run_in_foreground(
        parser,
        lambda a: Site(*a.listen, alive=a.alive, dead=a.dead, backend_host=a.backend_host),
        argv,
    )


if __name__ == "__main__":
    raise SystemExit(main())
