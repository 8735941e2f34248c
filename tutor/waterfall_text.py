"""The timing waterfall of a trace as text bars (the CLI, and the TUI's
waterfall pane): one row per phase, grouped by exchange, bars on a common
time axis. It draws `Trace.waterfall` as the lab measured it; it never
times anything itself."""

from __future__ import annotations

from labs.trace import Phase, Trace, mask_secrets
from tutor import ladder

#: Phases shown at most; a busy capture's waterfall is cut (and says so).
MAX_ROWS = 120
BAR = 40


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:9.1f} ms"


def rows(
    trace: Trace, width: int = BAR, show_secrets: bool = False, limit: int = MAX_ROWS
) -> list[str]:
    """The waterfall's lines: a heading per exchange, then a bar per phase."""
    phases = trace.waterfall
    if not phases:
        return []
    secrets = [] if show_secrets else trace.secret_values()
    span = max(p.end for p in phases) or 1e-9
    out: list[str] = []
    shown = -1
    for ph in phases[:limit]:
        if ph.exchange != shown:
            shown = ph.exchange
            out.append(f"{ph.exchange + 1}. {mask_secrets(ph.label, secrets)}")
        out.append(f"   {ph.name:<9}|{_bar(ph, span, width)}|{_ms(ph.end - ph.start)}")
    if len(phases) > limit:
        out.append(f"   ... and {len(phases) - limit} more phases.")
    return out


def _bar(ph: Phase, span: float, width: int) -> str:
    a = int(ph.start / span * width)
    b = max(a + 1, round(ph.end / span * width))
    b = min(b, width)
    a = min(a, width - 1)
    return " " * a + "█" * (b - a) + " " * (width - b)


def block(trace: Trace, show_secrets: bool = False, limit: int = MAX_ROWS) -> list[str]:
    """The waterfall's heading, its clock and its rows; [] when it has none."""
    lines = rows(trace, show_secrets=show_secrets, limit=limit)
    if not lines:
        return []
    total = max(p.end for p in trace.waterfall)
    head = [f"Timing waterfall (0 to {total * 1000:.1f} ms from the first packet)"]
    if trace.clock:
        head.append(f"  Clock: {trace.clock}")
    return head + lines


#: In the CLI's summary (not --full): this many waterfall rows and ladder arrows.
BRIEF_ROWS, BRIEF_ARROWS = 30, 24


def timing_blocks(
    trace: Trace, full: bool = True, show_secrets: bool = False
) -> list[tuple[str, list[str]]]:
    """The CLI's timing part as (heading, lines): the waterfall with its
    clock, then (in full output) the ladder diagram."""
    out: list[tuple[str, list[str]]] = []
    water = block(trace, show_secrets, limit=MAX_ROWS if full else BRIEF_ROWS)
    if water:
        out.append((water[0], water[1:]))
    # The summary must fit one screen: the ladder comes with --full (and on
    # its own with --diagram text).
    if trace.packets and full:
        out.append(("Ladder diagram (time in s; one arrow per packet)",
                    ladder.brief_lines(trace, ladder.MAX_ARROWS, show_secrets)))  # fmt: skip
    return out


def render(trace: Trace, show_secrets: bool = False) -> str:
    """The waterfall as a block of text, with its clock, or "" when it has none."""
    lines = block(trace, show_secrets)
    return "\n".join(lines) + "\n" if lines else ""


__all__ = ["BRIEF_ARROWS", "BRIEF_ROWS", "block", "render", "rows", "timing_blocks"]
