"""A capture's start as a date and time in UTC (durations: `tutor.timetext`)."""

from __future__ import annotations

from datetime import UTC, datetime


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


__all__ = ["when"]
