"""A real PostgreSQL server for one lab run, from the `pgserver` wheel's binaries.

`pgserver` ships PostgreSQL 16 inside a Python wheel; its own wrapper
listens only on a Unix socket, so the lab runs the binaries itself: initdb
into a private temporary directory (`tutor-pg-*`), then `postgres` on
127.0.0.1 and a free port, so that the application's queries cross TCP and
can be captured. Set-up (the sample data, EXPLAIN) goes over the Unix
socket, off the wire. As root PostgreSQL refuses to run, so it runs as
`nobody`.

The server is stopped and its directory removed when the `with` block ends,
also on error and Ctrl-C. A run killed with -9 leaves the directory (with the
killed process's pid in `owner`) and maybe a running server:
`cleanup_leftovers()` finds both, and every new run calls it first.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from labs.kit import LabError, free_port, signals_held

PREFIX = "tutor-pg-"
#: The superuser that sets up the data, over the Unix socket only (trust).
ADMIN = "postgres"
START_TIMEOUT = 20.0


def binaries() -> Path | None:
    """Where the wheel's PostgreSQL binaries are, without importing pgserver
    (its import sets up lock files and a logger the lab does not use)."""
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "pginstall" / "bin"
    return path if (path / "postgres").exists() else None


def _as_nobody() -> dict[str, Any]:
    """subprocess arguments that drop root (PostgreSQL refuses to run as root)."""
    if os.geteuid() != 0:
        return {}
    import pwd

    nobody = pwd.getpwnam("nobody")
    return {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": []}


class PgServer:
    """One PostgreSQL server on 127.0.0.1 in its own temporary directory."""

    def __init__(self) -> None:
        self.dir = Path()
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def socket_path(self) -> str:
        return str(self.dir / f".s.PGSQL.{self.port}")

    def __enter__(self) -> PgServer:
        cleanup_leftovers()
        bin_dir = binaries()
        if bin_dir is None:
            raise LabError(
                "PostgreSQL is not installed for this lab.",
                "pip install pgserver (it ships the server in a Python package).",
            )
        try:
            with signals_held():  # made and owned at once: `stop` removes it
                self.dir = Path(tempfile.mkdtemp(prefix=PREFIX, dir=base_dir()))
            self._start(bin_dir)
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self, bin_dir: Path) -> None:
        (self.dir / "owner").write_text(str(os.getpid()))
        drop = _as_nobody()
        if drop:
            os.chown(self.dir, drop["user"], drop["group"])
        data = self.dir / "data"
        initdb = [
            str(bin_dir / "initdb"), "-D", str(data), "-U", ADMIN, "-E", "UTF8", "--locale=C",
            "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync", "--no-instructions",
        ]  # fmt: skip
        done = subprocess.run(initdb, capture_output=True, cwd=self.dir, timeout=60, **drop)
        if done.returncode:
            raise LabError(f"PostgreSQL could not be set up: {_last_line(done.stderr)}")
        self.port = free_port()
        # fsync off: the data is thrown away after the run, and it starts faster.
        # Parallel queries' shared memory as files in the data directory
        # (`mmap`), not in /dev/shm (`posix`, the default), where a killed
        # server's segments would outlive the run.
        args = [
            str(bin_dir / "postgres"), "-D", str(data), "-h", "127.0.0.1", "-p", str(self.port),
            "-k", str(self.dir), "-c", "fsync=off", "-c", "full_page_writes=off",
            "-c", "synchronous_commit=off", "-c", "dynamic_shared_memory_type=mmap",
        ]  # fmt: skip
        log = open(self.dir / "server.log", "wb")  # noqa: SIM115 - closed right after Popen
        with log:
            # Its own session: the terminal's Ctrl-C reaches tutor, which stops it in order.
            self.proc = subprocess.Popen(
                args,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.dir,
                start_new_session=True,
                **drop,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while not os.path.exists(self.socket_path) or not self._ready():
            if self.proc.poll() is not None:
                log_text = (self.dir / "server.log").read_bytes()
                raise LabError(f"PostgreSQL did not start: {_last_line(log_text)}")
            if time.monotonic() > deadline:
                raise LabError(f"PostgreSQL did not start within {START_TIMEOUT:g} s.")
            time.sleep(0.02)

    def _ready(self) -> bool:
        try:
            self.admin().close()
        except Exception:
            return False
        return True

    def admin(self, database: str = "postgres") -> Any:
        """A superuser connection over the Unix socket (never on the wire)."""
        import pg8000.native

        return pg8000.native.Connection(ADMIN, database=database, unix_sock=self.socket_path)

    def stop(self) -> None:
        """Stop the server (fast shutdown, then kill) and remove its files."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                # The whole session: its backends too, which outlive a killed postmaster.
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.proc = None
        if self.dir.name.startswith(PREFIX):
            _remove_tree(self.dir)

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _last_line(raw: bytes) -> str:
    lines = [x for x in raw.decode("utf-8", "replace").splitlines() if x.strip()]
    return lines[-1].strip() if lines else "no message"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _reachable_by_all(path: Path) -> bool:
    """Whether any user may pass through every directory down to `path`."""
    try:
        return all(p.stat().st_mode & 0o001 for p in (path, *path.parents))
    except OSError:
        return False


