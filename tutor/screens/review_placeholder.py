"""Stands in for the glossary review (spaced repetition) until it lands."""

from __future__ import annotations

from tutor.screens.placeholder import PlaceholderScreen


class ReviewPlaceholderScreen(PlaceholderScreen):
    SUB_TITLE = "Review"

    def __init__(self) -> None:
        super().__init__(
            "Review the glossary",
            "Soon this will quiz you on the terms you have met, spaced out so that each "
            "comes back just before you would forget it.\n\nMeanwhile, press [b]g[/b] to "
            "browse the glossary.\n\n[dim]escape: back[/dim]",
        )
