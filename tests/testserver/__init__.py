"""Misbehaving real servers on 127.0.0.1 for the http-api lab's bad-input
tests: one that never answers, one with a huge or binary body, a redirect
loop, and HTTPS with a certificate the lab does not trust. Each is a
context manager that always stops its threads and closes its port."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import trustme

Reply = Callable[[BaseHTTPRequestHandler], None]

HUGE = 1024 * 1024 * 1024  # announced; the server sends until the client hangs up
BINARY = bytes(range(256)) * 16


def _close(h: BaseHTTPRequestHandler) -> None:
    """Say the server hangs up after this response (it does), so a client
    never reuses a connection the server is closing."""
    h.send_header("Connection", "close")


def huge(h: BaseHTTPRequestHandler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "text/plain")
    h.send_header("Content-Length", str(HUGE))
    _close(h)
    h.end_headers()
    chunk = b"x" * 65536
    try:
        for _ in range(HUGE // len(chunk)):
            h.wfile.write(chunk)
    except OSError:
        pass  # the client stopped reading and hung up: expected


def binary(h: BaseHTTPRequestHandler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "application/octet-stream")
    h.send_header("Content-Length", str(len(BINARY)))
    _close(h)
    h.end_headers()
    h.wfile.write(BINARY)


def loop(h: BaseHTTPRequestHandler) -> None:
    h.send_response(302)
    h.send_header("Location", "/b" if h.path.startswith("/a") else "/a")
    h.send_header("Content-Length", "0")
    _close(h)
    h.end_headers()


def hello(h: BaseHTTPRequestHandler) -> None:
    # No "Connection: close": the client keeps the connection for reuse, as
    # with most real servers, and the lab must hang up itself.
    body = b'{"hello": "from a test server"}\n'
    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body)


@contextmanager
def http_server(reply: Reply, tls: ssl.SSLContext | None = None) -> Iterator[str]:
    """An HTTP (or, with `tls`, HTTPS) server answering every request with
    `reply`; yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            self.close_connection = True
            reply(self)

        do_POST = do_GET  # noqa: N815

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        scheme = "https" if tls else "http"
        yield f"{scheme}://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@contextmanager
def https_server(reply: Reply = hello) -> Iterator[str]:
    """HTTPS with a certificate from a throw-away CA nobody trusts."""
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    with http_server(reply, context) as url:
        yield url


@contextmanager
def silent_server() -> Iterator[int]:
    """Accepts connections and reads, but never answers; yields the port."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()
    conns: list[socket.socket] = []

    def accept() -> None:
        listener.settimeout(0.05)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conns.append(conn)

    thread = threading.Thread(target=accept)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        for conn in conns:
            conn.close()
        listener.close()


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
