"""The websocket lab's embedded servers: a WebSocket echo server on
127.0.0.1 (the `websockets` library), and a TCP relay in front of a second
one that, like a load balancer or proxy, drops a connection that has been
quiet for longer than its idle timeout. Leaving each `with` block stops it
and closes its connections."""

from __future__ import annotations

import json
import selectors
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

SERVER_SOFTWARE = "tutor-lab"
#: What the embedded server pushes as soon as a client connects, unasked.
WELCOME = json.dumps({"event": "welcome", "orders_open": 3})


def _echo(conn: ServerConnection) -> None:
    with suppress(ConnectionClosed):
        conn.send(WELCOME)
        for message in conn:
            conn.send(message)


@contextmanager
def ws_server() -> Iterator[int]:
    """A WebSocket echo server on 127.0.0.1 (ephemeral port); yields the port.

    Compression is off (permessage-deflate would hide the payloads the lab
    shows) and so are automatic pings (the lab sends its own)."""
    server = serve(
        _echo,
        "127.0.0.1",
        0,
        compression=None,
        server_header=SERVER_SOFTWARE,
        ping_interval=None,
        close_timeout=2,
    )
    thread = threading.Thread(target=server.serve_forever, name="tutor-ws", daemon=True)
    thread.start()
    try:
        yield int(server.socket.getsockname()[1])
    finally:
        server.shutdown()
        thread.join(timeout=3)


@contextmanager
def idle_relay(upstream: int, idle: float) -> Iterator[int]:
    """A relay on 127.0.0.1 to 127.0.0.1:`upstream` that closes both sides of
    a connection after `idle` seconds with no byte either way (what proxies
    and load balancers do: 60 s is a common default). Yields its port."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop = threading.Event()
    threads: list[threading.Thread] = []

    def accept() -> None:
        while not stop.is_set():
            try:
                down, _addr = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            t = threading.Thread(target=_pipe, args=(down, upstream, idle, stop), daemon=True)
            threads.append(t)
            t.start()

    acceptor = threading.Thread(target=accept, name="tutor-ws-relay", daemon=True)
    acceptor.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        listener.close()
        acceptor.join(timeout=2)
        for t in threads:
            t.join(timeout=2)


def _pipe(down: socket.socket, upstream: int, idle: float, stop: threading.Event) -> None:
    """Copy bytes both ways until a side closes or nothing moves for `idle` s."""
    up = socket.create_connection(("127.0.0.1", upstream), timeout=2)
    peer: dict[Any, socket.socket] = {down: up, up: down}
    sel = selectors.DefaultSelector()
    for s in (down, up):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sel.register(s, selectors.EVENT_READ)
    try:
        while not stop.is_set():
            ready = sel.select(timeout=idle)
            if not ready:
                return  # idle: close both sides, as a proxy would
            for key, _ in ready:
                data = key.fileobj.recv(65536)  # type: ignore[union-attr]
                if not data:
                    return
                peer[key.fileobj].sendall(data)
    except OSError:
        return
    finally:
        sel.close()
        for s in (down, up):
            with suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()
