"""What a new user met pointing labs at the wrong thing (issue 14), against
real servers on 127.0.0.1: a TLS lab at a plain-HTTP port, FTP at an HTTP
port, http-api's request options without a target, and `x` stopping a lab
that waits on a server that never answers."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tutor.cli import main


class _Quiet(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def http_server() -> Iterator[int]:
    """A plain-HTTP server on 127.0.0.1; yields its port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def silent_server() -> Iterator[int]:
    """Accepts connections and never says a byte; yields its port."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            with contextlib.suppress(OSError):
                held.append(listener.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()


def one_line(capsys, code: int, *argv: str) -> str:
    assert main(["lab", "run", *argv]) == code
    err = capsys.readouterr().err.strip().splitlines()[-1]
    return err


def test_tls_at_a_plain_http_port_says_so(capsys):
    with http_server() as port:
        err = one_line(capsys, 1, "tls", "--target", f"127.0.0.1:{port}")
    assert "answered in plain HTTP" in err and "http://" in err
    assert "WRONG_VERSION_NUMBER" not in err


def test_https_url_at_a_plain_http_port_says_so(capsys):
    with http_server() as port:
        err = one_line(capsys, 1, "http-api", "--target", f"https://127.0.0.1:{port}/")
    assert "answered in plain HTTP" in err and "WRONG_VERSION_NUMBER" not in err


def test_ftp_at_an_http_port_does_not_blame_a_firewall(capsys):
    with http_server() as port:
        started = time.monotonic()
        err = one_line(capsys, 1, "ftp", "--target", f"127.0.0.1:{port}", "--timeout", "2")
    assert "no FTP greeting" in err and "firewall" not in err
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("flag", [["--method", "DELETE"], ["--header", "A: b"], ["--data", "x"]])
def test_request_options_without_a_target_are_refused(capsys, flag):
    err = one_line(capsys, 2, "http-api", *flag)
    assert f"{flag[0]} needs --target" in err


async def test_x_stops_a_lab_waiting_on_a_silent_server():
    from tutor.app import make_app
    from tutor.progress import Store
    from tutor.screens.lab import LabScreen

    with silent_server() as port:
        app = make_app(store=Store.memory())
        async with app.run_test(size=(120, 36)) as pilot:
            screen = LabScreen("http-api", target=f"http://127.0.0.1:{port}/")
            app.push_screen(screen)
            await pilot.pause()
            await pilot.press("r")
            await pilot.pause(1.5)  # connected, now waiting for an answer
            started = time.monotonic()
            screen.action_cancel()
            await app.workers.wait_for_complete()
            await pilot.pause()
            took = time.monotonic() - started
            banner = str(screen.query_one("#banner").render())
    assert "Stopped" in banner
    assert took < 3  # the lab's timeout is 10 s
