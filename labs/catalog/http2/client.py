"""The http2 lab's client: the same API call over HTTP/1.1, then over HTTP/2
with more calls multiplexed as streams on one connection.

HTTP/2 is spoken with `h2` (sans-IO: it makes and reads the frames, HPACK and
flow-control windows; this module owns the socket, so the capture records
every byte). The client announces a 16 KiB stream window in its SETTINGS so
the ~20 KB list response has to wait for a WINDOW_UPDATE: flow control at
work, not just a frame type in a table.
"""

from __future__ import annotations

import ssl
from contextlib import suppress
from typing import Any, Protocol

from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.events import (
    ConnectionTerminated,
    DataReceived,
    ResponseReceived,
    StreamEnded,
    StreamReset,
)
from h2.exceptions import ProtocolError
from h2.settings import SettingCodes, Settings

from labs.kit import Capture, Endpoint, LabContext, LabError, network_errors

from .result import H1Call, H2Call, StreamCall

USER_AGENT = "tutor-lab/0.1"
#: The client's stream window (RFC 9113 section 6.9.2): small on purpose, see above.
WINDOW = 16384
H1_ONLY = (
    "It may speak only HTTP/1.1: in clear (h2c) the lab assumes the server accepts HTTP/2 "
    "from the first byte."
)
#: The most response bytes the lab reads per call (it shows calls, not downloads).
MAX_BODY = 512 * 1024


class _Sock(Protocol):
    def sendall(self, data: bytes) -> Any: ...
    def recv(self, n: int) -> bytes: ...


class Channel:
    """One connection as the lab opened it: the socket to talk on (the TLS
    object over TLS), what ALPN chose, and how to close it."""

    def __init__(self, raw: Any, talk: Any, alpn: str | None) -> None:
        self.raw, self.talk, self.alpn = raw, talk, alpn

    def close(self) -> None:
        if self.talk is not self.raw:
            with suppress(OSError, ValueError):
                self.talk.close()
        self.raw.close()


def connect(
    cap: Capture,
    endpoint: Endpoint,
    name: str,
    context: ssl.SSLContext | None,
    timeout: float,
    wire: str,
    inside: str,
) -> Channel:
    """A TCP connection (and the TLS handshake with SNI `name` over TLS)."""
    raw = cap.create_connection((endpoint.address, endpoint.port), timeout, conversation=wire)
    if context is None:
        return Channel(raw, raw, None)
    try:
        tls = cap.wrap_tls(raw, context, server_hostname=name, conversation=inside)
    except ssl.SSLCertVerificationError as exc:
        raw.close()
        raise LabError(
            f"The certificate of {name} could not be verified "
            f"({exc.verify_message or exc.reason}).",
            "Add --insecure to look at the connection anyway.",
        ) from None
    except BaseException:
        raw.close()
        raise
    return Channel(raw, tls, tls.selected_alpn_protocol())


def _recv(sock: _Sock) -> bytes:
    try:
        return sock.recv(65536)
    except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
        return b""


def http1_call(chan: Channel, authority: str, path: str, ctx: LabContext) -> H1Call:
    """One GET over HTTP/1.1 with `Connection: close`; reads until the server closes."""
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: {USER_AGENT}\r\n"
        "Accept: application/json\r\nConnection: close\r\n\r\n"
    ).encode()
    ctx.check()
    chan.talk.sendall(request)
    chunks: list[bytes] = []
    while sum(map(len, chunks)) < MAX_BODY:
        data = _recv(chan.talk)
        if not data:
            break
        chunks.append(data)
    response = b"".join(chunks)
    head = response.split(b"\r\n", 1)[0].split(b" ")
    status = int(head[1]) if len(head) > 1 and head[1].isdigit() else 0
    return H1Call(alpn=chan.alpn, request=request, response=response, status=status)


def _send(sock: _Sock, data: bytes) -> None:
    """A write on the HTTP/2 connection; a server that hung up on the preface
    (one that speaks only HTTP/1.1 answers it with 400 and closes) is said as
    such, not as a broken pipe."""
    try:
        sock.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        raise LabError(
            "The server closed the HTTP/2 connection before answering.", H1_ONLY
        ) from None


