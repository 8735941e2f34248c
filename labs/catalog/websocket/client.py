"""The websocket lab's client: the upgrade, a text, a binary, a ping and a
close; then two connections through the idle relay, one quiet and one kept
alive by pings.

WebSocket is spoken with `websockets`' sans-I/O protocol (it makes and reads
the handshake and the frames, masks, answers pings and runs the closing
handshake); this module owns the socket and does all reading and writing in
one thread, so what the capture records at the socket is in the order it
happened (the library's threaded client reads on a thread of its own).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from websockets.client import ClientProtocol
from websockets.exceptions import InvalidHandshake, InvalidStatus
from websockets.frames import Frame, Opcode
from websockets.http11 import Request, Response
from websockets.uri import parse_uri

from labs.kit import Capture, LabContext, LabError, network_errors

from .result import PINGING, QUIET, Idle

USER_AGENT = "tutor-lab/0.1"
BINARY = bytes([0x00, 0x01, 0x02, 0x7F, 0x80, 0xFE, 0xFF])
PING = b"are you there?"
CLOSE_REASON = "done"


class Ws:
    """One WebSocket over a recorded socket (no compression extension is
    offered: permessage-deflate would hide the payloads the lab shows)."""

    def __init__(self, sock: Any, uri: str) -> None:
        self.sock = sock
        self.uri = uri
        self.proto = ClientProtocol(parse_uri(uri))
        self.pending: list[Any] = []
        self.eof = False
        self.request: Request | None = None
        self.response: Response | None = None

    def flush(self) -> None:
        for data in self.proto.data_to_send():
            if data:
                self.sock.sendall(data)
            else:  # the protocol is done sending: half-close, as RFC 6455 asks
                with suppress(OSError):
                    self.sock.shutdown(socket.SHUT_WR)

    def _read(self) -> None:
        data = self.sock.recv(65536)
        if data:
            self.proto.receive_data(data)
        else:
            self.eof = True
            self.proto.receive_eof()
        self.pending += self.proto.events_received()
        self.flush()  # pongs to the server's pings, the close reply

    def handshake(self) -> None:
        request = self.proto.connect()
        request.headers["User-Agent"] = USER_AGENT
        self.request = request
        self.proto.send_request(request)
        self.flush()
        while not self.pending:
            if self.eof:
                raise LabError(f"{self.uri} closed the connection instead of answering.")
            self._read()
        self.response = self.pending.pop(0)
        exc = getattr(self.proto, "handshake_exc", None)
        if isinstance(exc, InvalidStatus):
            raise LabError(
                f"{self.uri} answered HTTP {exc.response.status_code} instead of 101 "
                "Switching Protocols.",
                "Is it a WebSocket endpoint? Check the path.",
            )
        if isinstance(exc, InvalidHandshake):
            raise LabError(f"The WebSocket handshake with {self.uri} failed: {exc}.")

    def frame(self) -> Frame | None:
        """The next frame from the server, or None once the connection ended."""
        while not self.pending:
            if self.eof:
                return None
            self._read()
        event = self.pending.pop(0)
        return event if isinstance(event, Frame) else self.frame()

    def wait_for(self, opcode: Opcode, what: str) -> Frame:
        while True:
            f = self.frame()
            if f is None:
                raise LabError(f"The server closed the WebSocket before the {what}.")
            if f.opcode == opcode:
                return f

    def close(self, code: int = 1000, reason: str = CLOSE_REASON) -> None:
        """The closing handshake: our Close, the server's, then the server ends TCP."""
        with suppress(Exception):  # already closed: nothing to say
            self.proto.send_close(code, reason)
        self.flush()
        while not self.eof:
            self._read()


@contextmanager
def open_ws(
    cap: Capture, host: str, port: int, path: str, timeout: float, name: str
) -> Iterator[Ws]:
    """The TCP connection (recorded) and the opening handshake over it;
    the socket is closed on the way out."""
    shown = f"[{host}]" if ":" in host else host
    with network_errors(f"{shown}:{port}", timeout):
        sock = cap.create_connection((host, port), timeout, conversation=name)
        try:
            sock.settimeout(timeout)
            ws = Ws(sock, f"ws://{shown}:{port}{path}")
            ws.handshake()
            yield ws
        finally:
            sock.close()


def exchange(
    ws: Ws, message: str, embedded: bool, timeout: float, ctx: LabContext
) -> dict[str, Any]:
    """Text, binary, ping and close on the open connection."""
    out: dict[str, Any] = {"welcome": ""}
    if embedded:
        out["welcome"] = bytes(ws.wait_for(Opcode.TEXT, "welcome message").data).decode()
    ctx.check()
    ws.proto.send_text(message.encode())
    ws.flush()
    out["echo"] = bytes(ws.wait_for(Opcode.TEXT, "answer to the text message").data).decode()
    ctx.check()
    ws.proto.send_binary(BINARY)
    ws.flush()
    out["echo_binary"] = bytes(ws.wait_for(Opcode.BINARY, "answer to the binary message").data)
    ctx.check()
    sent = time.monotonic()
    ws.proto.send_ping(PING)
    ws.flush()
    ws.wait_for(Opcode.PONG, "pong")
    out["pong_ms"] = round((time.monotonic() - sent) * 1000, 3)
    ws.close(1000, CLOSE_REASON)
    out["close_code"] = int(ws.proto.close_code or 0)
    out["close_reason"] = ws.proto.close_reason or ""
    return out


def idle_demo(cap: Capture, relay: int, idle: float, timeout: float, ctx: LabContext) -> Idle:
    """One connection stays quiet until the relay drops it; one pings every
    third of the timeout and outlives twice the timeout."""
    ctx.say(f"Through a proxy that drops connections idle for {idle:g} s: staying quiet ...")
    with open_ws(cap, "127.0.0.1", relay, "/", max(timeout, idle * 4), QUIET) as ws:
        ws.wait_for(Opcode.TEXT, "welcome message")
        last = time.monotonic()
        while ws.frame() is not None:
            pass  # nothing comes: the relay ends it
        lasted = round(time.monotonic() - last, 3)
        code = int(ws.proto.close_code or 0)
    ctx.check()
    ctx.say(f"... and with a ping every {idle / 3:g} s ...")
    pings, kept = 0, True
    with open_ws(cap, "127.0.0.1", relay, "/", timeout, PINGING) as ws:
        ws.wait_for(Opcode.TEXT, "welcome message")
        end = time.monotonic() + 2 * idle
        while time.monotonic() < end:
            ctx.check()
            time.sleep(idle / 3)
            try:
                ws.proto.send_ping(b"keepalive")
                ws.flush()
                ws.wait_for(Opcode.PONG, "pong")
            except (LabError, OSError):
                kept = False
                break
            pings += 1
        if kept:
            ws.close(1000, CLOSE_REASON)
    return Idle(relay, idle, lasted, code, pings, kept)
