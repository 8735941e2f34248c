"""What a run leaves behind if it is killed (SIGKILL runs no `finally`), and
removing it once the run is gone.

Everything a lab creates outside its own process carries the creating
process's id in its name, so `tutor doctor --cleanup` (and the next run)
can tell a live run's things from a dead one's: temporary files and
directories are named `tutor-<kind>-<pid>-<random>` (`temp_prefix`), network
namespaces `tutor-<pid>-<random>-<role>` (`labs.netsim.netns`). A pid the
kernel has since given to a newer process counts as dead: the process
started after the thing was made.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import stat
import tempfile
from collections.abc import Collection, Iterator
from pathlib import Path

_TEMP = re.compile(r"^tutor-[a-z0-9]+-(\d+)-[^/]+$")


def temp_prefix(kind: str) -> str:
    """The start of a temporary file or directory's name (`tempfile`'s
    `prefix=`) that lets a cleanup find it and its creator: `tutor-tls-4242-`."""
    return f"tutor-{kind}-{os.getpid()}-"


def _boot_time() -> float:
    with open("/proc/stat", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("btime "):
                return float(line.split()[1])
    return 0.0


def started(pid: int) -> float | None:
    """When process `pid` started (epoch seconds), or None if there is none
    (a zombie, killed and not yet reaped, counts as none: it runs no more)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    if fields[0] in ("Z", "X"):
        return None
    ticks = int(fields[19])
    return _boot_time() + ticks / os.sysconf("SC_CLK_TCK")


def gone(pid: int, made: float) -> bool:
    """Whether the process that made something at `made` (epoch seconds) has
    ended: no process `pid`, or one that started after the thing was made
    (the second of slack covers the clocks' different rounding)."""
    since = started(pid)
    return since is None or since > made + 1.0


def temp_leftovers(directory: str | None = None) -> list[Path]:
    """Our temporary files and directories in `directory` (the temp directory)
    whose creating run is gone; only those owned by this user."""
    where = Path(directory or tempfile.gettempdir())
    found = []
    try:
        names = os.listdir(where)
    except OSError:
        return []
    for name in names:
        match = _TEMP.match(name)
        if not match:
            continue
        try:
            info = os.lstat(where / name)
        except OSError:
            continue
        if info.st_uid == os.geteuid() and gone(int(match.group(1)), info.st_mtime):
            found.append(where / name)
    return sorted(found)


def remove_temp_leftovers(directory: str | None = None) -> list[str]:
    """Remove `temp_leftovers()`; returns the paths removed. A symlink is
    removed itself, never followed."""
    return _remove(temp_leftovers(directory))


def remove_temp_of(pids: Collection[int], directory: str | None = None) -> list[str]:
    """Remove the temporary files and directories the processes `pids` made
    (agents just stopped with SIGKILL, which no `finally` of theirs survives)."""
    where = Path(directory or tempfile.gettempdir())
    try:
        names = os.listdir(where)
    except OSError:
        return []
    theirs = []
    for name in names:
        match = _TEMP.match(name)
        if match and int(match.group(1)) in pids and _owned(where / name):
            theirs.append(where / name)
    return _remove(theirs)


def _owned(path: Path) -> bool:
    try:
        return os.lstat(path).st_uid == os.geteuid()
    except OSError:
        return False


def _remove(paths: list[Path]) -> list[str]:
    removed = []
    for path in paths:
        try:
            if stat.S_ISDIR(os.lstat(path).st_mode):
                shutil.rmtree(path)
            else:
                os.unlink(path)
        except OSError:
            continue
        removed.append(str(path))
    return removed


#: How an agent's command line names the run that started it (see
#: `labs.netsim.netns.agent_argv`).
_AGENT = re.compile(
    r"os\.getppid\(\) == (\d+) or os\._exit\(1\);.*from labs\.netsim\.\w+ import main"
)


def orphan_agents() -> list[int]:
    """Namespace agents (ours: same user, our boot line) whose run is gone.
    They die with their run (PR_SET_PDEATHSIG); this finds any that did not,
    e.g. from a tutor older than that."""
    found = []
    for pid, cmdline in own_processes():
        match = _AGENT.search(cmdline.replace(b"\0", b" ").decode("utf-8", "replace"))
        since = started(pid)
        if match and since is not None and gone(int(match.group(1)), since):
            found.append(pid)
    return found


def own_processes(proc: str = "/proc") -> Iterator[tuple[int, bytes]]:
    """(pid, command line, NUL-separated) of every process of this user."""
    for entry in os.listdir(proc):
        if not entry.isdigit():
            continue
        try:
            if os.stat(f"{proc}/{entry}").st_uid != os.geteuid():
                continue
            with open(f"{proc}/{entry}/cmdline", "rb") as fh:
                cmdline = fh.read(1 << 16)
        except OSError:
            continue
        yield int(entry), cmdline


def orphan_programs(
    pattern: re.Pattern[bytes], program: bytes, proc: str = "/proc"
) -> list[tuple[int, int, re.Match[bytes]]]:
    """(pid, owner pid, match) of each of this user's `program` processes
    whose command line matches `pattern`, its group `owner` the pid of the
    run that started it, when that run is gone (a server a kill -9 left)."""
    found = []
    for pid, cmdline in own_processes(proc):
        match = pattern.search(cmdline)
        if match is None or program not in cmdline.split(b"\0")[0]:
            continue
        since = started(pid)
        if since is not None and gone(int(match["owner"]), since):
            found.append((pid, int(match["owner"]), match))
    return found


def kill_orphan_agents() -> list[int]:
    """SIGKILL `orphan_agents()`; returns the pids that were signalled."""
    killed = []
    for pid in orphan_agents():
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            continue
        killed.append(pid)
    return killed


__all__ = [
    "gone",
    "kill_orphan_agents",
    "orphan_agents",
    "orphan_programs",
    "own_processes",
    "remove_temp_leftovers",
    "remove_temp_of",
    "started",
    "temp_leftovers",
    "temp_prefix",
]
