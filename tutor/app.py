"""The Textual app: one factory, `make_app()`, used by the CLI, tests and snapshots.

The app holds the course and the progress store and owns the actions that
work from every screen (help, glossary, review, quit). Screens live in
`tutor/screens/`; anything heavy (labs, scapy) is imported only when used.
"""

from __future__ import annotations

import asyncio
import gc
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from textual.app import App
from textual.binding import Binding
from textual.message import Message

from tutor.course import Course, Lesson
from tutor.progress import Store
from tutor.screens.base import REVIEW

if TYPE_CHECKING:
    from tutor.screens.capture import CaptureRequest


class TutorApp(App[None]):
    """The course in the terminal: outline, reader, quick checks, glossary."""

    CSS_PATH = "app.tcss"
    TITLE = "tutor"
    SUB_TITLE = "networking, packet by packet"
    ENABLE_COMMAND_PALETTE = False

    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True),
        Binding("question_mark", "help", "Help", key_display="?"),
        # F1 too, the help key of most programs; a priority key, so it works
        # while typing in a box, where ? is a character of the search.
        Binding(
            "f1",
            "help",
            "Help",
            key_display="F1",
            show=False,
            priority=True,
            tooltip="Help, also while typing",
        ),
        Binding("g", "glossary", "Glossary"),
        # R on every screen, as the trace screens need it (their r makes the
        # trace) and as "Joined your review: ... R reviews them." says it. In
        # the footers of the outline, the labs list and the glossary, which
        # bind it to show it (a lesson's footer has no room at 80 columns).
        Binding("R", "review", "Review", tooltip=REVIEW, show=False),
        # r still reviews where no screen gives it another job (no description:
        # help and footers name one key for it, R).
        Binding("r", "review", show=False),
        Binding("L", "labs", "Labs"),
    ]

    def __init__(
        self,
        course: Course,
        store: Store,
        start: str = "outline",
        capture: CaptureRequest | None = None,
    ) -> None:
        super().__init__()
        self.course = course
        self.store = store
        #: "outline", or "review" (`tutor glossary --review` opens straight on it).
        self.start = start
        #: A capture file to open straight on (`tutor explain FILE --tui`):
        #: its screen alone, which Escape closes as q does.
        self.capture = capture
        #: SIGTERM arrived before the app could stop itself (see `on_sigterm`).
        self.sigterm_pending = False

    class StoreProblem(Message):
        """Saving progress failed (a full disk, say); posted from whichever
        thread wrote (post_message is thread-safe), shown once."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def on_tutor_app_store_problem(self, message: StoreProblem) -> None:
        self.notify(message.text, severity="error", timeout=12)

    def on_mount(self) -> None:
        from tutor.screens.outline import OutlineScreen

        self.store.on_problem = lambda text: self.post_message(self.StoreProblem(text))
        self._handle_sigterm()
        # `run_tui` starts with the cycle collector off: on again after the first paint.
        self.call_after_refresh(gc.enable)

        if self.capture is not None:
            from tutor.screens.capture import CaptureScreen

            self.push_screen(CaptureScreen(self.capture, quit_on_back=True))
            return
        self.push_screen(OutlineScreen())
        if self.start == "review":
            from tutor.screens.review import ReviewScreen

            self.push_screen(ReviewScreen(quit_on_back=True))
        if self.store.notice:
            self.notify(self.store.notice, severity="warning", timeout=12)
        broken = {p.path for p in self.course.problems}
        if broken:
            files = "file has" if len(broken) == 1 else "files have"
            self.notify(
                f"{len(broken)} content {files} problems; lessons that cannot load are marked ✗.",
                severity="warning",
                timeout=6,
            )

    # -- actions available everywhere ------------------------------------------

    def action_help(self) -> None:
        from tutor.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_glossary(self, term_id: str = "") -> None:
        from tutor.screens.glossary import GlossaryScreen

        if isinstance(self.screen, GlossaryScreen):
            self.screen.show_term(term_id) if term_id else self.screen.focus_search()
            return
        self.push_screen(GlossaryScreen(term_id or None))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Review and Labs are not offered on the screen they open: there the
        key would do nothing (the footer said "R Review" on the review)."""
        here = self.screen_stack[-1] if self.screen_stack else None
        if action == "review":
            from tutor.screens.review import ReviewScreen

            return not isinstance(here, ReviewScreen)
        if action == "labs":
            from tutor.screens.lab_list import LabListScreen

            return not isinstance(here, LabListScreen)
        return True

    def action_review(self) -> None:
        from tutor.screens.review import ReviewScreen

        if not isinstance(self.screen, ReviewScreen):
            self.push_screen(ReviewScreen())

    def action_labs(self) -> None:
        from tutor.screens.lab_list import LabListScreen

        if not isinstance(self.screen, LabListScreen):
            self.push_screen(LabListScreen())

    # -- navigation helpers used by screens --------------------------------------

    def open_lesson(self, lesson: Lesson) -> None:
        from tutor.screens.lesson import LessonScreen

        self.push_screen(LessonScreen(lesson))

    def open_quick_check(self, lesson: Lesson) -> None:
        from tutor.screens.lesson import LessonScreen
        from tutor.screens.quiz import QuizScreen

        def after(go_on: bool | None) -> None:
            # "Next lesson" from a passed quick check replaces the lesson under it.
            if go_on and isinstance(self.screen, LessonScreen):
                self.screen.action_next_lesson()

        self.push_screen(QuizScreen(lesson), after)

    def open_capture(self, request: CaptureRequest) -> None:
        from tutor.screens.capture import CaptureScreen

        self.push_screen(CaptureScreen(request))

    def open_lab(self, lesson: Lesson) -> None:
        from tutor.screens.lab import LabScreen

        if lesson.lab:
            self.push_screen(LabScreen(lesson.lab, lesson))

    async def action_quit(self) -> None:
        self._before_exit()
        await super().action_quit()

    def _before_exit(self) -> None:
        # Remember how far down the open lesson the learner was.
        save = getattr(self.screen, "save_position", None)
        if save is not None:
            save()
        self.cancel_labs()

    def cancel_labs(self) -> None:
        """Tell a running lab to stop, as x does: it closes its servers, capture
        and namespaces as its run unwinds, and the process waits for that (the
        lab's thread is joined) before it exits."""
        if "tutor.screens.lab" not in sys.modules:
            return  # no lab screen was ever opened
        from tutor.screens.lab import LabScreen

        for screen in self.screen_stack:
            if isinstance(screen, LabScreen):
                screen.action_cancel()

    # -- SIGTERM: stop as q does, then exit 143 ---------------------------------

    def _handle_sigterm(self) -> None:
        """From now on SIGTERM reaches `on_sigterm` through the event loop (a
        handler there may touch the app; a plain signal handler may not)."""
        if threading.current_thread() is not threading.main_thread():
            return
        try:
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, self.on_sigterm)
        except (NotImplementedError, RuntimeError, ValueError):
            return  # no signals on this loop: SIGTERM keeps its default
        if self.sigterm_pending:
            self.on_sigterm()

    def on_sigterm(self) -> None:
        """Cancel a running lab and quit, as q does; `run()` then returns 143
        (128 + SIGTERM, what every tutor command exits with after SIGTERM)."""
        self._before_exit()
        self.exit(return_code=128 + signal.SIGTERM)

    def on_unmount(self) -> None:
        self.store.close()


def _parse_course(root: Path) -> Course:
    from tutor.content import load_course

    return load_course(root)


def make_app(
    course: Course | None = None,
    store: Store | None = None,
    start: str = "outline",
    capture: CaptureRequest | None = None,
) -> TutorApp:
    """The app, with the installed course and the learner's progress by default."""
    if course is None:
        # As tutor.content.course(), but on a cache hit no parser is imported.
        from tutor.course_cache import cached_course, lessons_root

        course = cached_course(lessons_root(), _parse_course)
    if store is None:
        from tutor.progress import open_or_memory

        store = open_or_memory()
    return TutorApp(course, store, start, capture)


def run(start: str = "outline", capture: CaptureRequest | None = None) -> int:
    """Run the app in this terminal; its exit code (143 after SIGTERM).
    With `capture`, the app opens on that capture file alone."""
    app = make_app(start=start, capture=capture)

    def early(signum: int, frame: FrameType | None) -> None:
        app.sigterm_pending = True  # before the app is up: it stops once it is

    previous = signal.signal(signal.SIGTERM, early)
    try:
        app.run()
    finally:
        signal.signal(signal.SIGTERM, previous)
        gc.enable()
    return app.return_code or 0
