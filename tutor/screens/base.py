"""The bases for tutor's screens: `self.app` typed as `TutorApp`, so screens
reach the course and the progress store without casts or ignores; and every
dialog's, which has a footer of its own."""

from __future__ import annotations

from typing import TYPE_CHECKING, Generic, TypeVar, cast

from textual.app import ComposeResult
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer

if TYPE_CHECKING:
    from tutor.app import TutorApp

ResultType = TypeVar("ResultType")

#: What R does (the app's key, and the screens that show it in their
#: footer), said the same everywhere so help lists it once.
REVIEW = "Review the glossary terms you met"


class TutorScreen(Screen[ResultType], Generic[ResultType]):
    @property
    def app(self) -> TutorApp:  # type: ignore[override]
        return cast("TutorApp", super().app)


class Dialog(ModalScreen[ResultType], Generic[ResultType]):
    """A dialog over another screen, with a footer of its own. Without one the
    footer of the screen below stays in view, offering that screen's keys,
    while Textual sends keys only to the dialog (not the screen below, nor the
    app's keys once a widget of the dialog has the focus): they would do
    nothing. The footer lists the dialog's own bindings, as `check_action`
    lets them, the way help lists a screen's (`tutor.screens.help.works`)."""

    def compose(self) -> ComposeResult:
        yield from self.compose_dialog()
        yield Footer()

    def compose_dialog(self) -> ComposeResult:
        """The dialog's widgets (the footer comes after them)."""
        raise NotImplementedError
