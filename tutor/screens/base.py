"""The base for tutor's screens: `self.app` typed as `TutorApp`, so screens
reach the course and the progress store without casts or ignores."""

from __future__ import annotations

from typing import TYPE_CHECKING, Generic, TypeVar, cast

from textual.screen import Screen

if TYPE_CHECKING:
    from tutor.app import TutorApp

ResultType = TypeVar("ResultType")


class TutorScreen(Screen[ResultType], Generic[ResultType]):
    @property
    def app(self) -> TutorApp:  # type: ignore[override]
        return cast("TutorApp", super().app)