def base_dir() -> str:
    """Where the server's directory goes: the temporary directory, unless the
    server runs as `nobody` (as root) and cannot reach it (a private TMPDIR,
    mode 0700): then /tmp, which everyone may pass through."""
    tmp = tempfile.gettempdir()
    if not _as_nobody() or _reachable_by_all(Path(tmp)):
        return tmp
    if _reachable_by_all(Path("/tmp")):
        return "/tmp"
    raise LabError(
        f"PostgreSQL runs as nobody, who cannot reach the temporary directory {tmp}.",
        "Set TMPDIR to a directory everyone may pass through (for example /tmp).",
    )


def cleanup_leftovers(root: str | None = None) -> list[str]:
    """Stop the servers and remove the directories of lab runs whose process
    is gone (killed with -9). Returns what was removed, one line each."""
    removed: list[str] = []
    bases = {Path(root)} if root else {Path(tempfile.gettempdir()), Path("/tmp")}
    for folder in sorted(f for base in bases for f in base.glob(PREFIX + "*")):
        try:
            owner = int((folder / "owner").read_text().strip())
        except (OSError, ValueError):
            # No owner yet: a run that is starting right now, or a broken one; leave it.
            continue
        if _alive(owner):
            continue  # a run still going (this process's own included)
        pid = _postmaster(folder)
        segment = _segment(folder)
        if pid is not None:
            # The whole session (the postmaster leads its own): its backends too,
            # which outlive a killed postmaster and write into the directory.
            for kill in (os.killpg, os.kill):
                with contextlib.suppress(OSError):
                    kill(pid, signal.SIGKILL)
        _remove_tree(folder)
        if segment is not None:
            _remove_segment(segment)
        removed.append(
            f"PostgreSQL files {folder}" + (f" and its server (pid {pid})" if pid else "")
        )
    return removed


def _remove_tree(folder: Path) -> None:
    """Remove a server's directory; a backend still exiting can write a file
    while the tree goes, so try again until it is gone (at most 5 s)."""
    deadline = time.monotonic() + 5
    while folder.exists() and time.monotonic() < deadline:
        shutil.rmtree(folder, ignore_errors=True)
        if folder.exists():
            time.sleep(0.05)


def _postmaster(folder: Path) -> int | None:
    """The server's pid from postmaster.pid, if that process is still this
    folder's postgres (pids are reused)."""
    try:
        pid = int((folder / "data" / "postmaster.pid").read_text().split()[0])
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError, IndexError):
        return None
    return pid if str(folder).encode() in cmdline else None


def _segment(folder: Path) -> tuple[str, str, str] | None:
    """The System V shared memory segment the server made, as (key, id, its
    creator's pid): line 7 of postmaster.pid and its first line. PostgreSQL
    removes the segment when it stops, not when it is killed."""
    try:
        lines = (folder / "data" / "postmaster.pid").read_text().splitlines()
        key, shmid = lines[6].split()
        return key, shmid, lines[0].strip()
    except (OSError, ValueError, IndexError):
        return None


def _remove_segment(segment: tuple[str, str, str], table: str = "/proc/sysvipc/shm") -> None:
    """Remove `segment` if it is still there with the same key, id and
    creator (ids are reused once a segment is gone). Removing marks it: the
    kernel frees it when the last exiting backend lets go of it."""
    try:
        with open(table) as fh:
            rows = [line.split() for line in fh.read(1 << 20).splitlines()[1:]]
    except OSError:
        return
    key, shmid, creator = segment
    if any(row[:2] == [key, shmid] and row[4:5] == [creator] for row in rows):
        # The standard library has no shmctl; libc's is one call (IPC_RMID = 0).
        ctypes.CDLL(None, use_errno=True).shmctl(int(shmid), 0, None)
