"""A lab's (or a drill's) own HTTP server, served from a background thread
with a clean stop."""

from __future__ import annotations

import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class LabHTTPServer(ThreadingHTTPServer):
    """`ThreadingHTTPServer` that says nothing of a client that left early."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that leaves before its answer is written (a broken pipe,
        # a reset) is ordinary on a network, not the lab's fault: the standard
        # library printed a traceback into the learner's terminal (or the TUI).
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class HTTPService:
    """A ThreadingHTTPServer on (host, port) served from a daemon thread
    (named `name`, if given).

    Port 0 picks a free one; `port` says which once started. A context
    manager: leaving the block stops the listener and waits for its thread.
    """

    def __init__(
        self, host: str, port: int, handler: type[BaseHTTPRequestHandler], name: str | None = None
    ) -> None:
        self.host = host
        self.port = port
        self._handler = handler
        self._name = name
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    def url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.port}{path}"

    def start(self) -> Self:
        server = LabHTTPServer((self.host, self.port), self._handler)
        server.daemon_threads = True
        # Handlers reach their service (counters, configuration) through the server.
        server.service = self  # type: ignore[attr-defined]
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=self._name,
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
