"""For `tutor doctor --cleanup`: the Unbound processes of dns runs that were
killed with -9 (a `finally` never ran). Each one's command line names its
configuration in `tutor-dns-<pid>-...` (`labs.catalog.dns.unbound`); its
folder itself is removed with the other temporary leftovers."""

from __future__ import annotations

import os
import re
import signal

from labs.kit import orphan_programs

_CONF = re.compile(rb"/tutor-dns-(?P<owner>\d+)-[^/\x00]+/unbound\.conf")


def orphans(proc: str = "/proc") -> list[tuple[int, int]]:
    """(unbound pid, owner pid) of every lab Unbound whose run is gone: no
    owner process, or one that started after Unbound did (a reused pid)."""
    return [(pid, owner) for pid, owner, _ in orphan_programs(_CONF, b"unbound", proc)]


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
