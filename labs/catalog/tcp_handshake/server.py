"""The tcp-handshake lab's embedded server: a real TCP listener on 127.0.0.1
that reads one line and answers it, then waits for the client to hang up.

Waiting for the client's FIN before closing makes the close orderly and the
same every run (client FIN first, then the server's), which is what the lab
explains. Use it as a context manager so the listener and every connection
thread are gone when the block ends, also on error.
"""

from __future__ import annotations

import socket
import threading

#: How long a connection may sit idle before the server gives up on it.
IDLE_TIMEOUT = 5.0
MAX_LINE = 4096


def answer_for(line: bytes) -> bytes:
    """What the server sends back for one received line (newline included)."""
    text = line.rstrip(b"\r\n")
    return b"hello from tutor, you said: " + text + b"\n"


class EchoServer:
    """A one-line echo service on 127.0.0.1 with an ephemeral port.

    `port` is known once the server has started; `connections` counts the
    clients it answered (tests use it to tell this server from another).
    """

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self.connections = 0
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._clients: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    # -- life cycle -----------------------------------------------------------

    def start(self) -> EchoServer:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.bind((self.host, 0))
            listener.listen(8)
        except OSError:
            listener.close()
            raise
        self._listener = listener
        self.port = listener.getsockname()[1]
        acceptor = threading.Thread(target=self._accept_loop, name="echo-accept", daemon=True)
        self._threads.append(acceptor)
        acceptor.start()
        return self

    def stop(self) -> None:
        """Close the listener and every open connection, and wait for the threads."""
        self._stopping.set()
        if self._listener is not None:
            # shutdown() wakes a thread blocked in accept() on Linux; close alone does not.
            try:
                self._listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._listener.close()
        with self._lock:
            clients = list(self._clients)
        for conn in clients:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for thread in list(self._threads):
            thread.join(timeout=IDLE_TIMEOUT + 1)

    def __enter__(self) -> EchoServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- serving -------------------------------------------------------------

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                conn, _addr = self._listener.accept()
            except OSError:
                return
            worker = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            with self._lock:
                self._clients.add(conn)
                self._threads.append(worker)
            worker.start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(IDLE_TIMEOUT)
            line = _read_line(conn)
            if line:
                conn.sendall(answer_for(line))
                with self._lock:
                    self.connections += 1
            # Let the client close first: read until its FIN (b"") arrives.
            while conn.recv(MAX_LINE):
                pass
        except OSError:
            pass
        finally:
            with self._lock:
                self._clients.discard(conn)
            conn.close()


def _read_line(conn: socket.socket) -> bytes:
    data = b""
    while b"\n" not in data and len(data) < MAX_LINE:
        chunk = conn.recv(MAX_LINE - len(data))
        if not chunk:
            break
        data += chunk
    return data
