"""What the drills' fault servers share: serving in a background thread with
a clean stop, the quiet HTTP handler they speak through, and a command line
that runs one of them in the foreground until Ctrl-C or SIGTERM (how a drill
starts one inside a network namespace: `ip netns exec NS python -I -m ...`).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler
from types import FrameType
from typing import Any, NoReturn, Protocol


class QuietHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive, no log lines and JSON answers."""

    protocol_version = "HTTP/1.1"
    sys_version = ""
    #: Seconds a connection may stall mid-request before its thread gives up;
    #: an idle kept-alive connection waits this long for its next request.
    timeout = 300

    def version_string(self) -> str:
        return self.server_version  # without the trailing space an empty sys_version leaves

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # the drill shows the traffic; a log on stderr would only get in the way

    def send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload).encode() + b"\n"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(min(length, 1 << 20)) if length > 0 else b""


class Stoppable(Protocol):
    host: str
    port: int

    def start(self) -> object: ...
    def stop(self) -> None: ...


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports bad input in one line on stderr (exit 2), no usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message}\n")


def host_port(text: str) -> tuple[str, int]:
    """'HOST:PORT' (IPv6 in brackets) as a pair, for argparse."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535 or not host:
        raise argparse.ArgumentTypeError(f"{text!r} is not HOST:PORT (e.g. 127.0.0.1:8080)")
    return host.strip("[]"), int(port)


def run_in_foreground(
    parser: argparse.ArgumentParser,
    build: Callable[[argparse.Namespace], Stoppable],
    argv: Sequence[str] | None = None,
) -> int:
    """Parse the arguments, start the service, print `listening HOST:PORT`
    (so a parent that asked for port 0 learns the port), and serve until
    SIGINT or SIGTERM; then stop it cleanly. Bad input: one line, exit 2."""
    args = parser.parse_args(argv)  # argparse: one usage line and exit 2 on bad input
    try:
        service = build(args)
        service.start()
    except (OSError, ValueError) as exc:
        print(f"{parser.prog}: cannot start: {exc}", file=sys.stderr)
        return 2
    done = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        done.set()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        print(f"listening {service.host}:{service.port}", flush=True)
        while not done.wait(0.5):
            pass
    finally:
        service.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
