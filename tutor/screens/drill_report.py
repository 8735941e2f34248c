""" "Explain it to my engineer" from the drill screen: the report's Markdown
(written by the same function as `tutor drill report`) and the pcap of the
evidence beside it, both 0600 in the tutor home's `reports/` folder."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from labs.api import DrillReport


def write_private(path: Path, text: str) -> None:
    """Write `text` 0600 and all-or-nothing: a new temporary file (O_EXCL,
    O_NOFOLLOW: never through a planted symlink) renamed over `path`.
    The app may not import labs.files' helper, so the few lines are here."""
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    fd = os.open(temp, flags, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def write_report(home: Path, render: Callable[[DrillReport], str] | None = None) -> str:
    """Write the report of the drill under `home` and say where, in one line.
    `render` makes the Markdown (default: the CLI's, `tutor drill report`)."""
    from labs.api import drill_report, drill_save_pcap

    if render is None:
        from tutor.commands.drill_report import markdown

        render = markdown

    report = drill_report(home)
    folder = home / "reports"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    md = folder / f"drill-{report.state.drill}-{report.state.seed}-{stamp}.md"
    pcap = md.with_suffix(".pcap")
    saved = 0
    if not report.simulated and report.traces:
        saved = drill_save_pcap(report, pcap)
    write_private(md, render(report))
    if report.simulated:
        return f"Report written to {md}. SIMULATED drill: no pcap, nothing was captured."
    if saved:
        return f"Report written to {md}, with {saved} packets in {pcap.name} beside it."
    return f"Report written to {md} (no probes yet, so no pcap)."
