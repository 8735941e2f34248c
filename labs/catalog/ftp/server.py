"""The ftp lab's embedded server: a read-only FTP server (pyftpdlib) on 127.0.0.1.

It serves a few small sample files from a temporary directory, to anonymous
users and to a demo account whose password the lab sends (in clear, which is
the point of the lab). Passive data connections use a small port range chosen
at start, so a live capture can filter on it up front. Leaving the `with`
block always stops the server and removes the directory.
"""

from __future__ import annotations

import logging
import os
import random
import shutil
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.ioloop import IOLoop
from pyftpdlib.servers import FTPServer

from labs.kit import signals_held

DEMO_USER = "demo"
DEMO_PASSWORD = "demo-password"

#: The sample files, small enough to show whole in a hex dump.
SAMPLE_FILES: Mapping[str, bytes] = {
    "welcome.txt": b"Welcome to the tutor FTP lab.\nThis file came over a data connection.\n",
    "prices.csv": b"item,price\nwidget,4.50\ngadget,12.00\n",
    "notes/readme.txt": b"FTP sends every command, and the password, as plain text.\n",
}

#: Passive ports come from a block below Linux's ephemeral range (32768+),
#: so a capture filtered on the block sees no unrelated client connections.
PASSIVE_BASE = 30000
PASSIVE_BLOCK = 20
PASSIVE_BLOCKS = 100

# pyftpdlib logs every command at INFO and, when nothing else configured
# logging, installs a stderr handler of its own; the lab's output must stay
# the lab's. A NullHandler counts as "configured" for pyftpdlib.
_log = logging.getLogger("pyftpdlib")
_log.addHandler(logging.NullHandler())
_log.propagate = False


@dataclass(frozen=True)
class FtpServerInfo:
    """Where the running server listens and what it serves."""

    host: str
    port: int
    root: str
    #: Inclusive range of the passive data ports.
    passive_ports: tuple[int, int]
    user: str
    password: str


def pick_passive_range() -> tuple[int, int]:
    """A random block, so two servers running at once rarely share ports
    (pyftpdlib moves on to another port of the block when one is busy)."""
    start = PASSIVE_BASE + random.randrange(PASSIVE_BLOCKS) * PASSIVE_BLOCK
    return (start, start + PASSIVE_BLOCK - 1)


def _write_files(root: Path, files: Mapping[str, bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def _serve(server: FTPServer, stop: threading.Event) -> None:
    """Poll until asked to stop, then close everything from this same thread:
    closing pyftpdlib's sockets from another thread races with its poll."""
    try:
        while not stop.is_set():
            server.serve_forever(timeout=0.05, blocking=False, handle_exit=False)
    finally:
        server.close_all()


@contextmanager
def ftp_server(
    files: Mapping[str, bytes] = SAMPLE_FILES,
    user: str = DEMO_USER,
    password: str = DEMO_PASSWORD,
    without: tuple[str, ...] = (),
) -> Iterator[FtpServerInfo]:
    """Run a read-only FTP server on 127.0.0.1 (ephemeral control port).
    `without` names commands it answers with 500, like an older server
    (e.g. ("EPSV",))."""
    with ExitStack() as stack:
        # Made and owned with Ctrl-C and SIGTERM held: one landing in between
        # would leave the folder behind. The pid in its name: `tutor doctor
        # --cleanup` removes it if this run is killed.
        with signals_held():
            root = Path(tempfile.mkdtemp(prefix=f"tutor-ftp-{os.getpid()}-"))
            stack.callback(shutil.rmtree, root, ignore_errors=True)
        _write_files(root, files)
        authorizer = DummyAuthorizer()
        # e: change directory, l: list, r: retrieve. Nothing that writes.
        authorizer.add_anonymous(str(root), perm="elr")
        authorizer.add_user(user, password, str(root), perm="elr")
        low, high = pick_passive_range()
        handler = type(
            "LabFTPHandler",
            (FTPHandler,),
            {
                "authorizer": authorizer,
                "passive_ports": list(range(low, high + 1)),
                "banner": "tutor lab FTP server ready.",
                "proto_cmds": {k: v for k, v in FTPHandler.proto_cmds.items() if k not in without},
                # pyftpdlib waits 3 s after a failed login to slow guessing;
                # the lab shows a 530, it does not need to wait for it.
                "auth_failed_timeout": 0.2,
            },
        )
        # Each server gets its own IO loop: pyftpdlib's default is a process-wide
        # singleton, and two servers (the lab's and a test's) must not share one.
        server = FTPServer(("127.0.0.1", 0), handler, ioloop=IOLoop())
        host, port = server.socket.getsockname()[:2]
        stop = threading.Event()
        thread = threading.Thread(
            target=_serve, args=(server, stop), name=f"tutor-ftp-{port}", daemon=True
        )
        thread.start()
        try:
            yield FtpServerInfo(host, port, str(root), (low, high), user, password)
        finally:
            stop.set()
            thread.join(timeout=5)
