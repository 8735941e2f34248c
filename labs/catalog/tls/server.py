"""The tls lab's embedded server: a small HTTPS JSON API on 127.0.0.1.

Its certificate is made when it starts (trustme): a throw-away certificate
authority and a leaf for `shop.example`, `localhost` and 127.0.0.1, valid for
90 days like a typical public certificate. The lab trusts that CA and nothing
else. Leaving the `with` block always stops the server.
"""

from __future__ import annotations

import datetime
import json
import ssl
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import trustme

SERVER_NAME = "shop.example"
HOSTNAMES: tuple[str, ...] = (SERVER_NAME, "localhost", "127.0.0.1")
DEFAULT_PATH = "/api/orders/42"

#: What the embedded API answers: path -> JSON body.
DEFAULT_ROUTES: Mapping[str, Any] = {
    DEFAULT_PATH: {"id": 42, "item": "widget", "quantity": 3, "status": "shipped"},
}


@dataclass(frozen=True)
class TlsServerInfo:
    """Where the running server listens, and the CA a client must trust."""

    host: str
    port: int
    hostnames: tuple[str, ...]
    #: PEM of the certificate authority that signed the server's certificate.
    ca_pem: bytes
    path: str

    def url(self, name: str = SERVER_NAME) -> str:
        return f"https://{name}:{self.port}{self.path}"


def make_certificates(
    hostnames: tuple[str, ...], organization: str
) -> tuple[trustme.CA, trustme.LeafCert]:
    """A fresh CA and a leaf for `hostnames`, valid from yesterday for 90 days."""
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0, tzinfo=None)
    ca = trustme.CA(
        organization_name=f"{organization} (tutor lab CA)",
        organization_unit_name="Demo certificate authority",
    )
    leaf = ca.issue_cert(
        *hostnames,
        common_name=hostnames[0],
        organization_name=organization,
        organization_unit_name="Web",
        not_before=now - datetime.timedelta(days=1),
        not_after=now + datetime.timedelta(days=90),
    )
    return ca, leaf


def _handler(routes: Mapping[str, Any]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def version_string(self) -> str:
            return "tutor-lab"

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            if self.path in routes:
                status, payload = 200, routes[self.path]
            else:
                status, payload = 404, {"error": "not found", "path": self.path}
            body = json.dumps(payload).encode() + b"\n"
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the lab prints what it saw; the server stays quiet

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that rejects the certificate aborts the handshake: that is
        # the client's lesson to report, not a server traceback on stderr.
        pass


@contextmanager
def https_server(
    routes: Mapping[str, Any] = DEFAULT_ROUTES,
    hostnames: tuple[str, ...] = HOSTNAMES,
    organization: str = "Example Shop",
    path: str = DEFAULT_PATH,
) -> Iterator[TlsServerInfo]:
    """Run the HTTPS API on 127.0.0.1 (ephemeral port) with a certificate made now."""
    ca, leaf = make_certificates(hostnames, organization)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(context)
    context.set_alpn_protocols(["http/1.1"])
    httpd = _QuietServer(("127.0.0.1", 0), _handler(routes))
    # The handshake runs in the request's thread, at its first read, so a slow
    # or failing client never blocks the accepting loop.
    httpd.socket = context.wrap_socket(
        httpd.socket, server_side=True, do_handshake_on_connect=False
    )
    host, port = httpd.server_address[:2]
    thread = threading.Thread(
        target=httpd.serve_forever,
        kwargs={"poll_interval": 0.2},
        name=f"tutor-https-{port}",
        daemon=True,
    )
    thread.start()
    try:
        yield TlsServerInfo(
            host=str(host),
            port=int(port),
            hostnames=hostnames,
            ca_pem=ca.cert_pem.bytes(),
            path=path,
        )
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