def h2_calls(
    chan: Channel, authority: str, scheme: str, paths: tuple[str, ...], ctx: LabContext
) -> H2Call:
    """The preface and SETTINGS, one stream per path (all sent before any
    answer is read: multiplexed), the answers, then GOAWAY and close."""
    conn = H2Connection(H2Configuration(client_side=True, header_encoding="utf-8"))
    conn.local_settings = Settings(
        client=True,
        initial_values={
            SettingCodes.ENABLE_PUSH: 0,
            SettingCodes.MAX_CONCURRENT_STREAMS: 100,
            SettingCodes.INITIAL_WINDOW_SIZE: WINDOW,
        },
    )
    conn.initiate_connection()
    _send(chan.talk, conn.data_to_send())
    streams: dict[int, dict[str, Any]] = {}
    for path in paths:
        ctx.check()
        sid = conn.get_next_available_stream_id()
        conn.send_headers(
            sid,
            [
                (":method", "GET"),
                (":scheme", scheme),
                (":authority", authority),
                (":path", path),
                ("user-agent", USER_AGENT),
                ("accept", "application/json"),
            ],
            end_stream=True,
        )
        streams[sid] = {"path": path, "status": 0, "body": 0, "done": False}
        # One write per request: each HEADERS frame leaves as its own send.
        _send(chan.talk, conn.data_to_send())
    order: list[int] = []
    goaway = False
    while not all(s["done"] for s in streams.values()) and not goaway:
        ctx.check()
        data = _recv(chan.talk)
        if not data:
            raise LabError("The server closed the HTTP/2 connection before answering.", H1_ONLY)
        try:
            events = conn.receive_data(data)
        except ProtocolError as exc:
            raise LabError(f"The server's answer is not HTTP/2 ({exc}).", H1_ONLY) from None
        for ev in events:
            on: int | None = getattr(ev, "stream_id", None)
            if on is not None and on not in streams:
                continue
            if isinstance(ev, ResponseReceived) and on is not None:
                head: dict[Any, Any] = dict(ev.headers or ())
                streams[on]["status"] = int(str(head.get(":status", "0")))
            elif isinstance(ev, DataReceived) and on is not None:
                streams[on]["body"] += len(ev.data or b"")
                order.append(on)
                # Handing the bytes back is what lets h2 send WINDOW_UPDATE.
                conn.acknowledge_received_data(ev.flow_controlled_length, on)
            elif isinstance(ev, StreamEnded | StreamReset) and on is not None:
                streams[on]["done"] = True
            elif isinstance(ev, ConnectionTerminated):
                goaway = True
        out = conn.data_to_send()
        if out:
            _send(chan.talk, out)
    conn.close_connection()
    _send(chan.talk, conn.data_to_send())
    # Read until the server closes its side, so the close shows both ways.
    with suppress(OSError):
        while _recv(chan.talk):
            pass
    return H2Call(
        alpn=chan.alpn,
        streams=tuple(
            StreamCall(sid, s["path"], s["status"], s["body"]) for sid, s in streams.items()
        ),
        data_order=tuple(order),
    )


def run_both(
    cap: Capture,
    endpoint: Endpoint,
    name: str,
    authority: str,
    paths: tuple[str, ...],
    contexts: tuple[ssl.SSLContext | None, ssl.SSLContext | None],
    timeout: float,
    ctx: LabContext,
) -> tuple[H1Call, H2Call]:
    """The HTTP/1.1 call on one connection, then the HTTP/2 calls on another."""
    scheme = "https" if contexts[1] is not None else "http"
    with network_errors(endpoint.shown, timeout):
        ctx.say(f"HTTP/1.1: GET {paths[0]} ...")
        chan = connect(cap, endpoint, name, contexts[0], timeout, "HTTP/1.1", "HTTP/1.1 inside TLS")
        try:
            h1 = http1_call(chan, authority, paths[0], ctx)
        finally:
            chan.close()
        ctx.say(f"HTTP/2: {len(paths)} requests as streams on one connection ...")
        chan = connect(cap, endpoint, name, contexts[1], timeout, "HTTP/2", "HTTP/2 inside TLS")
        try:
            if contexts[1] is not None and chan.alpn != "h2":
                raise LabError(
                    f"{endpoint.shown} did not choose HTTP/2: ALPN answered {chan.alpn!r}.",
                    "The server must offer h2 in ALPN (or try http:// for h2c).",
                )
            h2 = h2_calls(chan, authority, scheme, paths, ctx)
        finally:
            chan.close()
    return h1, h2
