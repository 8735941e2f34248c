"""UI test set-up: the frozen fixture course and an app on the test's own
TUTOR_HOME, built through `make_app()` as the CLI builds it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from ui_helpers import FIXTURE

from tutor.app import TutorApp, make_app
from tutor.content import Course, load_course
from tutor.progress import Store


@pytest.fixture(scope="session")
def course() -> Course:
    return load_course(FIXTURE)


@pytest.fixture
def new_app(course: Course) -> Callable[[], TutorApp]:
    """A fresh app on the same progress file each call (a restart)."""
    return lambda: make_app(course, Store.open())


@pytest.fixture
def app(new_app: Callable[[], TutorApp]) -> TutorApp:
    return new_app()
