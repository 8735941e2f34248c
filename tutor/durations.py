"""Times for a learner: one unit for every number on a line (µs, ms or s,
chosen by the largest), and a capture's start as a date and time in UTC."""

from __future__ import annotations

from datetime import UTC, datetime

UNITS = ("µs", "ms", "s")
_SCALE = {"µs": 1_000_000, "ms": 1000, "s": 1}
_PLACES = {"µs": 0, "ms": 1, "s": 2}


def unit_for(seconds: float) -> str:
    """The unit a time this long reads best in."""
    return "µs" if seconds < 0.001 else "ms" if seconds < 1 else "s"


def in_unit(seconds: float, unit: str, width: int = 0, places: int | None = None) -> str:
    """`seconds` in `unit` ("0.087 ms"), right-aligned in `width` digits; a
    time smaller than one unit keeps three decimals so it does not read 0
    (unless `places` fixes them, as a column of times does)."""
    value = seconds * _SCALE[unit]
    if places is None:
        places = 3 if 0 < value < 1 and unit != "µs" else _PLACES[unit]
    return f"{value:{width}.{places}f} {unit}"


def duration(seconds: float) -> str:
    """One time on its own, in the unit that suits it."""
    return in_unit(seconds, unit_for(seconds))


def durations(*seconds: float) -> list[str]:
    """Several times on one line, all in the unit of the largest."""
    unit = unit_for(max(seconds, default=0.0))
    return [in_unit(s, unit) for s in seconds]


def when(iso: str) -> str:
    """An ISO 8601 time as "2004-05-13 10:17:07 UTC" (the text as it is when
    it is not one)."""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if moment.tzinfo is None:
        return f"{moment:%Y-%m-%d %H:%M:%S} (local time of the capture)"
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


__all__ = ["UNITS", "duration", "durations", "in_unit", "unit_for", "when"]
