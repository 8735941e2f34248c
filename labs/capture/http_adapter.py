"""A requests `HTTPAdapter` whose connections record what they exchange.

`Capture.requests_adapter()` builds it. urllib3 lets a pool choose its
connection class; ours opens the TCP socket through the capture's recorder
(in both modes: a reconstructed capture rebuilds packets from these bytes,
and every lab reads its exchanges from them) and, for https, runs TLS
through `Capture.wrap_tls`, which records the plaintext requests and
responses as "inside-tls" conversations: what the learner is shown as
"inside the encrypted tunnel".
"""

from __future__ import annotations

import socket
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util.ssl_ import create_urllib3_context, resolve_cert_reqs


class _TLSHook:
    """An SSLContext stand-in: everything goes to the real context except
    wrap_socket, which goes through the capture so the plaintext is recorded."""

    def __init__(self, context: Any, capture: Any) -> None:
        object.__setattr__(self, "_context", context)
        object.__setattr__(self, "_capture", capture)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._context, name, value)

    def wrap_socket(self, sock: Any, server_hostname: str | None = None, **_: Any) -> Any:
        return self._capture.wrap_tls(sock, self._context, server_hostname)


def recording_adapter(capture: Any) -> HTTPAdapter:
    """An adapter whose connections record what they send and receive."""

    def new_conn(conn: HTTPConnection) -> socket.socket:
        try:
            sock: socket.socket = capture.recorder.create_connection(
                (conn._dns_host, conn.port),
                conn.timeout,  # type: ignore[attr-defined]
            )
        except socket.gaierror as exc:
            raise NameResolutionError(conn.host, conn, exc) from exc
        except TimeoutError as exc:
            raise ConnectTimeoutError(
                conn, f"Connection to {conn.host} timed out. (connect timeout={conn.timeout})"
            ) from exc
        except OSError as exc:
            raise NewConnectionError(conn, f"Failed to establish a new connection: {exc}") from exc
        return sock

    class RecordingHTTPConnection(HTTPConnection):
        def _new_conn(self) -> socket.socket:
            return new_conn(self)

    class RecordingHTTPSConnection(HTTPSConnection):
        def _new_conn(self) -> socket.socket:
            return new_conn(self)

        def connect(self) -> None:
            # A fresh context per connection, set up as urllib3 would, so
            # verify=False on one request cannot leak into another.
            context = create_urllib3_context(
                cert_reqs=resolve_cert_reqs(self.cert_reqs),
                ssl_minimum_version=self.ssl_minimum_version,
                ssl_maximum_version=self.ssl_maximum_version,
            )
            if not (self.ca_certs or self.ca_cert_dir or self.ca_cert_data):
                context.load_default_certs()
            self.ssl_context = _TLSHook(context, capture)  # type: ignore[assignment]
            super().connect()

    class HTTPPool(HTTPConnectionPool):
        ConnectionCls = RecordingHTTPConnection

    class HTTPSPool(HTTPSConnectionPool):
        ConnectionCls = RecordingHTTPSConnection

    class RecordingAdapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {"http": HTTPPool, "https": HTTPSPool}

    return RecordingAdapter()
