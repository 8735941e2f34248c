"""The websocket lab end to end against real servers on 127.0.0.1: its own
echo server (reconstructed and live), a second one given with --target (the
`websockets` asyncio server, a different implementation from the embedded
sync one), an HTTP server that refuses the upgrade, bad input, cancel; every
websocket.* field (and the upgrade's http.sec_websocket_*) compared with
tshark on the saved pcap."""

from __future__ import annotations

import asyncio
import shutil
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from labrun import run
from tshark_compare import compare

from labs.api import save_capture
from labs.core.hostport import port_is_closed
from labs.model.errors import BadInput, Cancelled, LabError
from labs.model.trace import Trace

EMBEDDED_FACTS = {
    "upgrade_status": "101",
    "accept_matches": "yes",
    "client_frames_masked": "yes",
    "server_frames_masked": "no",
    "ping_answer": "Pong",
    "close_code": "1000",
    "idle_closer": "proxy",
    "idle_close_code": "1006",
}


def _facts(trace: Trace) -> dict[str, str]:
    return {f.name: f.value for f in trace.facts}


def _threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("tutor-ws")]


def _ports(trace: Trace) -> set[int]:
    return {int(p.dst.rsplit(":", 1)[1]) for p in trace.packets if p.summary == "TCP SYN"}


def test_embedded(mode):
    trace = run("websocket", timeout=5, message="ship order 42")
    assert trace.capture == mode
    assert _facts(trace) == EMBEDDED_FACTS
    steps = [s.name for s in trace.steps]
    if mode == "live":
        assert steps == [
            "tcp-connect", "upgrade", "push", "text", "binary", "ping", "close",
            "idle-quiet", "idle-ping",
        ]  # fmt: skip
    else:
        # Rebuilt from the socket, the server's first frames may share the
        # 101's segment, so "push" can be part of "upgrade".
        assert {"tcp-connect", "upgrade", "binary", "close", "idle-quiet", "idle-ping"} <= set(
            steps
        )
    texts = [f.value for p in trace.packets for f in p.fields("websocket.payload.text")]
    assert texts.count("ship order 42") == 2  # sent masked, echoed unmasked
    accept = next(s.body for s in trace.sections if s.title.startswith("The key"))
    assert accept.endswith("they match\tyes")
    mask = next(s.body for s in trace.sections if s.title.startswith("Masked"))
    assert "\ts\n" in mask  # the first character, unmasked
    for port in _ports(trace):
        assert port_is_closed("127.0.0.1", port)
    assert not _threads()


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
def test_wireshark_reads_the_same_websocket_fields(mode, tmp_path):
    trace = run("websocket", timeout=5)
    assert _tshark_check(trace, tmp_path) > 120


def _tshark_check(trace: Trace, tmp_path: Path) -> int:
    pcap = tmp_path / "ws.pcap"
    count, _keys = save_capture(trace, pcap)
    assert count == len(trace.wire_packets())
    decode = [f"tcp.port=={port},http" for port in _ports(trace)]
    return compare(trace, pcap, ("websocket.", "http.sec_websocket", "data."), decode)


@pytest.fixture
def other_server() -> Iterator[int]:
    """An echo server made with `websockets`' asyncio implementation, in a
    thread with its own event loop; pushes nothing on connect."""
    from websockets.asyncio.server import serve

    loop = asyncio.new_event_loop()
    ready: list[Any] = []
    stop = asyncio.Event()

    async def echo(ws: Any) -> None:
        async for message in ws:
            await ws.send(message)

    async def main() -> None:
        async with serve(echo, "127.0.0.1", 0, compression=None) as server:
            ready.append(server.sockets[0].getsockname()[1])
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    while not ready:
        threading.Event().wait(0.01)
    yield int(ready[0])
    loop.call_soon_threadsafe(stop.set)
    thread.join(timeout=5)
    loop.close()


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
def test_target_another_server(mode, other_server, tmp_path):
    trace = run("websocket", target=f"ws://127.0.0.1:{other_server}/echo", timeout=5)
    facts = _facts(trace)
    assert {k: facts[k] for k in ("upgrade_status", "accept_matches", "close_code")} == {
        "upgrade_status": "101",
        "accept_matches": "yes",
        "close_code": "1000",
    }
    assert "push" not in [s.name for s in trace.steps]  # this server never speaks first
    assert facts["idle_closer"] == "proxy"  # the relay stands in front of the lab's own server
    assert _tshark_check(trace, tmp_path) > 80


class _NotWebSocket(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_a_server_that_refuses_the_upgrade_is_one_line(reconstructed):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _NotWebSocket)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        with pytest.raises(LabError, match="answered HTTP 404 instead of 101") as info:
            run("websocket", target=f"ws://127.0.0.1:{httpd.server_address[1]}/", timeout=5)
        assert "\n" not in str(info.value)
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("http://127.0.0.1:8000/", "speaks WebSocket, not http"),
        ("wss://127.0.0.1/", "speaks WebSocket, not wss"),
        ("ws://127.0.0.1:0/", "1 to 65535"),
    ],
)
def test_bad_input_is_one_line(target, message):
    with pytest.raises(BadInput, match=message):
        run("websocket", target=target)


def test_refused_is_one_line(reconstructed):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with pytest.raises(LabError, match="refused"):
        run("websocket", target=f"ws://127.0.0.1:{port}/", timeout=2)


def test_cancel_stops_the_lab_and_its_servers(reconstructed):
    cancel = threading.Event()

    def progress(message: str) -> None:
        if message.startswith("Through a proxy"):
            cancel.set()

    with pytest.raises(Cancelled):
        run("websocket", timeout=5, progress=progress, cancel=cancel)
    assert not _threads()
