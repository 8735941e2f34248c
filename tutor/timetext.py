"""Times as the CLI prints them: one formatter (`took`) for every duration
on the command line, and the timing waterfall drawn with it.

Each time gets the unit that suits it, so a time never reads "0.0 ms" or
"0.000 s" when it is not zero: µs below a millisecond, ms below ten seconds
(so the times of one run compare at a glance), then seconds and minutes.
"""

from __future__ import annotations

from labs.model.trace import Trace, mask_secrets
from tutor import ladder
from tutor.waterfall_text import BRIEF_ROWS, MAX_ROWS, folded

#: Width of a waterfall bar: with the phase's name and time it fits 80 columns.
BAR = 40


def took(seconds: float) -> str:
    """A duration or a time since the first packet: "0 µs", "<1 µs", "711 µs",
    "2.8 ms", "613 ms", "2730 ms", "12.5 s", "2 min 5 s"."""
    if seconds <= 0:
        return "0 µs"
    micro = seconds * 1_000_000
    if micro < 0.5:
        return "<1 µs"  # a nanosecond capture's gap: not zero, and not a whole µs
    if round(micro) < 1000:
        return f"{micro:.0f} µs"
    milli = seconds * 1000
    if round(milli, 1) < 100:
        return f"{milli:.1f} ms"
    if round(milli) < 10_000:
        return f"{milli:.0f} ms"
    if round(seconds, 1) < 60:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    return f"{whole // 60} min {whole % 60} s"


def span(trace: Trace) -> float:
    """Seconds from the first packet to the last."""
    times = [p.time for p in trace.packets]
    return max(times) - min(times) if times else 0.0


def _bar(start: float, end: float, total: float, width: int) -> str:
    a = min(int(start / total * width), width - 1)
    b = min(max(a + 1, round(end / total * width)), width)
    return " " * a + "█" * (b - a) + " " * (width - b)


def _cut(text: str, width: int | None) -> str:
    if width is None or len(text) <= width:
        return text
    return text[: max(width - 1, 1)] + "…"


def waterfall(
    trace: Trace, full: bool = True, show_secrets: bool = False, width: int | None = None
) -> list[tuple[str, list[str]]]:
    """The CLI's timing part as (heading, lines): the waterfall (a heading
    per exchange, cut to `width`; a bar and the time it took per phase, each
    time in its own unit), its clock, then in full output the ladder diagram."""
    out: list[tuple[str, list[str]]] = []
    phases = folded(trace)
    if phases:
        total = max(ph.end for ph in phases)
        secrets = [] if show_secrets else trace.secret_values()
        limit = MAX_ROWS if full else BRIEF_ROWS
        lines = _clock(trace.clock)
        shown = -1
        for ph in phases[:limit]:
            if ph.exchange != shown:
                shown = ph.exchange
                lines.append(_cut(f"{ph.exchange + 1}. {mask_secrets(ph.label, secrets)}", width))
            bar = _bar(ph.start, ph.end, total or 1e-9, BAR)
            lines.append(f"   {ph.name:<9}|{bar}|{took(ph.end - ph.start):>9}")
        if len(phases) > limit:
            lines.append(f"   ... and {len(phases) - limit} more phases (--full shows them all).")
        # Timed from the packets, unlike the header's "the whole run took"
        # (which counts starting the lab's servers too): the header says so.
        head = f"Timing waterfall (0 to {took(total)} after the first packet)"
        out.append((head, lines))
    if trace.packets and full:
        out.append(("Ladder diagram (time in s; one arrow per packet)",
                    ladder.brief_lines(trace, ladder.MAX_ARROWS, show_secrets)))  # fmt: skip
    return out


def _clock(clock: str, width: int = 78) -> list[str]:
    """The clock's note, wrapped to fit 80 columns like the bars."""
    lines: list[str] = []
    line = "Clock:"
    for word in clock.split():
        if len(line) + 3 + len(word) > width:
            lines.append("  " + line)
            line = word
        else:
            line = f"{line} {word}"
    return [*lines, "  " + line] if clock else []


__all__ = ["span", "took", "waterfall"]
