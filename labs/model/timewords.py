"""A duration in the words and units a learner reads everywhere: the app's
text and screens (`tutor.timetext`), and the drills' probes, so a 0.3 ms DNS
answer never reads "0 ms"."""

from __future__ import annotations


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


__all__ = ["took"]
