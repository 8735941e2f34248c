"""The websocket lab: open a WebSocket, exchange each kind of frame, close
it; then show why a proxy's idle timeout kills a quiet socket.

With no target the lab starts its own echo server
(`labs.catalog.websocket.server`); `--target ws://HOST:PORT/PATH` talks to
yours (an echo server: the lab expects its text and binary messages back).
The idle demonstration always uses a relay and a second echo server of the
lab's own on 127.0.0.1, so it runs only when the target is on this machine
(a capture listens on one interface)."""

from __future__ import annotations

import socket
from contextlib import ExitStack
from dataclasses import dataclass

from labs.core.hostport import parse_url
from labs.kit import (
    Capture,
    Endpoint,
    LabContext,
    LabRequest,
    Plan,
    Recording,
    capture_run,
    capture_where,
    resolve,
)

from .client import BINARY, PING, exchange, idle_demo, open_ws
from .explain import explain
from .result import WsResult
from .server import idle_relay, ws_server

__all__ = ["RESULT", "explain", "record"]

LAB = "websocket"
RESULT = WsResult
#: The relay's idle timeout: short so the lab stays quick (real proxies: 60 s or more).
IDLE = 0.6
HINT = "Use ws://HOST:PORT/PATH (a WebSocket echo server)."


@dataclass(frozen=True)
class _Where:
    endpoint: Endpoint
    host: str
    path: str
    relay: int | None


def record(req: LabRequest, ctx: LabContext) -> Recording[WsResult]:
    message = str(req.option("message"))
    given = None
    if req.target:
        url = parse_url(req.target, LAB, "WebSocket", ("ws",), HINT, assume="ws")
        given = (
            url.hostname or "",
            url.port or 80,
            (url.path or "/") + (f"?{url.query}" if url.query else ""),
        )
    chosen: list[_Where] = []

    def setup(stack: ExitStack) -> Plan:
        if given is None:
            ctx.say("Starting the lab's own WebSocket echo server on 127.0.0.1 ...")
            port = stack.enter_context(ws_server())
            endpoint, host, path = (
                Endpoint(socket.AF_INET, "127.0.0.1", port),
                "127.0.0.1",
                "/orders/live",
            )
        else:
            host, port, path = given
            endpoint = resolve(host, port, socket.SOCK_STREAM)
        iface, only = capture_where(endpoint)
        relay = None
        if endpoint.loopback:
            # The proxy sits in front of a second echo server, so its two legs
            # are never mistaken for the learner's connection.
            behind = stack.enter_context(ws_server())
            relay = stack.enter_context(idle_relay(behind, IDLE))
        chosen.append(_Where(endpoint, endpoint.address, path, relay))
        ports = (endpoint.port,) + ((relay,) if relay else ())
        shown = f"[{host}]" if ":" in host else host
        return Plan(f"ws://{shown}:{endpoint.port}{path}", ports, iface=iface, host=only)

    def converse(cap: Capture, _plan: Plan) -> WsResult:
        w = chosen[0]
        ctx.say(f"Opening a WebSocket to {w.endpoint.shown}{w.path} ...")
        with open_ws(cap, w.host, w.endpoint.port, w.path, req.timeout, "websocket") as ws:
            key = str(ws.request.headers.get("Sec-WebSocket-Key", "")) if ws.request else ""
            accept = str(ws.response.headers.get("Sec-WebSocket-Accept", "")) if ws.response else ""
            status = ws.response.status_code if ws.response else 0
            got = exchange(ws, message, given is None, req.timeout, ctx)
        idle = idle_demo(cap, w.relay, IDLE, req.timeout, ctx) if w.relay else None
        return WsResult(
            port=w.endpoint.port,
            embedded=given is None,
            key=key,
            accept=accept,
            status=status,
            welcome=got["welcome"],
            message=message,
            echo=got["echo"],
            binary=BINARY,
            echo_binary=got["echo_binary"],
            ping=PING,
            pong_ms=got["pong_ms"],
            close_code=got["close_code"],
            close_reason=got["close_reason"],
            idle=idle,
        )

    return capture_run(ctx, LAB, setup, converse)
