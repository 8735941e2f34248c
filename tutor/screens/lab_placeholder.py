"""Stands in for the lab screen until it lands: says which lab the lesson has."""

from __future__ import annotations

from textual.markup import escape

from tutor.content import Lesson
from tutor.screens.placeholder import PlaceholderScreen


class LabPlaceholderScreen(PlaceholderScreen):
    SUB_TITLE = "Lab"

    def __init__(self, lab_id: str, lesson: Lesson) -> None:
        # Only the registry's metadata: importing it loads no lab code.
        from labs.registry import LABS

        info = next((x for x in LABS if x.id == lab_id), None)
        title = info.title if info else lab_id
        about = f"{escape(info.summary)}\n\n" if info else ""
        super().__init__(
            f"Lab: {escape(title)}",
            f"{about}The lab screen is coming soon. From a terminal you will be able to run "
            f"it with [b]tutor lab run {escape(lab_id)}[/b].\n\n[dim]escape: back to the lesson[/dim]",
        )
