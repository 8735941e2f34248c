"""The lesson reader: title, objectives, the Markdown body with glossary links,
sources, and the lesson's actions (quick check, lab)."""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.markup import escape
from textual.widgets import Button, Footer, Header, Markdown, OptionList, Static
from textual.widgets.option_list import Option

from tutor.content import Lesson, markdown_with_links, reading_body
from tutor.progress import DONE, needed_to_pass
from tutor.screens.base import TutorScreen
from tutor.widgets.bullets import with_bullets

TERM_SCHEME = "term:"


class LessonScreen(TutorScreen[None]):
    """One lesson to read. Glossary links open their entry; `t` lists them."""

    SUB_TITLE = "Lesson"

    BINDINGS = [
        Binding("escape", "back", "Outline"),
        Binding("c", "quick_check", "Quick check"),
        Binding("l", "lab", "Lab", tooltip="Run the lab"),
        Binding("t", "terms", "Terms", tooltip="Terms used here"),
        Binding("n", "next_lesson", "Next lesson"),
        Binding("space", "page_down", "Page down", show=False),
        Binding("b", "page_up", "Page up", show=False),
        # The footer fits 80 columns: the app's other keys work here and are
        # listed in the help (?), not in the footer.
        Binding("g", "app.glossary", "Glossary", show=False),
        Binding("L", "app.labs", "Labs", show=False),
    ]

    def __init__(self, lesson: Lesson) -> None:
        super().__init__()
        self.lesson = lesson
        self._restored = False

    def compose(self) -> ComposeResult:
        lesson = self.lesson
        yield Header()
        with VerticalScroll(id="reader"):
            yield Static(self._heading(), id="lesson-heading")
            if lesson.objectives:
                yield Static(
                    with_bullets("[b]After this lesson you can:[/b]", lesson.objectives),
                    id="objectives",
                )
            yield Markdown(
                markdown_with_links(reading_body(lesson), self.app.course.glossary),
                id="body",
                open_links=False,
            )
            terms = [t for t in map(self.app.course.glossary.get, lesson.terms) if t]
            if terms:
                # The links in the text need a mouse; this list is what tab reaches.
                yield Static("[b]Terms in this lesson[/b] [dim](tab here, enter opens)[/dim]")
                yield OptionList(
                    *(
                        Option(f"{escape(t.term)}  [dim]{escape(t.short)}[/dim]", id=t.id)
                        for t in terms
                    ),
                    id="lesson-terms",
                )
            if lesson.sources:
                items = "\n".join(f"  • {escape(s)}" for s in lesson.sources)
                yield Static(f"[b]Sources[/b]\n{items}", id="sources")
            with Horizontal(id="lesson-actions"):
                if lesson.checks:
                    yield Button(
                        "Quick check (c)",
                        id="quick-check",
                        variant="primary",
                        action="screen.quick_check",
                    )
                if lesson.lab:
                    yield Button("Run the lab (l)", id="run-lab", action="screen.lab")
        yield Footer()

    def _heading(self) -> str:
        lesson = self.lesson
        module = next((m for m in self.app.course.modules if m.number == lesson.module), None)
        where = f"Module {lesson.module}" + (f": {escape(module.title)}" if module else "")
        if module:
            where += f" · lesson {module.lessons.index(lesson) + 1} of {len(module.lessons)}"
        done = self.app.store.status(lesson.id) == DONE
        status = "  [green]✓ done[/green]" if done else ""
        return f"[dim]{where}[/dim]\n[b]{escape(lesson.title)}[/b]{status}"

    def on_mount(self) -> None:
        from tutor.review import Review

        self.app.store.mark_started(self.lesson.id)
        # Terms met in a lesson join the review deck.
        Review(self.app.store).schedule(self.lesson.terms, f"lesson:{self.lesson.id}")
        self.query_one("#reader").focus()
        self.save_position()

    def on_screen_resume(self) -> None:
        self.query_one("#lesson-heading", Static).update(self._heading())

    def on_screen_suspend(self) -> None:
        self.save_position()

    def save_position(self) -> None:
        if not self.is_mounted:
            return
        scroll = self.query_one("#reader").scroll_y if self._restored else self._saved_scroll()
        self.app.store.set_position(self.lesson.module, self.lesson.id, scroll)

    def _saved_scroll(self) -> float:
        position = self.app.store.position()
        if position and position.lesson_id == self.lesson.id:
            return position.scroll
        return 0.0

    @on(Markdown.TableOfContentsUpdated)
    def _body_ready(self) -> None:
        """The body is laid out: now the saved scroll position means something."""
        scroll = self._saved_scroll()

        def restore() -> None:
            self.query_one("#reader").scroll_to(y=scroll, animate=False)
            self._restored = True

        self.call_after_refresh(restore)

    # -- actions -------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "lab":
            return bool(self.lesson.lab)
        if action == "terms":
            return bool(self.lesson.terms)
        if action == "next_lesson":
            return next_lesson(self.app.course.lessons, self.lesson) is not None
        return True

    def action_back(self) -> None:
        self.save_position()
        self.dismiss()

    def action_page_down(self) -> None:
        self.query_one("#reader", VerticalScroll).scroll_page_down()

    def action_page_up(self) -> None:
        self.query_one("#reader", VerticalScroll).scroll_page_up()

    def action_quick_check(self) -> None:
        if self.lesson.checks:
            self.app.open_quick_check(self.lesson)
            return
        self.app.store.mark_done(self.lesson.id)
        self.app.notify("This lesson has no quick check; it is marked done.")
        self.on_screen_resume()

    def action_next_lesson(self) -> None:
        following = next_lesson(self.app.course.lessons, self.lesson)
        if following is None:
            self.app.notify("This is the last lesson of the course.")
            return
        self.save_position()
        self.app.switch_screen(LessonScreen(following))

    def action_lab(self) -> None:
        self.app.open_lab(self.lesson)

    def action_terms(self) -> None:
        from tutor.screens.terms import TermPicker

        terms = [t for t in map(self.app.course.glossary.get, self.lesson.terms) if t]
        if not terms:
            return

        def opened(term_id: str | None) -> None:
            if term_id:
                self.app.action_glossary(term_id)

        self.app.push_screen(TermPicker(terms), opened)

    @on(OptionList.OptionSelected, "#lesson-terms")
    def _term_chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option_id:
            self.app.action_glossary(event.option_id)

    @on(Markdown.LinkClicked)
    def _link(self, event: Markdown.LinkClicked) -> None:
        event.stop()
        if event.href.startswith(TERM_SCHEME):
            self.app.action_glossary(event.href[len(TERM_SCHEME) :])
        else:
            self.app.open_url(event.href)


def pass_rule(lesson: Lesson) -> str:
    """The quick-check rule in words, shown before and after the questions."""
    n = len(lesson.checks)
    return f"To pass, answer all {n} questions with at least {needed_to_pass(n)} right."


def next_lesson(lessons: Sequence[Lesson], current: Lesson) -> Lesson | None:
    """The next lesson that can be opened, in course order."""
    after = lessons[lessons.index(current) + 1 :] if current in lessons else ()
    return next((x for x in after if x.available), None)
