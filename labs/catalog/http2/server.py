"""The http2 lab's embedded server: one port on 127.0.0.1 that answers the
same small orders API in HTTP/1.1 or HTTP/2, whichever the client asks for.

Over TLS the client's ALPN list decides (the server prefers "h2"); in clear
(h2c) a client that opens with the HTTP/2 connection preface gets HTTP/2
("prior knowledge", RFC 9113 section 3.3), any other gets HTTP/1.1. HTTP/2 is
spoken with `h2` (the frames, HPACK and flow control are the library's; this
module only answers its events); HTTP/1.1 with `http.server`. The certificate
is made when the server starts (trustme), for `shop.example`, `localhost` and
127.0.0.1. Leaving the `with` block closes the listener and every connection.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

import trustme
from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.events import ConnectionTerminated, RequestReceived, StreamReset, WindowUpdated
from h2.exceptions import ProtocolError

SERVER_NAME = "shop.example"
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
SERVER_SOFTWARE = "tutor-lab"
ITEMS = ("espresso cups", "milk jug", "paper filters", "grinder", "tamper", "descaler")


def order(n: int) -> dict[str, Any]:
    return {"id": n, "item": ITEMS[n % len(ITEMS)], "quantity": 1 + n % 5, "status": "open"}


def answer(path: str) -> tuple[int, bytes]:
    """(status, JSON body) for a GET of `path`: one order, the list of all
    orders (about 20 KB: more than one DATA frame and more than the lab
    client's 16 KiB window, so flow control shows), or 404."""
    if path == "/api/orders":
        body: Any = {"orders": [order(n) for n in range(1, 281)]}
    elif path.startswith("/api/orders/") and path.rsplit("/", 1)[1].isdigit():
        body = order(int(path.rsplit("/", 1)[1]))
    else:
        return 404, json.dumps({"error": "not found", "path": path}).encode() + b"\n"
    return 200, json.dumps(body).encode() + b"\n"


@dataclass(frozen=True)
class ServerInfo:
    """Where the server listens and, over TLS, the CA a client must trust."""

    host: str
    port: int
    tls: bool
    ca_pem: bytes


class _Http1(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def version_string(self) -> str:
        return SERVER_SOFTWARE

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        status, body = answer(self.path)
        self.send_response_only(status)
        self.send_header("Server", SERVER_SOFTWARE)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the lab prints what it saw; the server stays quiet


class _H2Conn:
    """One HTTP/2 connection: answers each request on its stream, sending the
    body only as fast as the client's flow-control windows allow."""

    def __init__(self, sock: Any) -> None:
        self.sock = sock
        self.conn = H2Connection(H2Configuration(client_side=False, header_encoding="utf-8"))
        #: stream id -> body bytes not sent yet (waiting for window)
        self.pending: dict[int, bytes] = {}

    def serve(self) -> None:
        self.conn.initiate_connection()
        self.sock.sendall(self.conn.data_to_send())
        while True:
            data = self.sock.recv(65536)
            if not data:
                return
            try:
                events = self.conn.receive_data(data)
            except ProtocolError:
                return
            done = False
            for event in events:
                if isinstance(event, RequestReceived):
                    self._respond(event.stream_id, dict(event.headers or ()))
                elif isinstance(event, StreamReset):
                    self.pending.pop(event.stream_id, None)
                elif isinstance(event, ConnectionTerminated):
                    done = True
                elif isinstance(event, WindowUpdated):
                    pass  # _flush below sends what the new window allows
            self._flush()
            out = self.conn.data_to_send()
            if out:
                self.sock.sendall(out)
            if done:
                return

    def _respond(self, stream_id: int, headers: dict[Any, Any]) -> None:
        status, body = answer(str(headers.get(":path", "/")))
        self.conn.send_headers(
            stream_id,
            [
                (":status", str(status)),
                ("server", SERVER_SOFTWARE),
                ("content-type", "application/json"),
                ("content-length", str(len(body))),
            ],
        )
        self.pending[stream_id] = body

    def _flush(self) -> None:
        for stream_id, body in list(self.pending.items()):
            while body:
                room = min(
                    self.conn.local_flow_control_window(stream_id),
                    self.conn.max_outbound_frame_size,
                )
                if room <= 0:
                    break  # wait for the client's WINDOW_UPDATE
                chunk, body = body[:room], body[room:]
                self.conn.send_data(stream_id, chunk, end_stream=not body)
            if body:
                self.pending[stream_id] = body
            else:
                del self.pending[stream_id]


class _Server:
    def __init__(self, context: ssl.SSLContext | None) -> None:
        self.context = context
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.listener.settimeout(0.2)
        self.stop = threading.Event()
        self.conns: list[socket.socket] = []
        self.threads: list[threading.Thread] = []
        self.lock = threading.Lock()

    def accept_loop(self) -> None:
        while not self.stop.is_set():
            try:
                conn, addr = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(10)
            # Real servers send each response at once rather than waiting for
            # an ACK of the last bytes (Nagle), which would add 40 ms here.
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.lock:
                self.conns.append(conn)
            t = threading.Thread(target=self._serve, args=(conn, addr), daemon=True)
            self.threads.append(t)
            t.start()

    def _serve(self, conn: socket.socket, addr: Any) -> None:
        sock: Any = conn
        # A client that drops the connection or rejects the certificate is its
        # own lesson to report, not a traceback from a server thread.
        with suppress(OSError, ValueError):
            if self.context is not None:
                sock = self.context.wrap_socket(conn, server_side=True)
                h2 = sock.selected_alpn_protocol() == "h2"
            else:
                h2 = _peek(conn, len(PREFACE)) == PREFACE
            if h2:
                _H2Conn(sock).serve()
            else:
                # http.server's handler serves one connection given any
                # server object; it reads nothing from it here.
                _Http1(sock, addr, self)  # type: ignore[arg-type]
            if sock is not conn:
                # close_notify first: a TLS peer that just vanishes looks like
                # a truncation attack to the client.
                sock = sock.unwrap()
        with suppress(OSError):
            sock.close()

    def close(self) -> None:
        self.stop.set()
        self.listener.close()
        with self.lock:
            for conn in self.conns:
                with suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
                conn.close()
        for t in self.threads:
            t.join(timeout=2)


def _peek(conn: socket.socket, n: int) -> bytes:
    """The first `n` bytes the client sent, left in the socket for the handler."""
    data = b""
    for _ in range(500):  # at most ~5 s for a client that sends a byte at a time
        data = conn.recv(n, socket.MSG_PEEK)
        if len(data) >= n or not data or not PREFACE.startswith(data):
            break
        time.sleep(0.01)  # MSG_PEEK returns at once with what is there so far
    return data


def _tls_context() -> tuple[ssl.SSLContext, bytes]:
    ca = trustme.CA(organization_name="Example Shop (tutor lab CA)")
    leaf = ca.issue_cert(SERVER_NAME, "localhost", "127.0.0.1", common_name=SERVER_NAME)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(context)
    context.set_alpn_protocols(["h2", "http/1.1"])
    return context, ca.cert_pem.bytes()


@contextmanager
def h2_server(tls: bool = True) -> Iterator[ServerInfo]:
    """Run the server on 127.0.0.1 (ephemeral port); over TLS with a
    certificate made now, or in clear (h2c) with `tls=False`."""
    context, ca_pem = _tls_context() if tls else (None, b"")
    server = _Server(context)
    thread = threading.Thread(target=server.accept_loop, name="tutor-h2", daemon=True)
    thread.start()
    try:
        yield ServerInfo("127.0.0.1", int(server.listener.getsockname()[1]), tls, ca_pem)
    finally:
        server.close()
        thread.join(timeout=2)
