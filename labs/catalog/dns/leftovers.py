"""For `tutor doctor --cleanup`: the Unbound processes of dns runs that were
killed with -9 (a `finally` never ran). Each one's command line names its
configuration in `tutor-dns-<pid>-...` (`labs.catalog.dns.unbound`); its
folder itself is removed with the other temporary leftovers."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

_CONF = re.compile(rb"/tutor-dns-(\d+)-[^/\x00]+/unbound\.conf")


def _start_ticks(pid: int) -> int | None:
    """When process `pid` started, in clock ticks since boot (None: no such process)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(text.rsplit(")", 1)[1].split()[19])


def orphans(proc: str = "/proc") -> list[tuple[int, int]]:
    """(unbound pid, owner pid) of every lab Unbound whose run is gone: no
    owner process, or one that started after Unbound did (a reused pid)."""
    found = []
    for entry in os.listdir(proc):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"{proc}/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        match = _CONF.search(cmdline)
        if match is None or b"unbound" not in cmdline.split(b"\x00")[0]:
            continue
        pid, owner = int(entry), int(match.group(1))
        born, owner_born = _start_ticks(pid), _start_ticks(owner)
        if born is not None and (owner_born is None or owner_born > born):
            found.append((pid, owner))
    return found


def cleanup_leftovers() -> list[str]:
    removed = []
    for pid, owner in orphans():
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            continue
        removed.append(f"Unbound (pid {pid}) left by dns run {owner}")
    return removed


__all__ = ["cleanup_leftovers", "orphans"]
