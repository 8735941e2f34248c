"""For `tutor doctor --cleanup`: the headless Chromium of a cors run that was
killed with -9 (a `finally` never ran). It runs in its own process group and
would keep its page open for ever; its command line names its profile in
`tutor-cors-<pid>-...` (`labs.catalog.cors.browser`). The group is killed,
then that folder removed (the other temporary leftovers go as usual)."""

from __future__ import annotations

import os
import re
import shutil
import signal

from labs.kit import orphan_programs

_PROFILE = re.compile(
    rb"--user-data-dir=(/[^\x00]*/tutor-cors-(?P<owner>\d+)-[^/\x00]+)/profile\x00"
)


def orphans() -> list[tuple[int, int, str]]:
    """(process group, owner pid, its folder) of every cors Chromium whose run
    is gone: no owner process, or one that started after Chromium did."""
    found = {}
    for pid, owner, match in orphan_programs(_PROFILE, b"chromium"):
        try:
            group = os.getpgid(pid)
        except OSError:
            continue
        found[group] = (group, owner, os.fsdecode(match.group(1)))
    return sorted(found.values())


def cleanup_leftovers() -> list[str]:
    removed = []
    for group, owner, folder in orphans():
        try:
            os.killpg(group, signal.SIGKILL)
        except OSError:
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(f"Chromium (process group {group}) left by cors run {owner}")
    return removed


__all__ = ["cleanup_leftovers", "orphans"]
