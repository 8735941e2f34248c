"""The Textual app: one factory, `make_app()`, used by the CLI, tests and snapshots.

The app holds the course and the progress store and owns the actions that
work from every screen (help, glossary, review, quit). Screens live in
`tutor/screens/`; anything heavy (labs, scapy) is imported only when used.
"""

from __future__ import annotations

from textual.app import App
from textual.binding import Binding
from textual.message import Message

from tutor.content import Course, Lesson
from tutor.progress import Store


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
        Binding("g", "glossary", "Glossary"),
        Binding("r", "review", "Review"),
        Binding("L", "labs", "Labs"),
    ]

    def __init__(self, course: Course, store: Store, start: str = "outline") -> None:
        super().__init__()
        self.course = course
        self.store = store
        #: "outline", or "review" (`tutor glossary --review` opens straight on it).
        self.start = start

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

        self.push_screen(OutlineScreen())
        if self.start == "review":
            self.action_review()
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

    def open_lab(self, lesson: Lesson) -> None:
        from tutor.screens.lab import LabScreen

        if lesson.lab:
            self.push_screen(LabScreen(lesson.lab, lesson))

    async def action_quit(self) -> None:
        # Remember how far down the open lesson the learner was.
        save = getattr(self.screen, "save_position", None)
        if save is not None:
            save()
        await super().action_quit()

    def on_unmount(self) -> None:
        self.store.close()


def make_app(
    course: Course | None = None, store: Store | None = None, start: str = "outline"
) -> TutorApp:
    """The app, with the installed course and the learner's progress by default."""
    if course is None:
        from tutor.content import course as installed_course

        course = installed_course()
    if store is None:
        from tutor.progress import open_or_memory

        store = open_or_memory()
    return TutorApp(course, store, start)
