"""A client that leaves before its answer is written (it closed, or reset
the connection) is ordinary on a network: a lab's server says nothing of
it. The standard library's server printed a traceback to stderr, into the
learner's terminal or over the TUI (one showed in a rehearsal's log)."""

from __future__ import annotations

import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler

from labs.kit import HTTPService

answered = threading.Event()


class _Slow(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
        time.sleep(0.2)  # the client is gone by now
        try:
            self.send_response(200)
            self.send_header("Content-Length", str(1 << 20))
            self.end_headers()
            for _ in range(64):
                self.wfile.write(b"x" * (1 << 14))
        finally:
            answered.set()

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_client_that_leaves_early_leaves_no_traceback(capfd) -> None:
    with HTTPService("127.0.0.1", 0, _Slow) as service:
        client = socket.create_connection(service.address)
        client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        # Close with a reset (linger 0): the server's writes then fail.
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.close()
        assert answered.wait(5)
        time.sleep(0.2)
    assert "Traceback" not in capfd.readouterr().err
