"""What a run of the websocket lab knows besides the packets: the opening
handshake's key and answer, what each message brought back, and how the
connections through the idle proxy ended."""

from __future__ import annotations

from dataclasses import dataclass

#: The names of the two connections through the idle relay.
QUIET, PINGING = "quiet, through the proxy", "pinging, through the proxy"


@dataclass(frozen=True)
class Idle:
    """The two connections through the relay with an idle timeout."""

    #: The relay's port and its idle timeout in seconds.
    port: int
    timeout: float
    #: Seconds the quiet connection lived after its last byte, and the close
    #: code the client reported (1006: closed without a close frame).
    quiet_lasted: float
    quiet_code: int
    #: Pings the other connection sent, and whether it was still open after
    #: twice the idle timeout.
    pings: int
    kept_open: bool


@dataclass(frozen=True)
class WsResult:
    #: The WebSocket server's port: its packets are read as HTTP, then WebSocket.
    port: int
    embedded: bool
    #: Sec-WebSocket-Key the client sent and Sec-WebSocket-Accept the server answered.
    key: str
    accept: str
    status: int
    #: What the server pushed unasked right after the upgrade ("" when nothing).
    welcome: str
    message: str
    echo: str
    binary: bytes
    echo_binary: bytes
    ping: bytes
    #: Round trip of the ping, in milliseconds.
    pong_ms: float
    close_code: int
    close_reason: str
    #: None when the idle demonstration did not run (a target off this machine).
    idle: Idle | None
