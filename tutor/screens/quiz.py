"""The quick check at the end of a lesson: one multiple-choice question at a
time, immediate feedback with the explanation, a score at the end.

Every answer is saved the moment it is given. The lesson is done when all
questions were answered and about two thirds were right (`needed_to_pass`).
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.markup import escape
from textual.widgets import Button, Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from tutor.content import Lesson
from tutor.course import Check
from tutor.progress import needed_to_pass
from tutor.screens.base import TutorScreen
from tutor.screens.lesson import next_lesson, pass_rule


class QuizScreen(TutorScreen[bool]):
    """Asks the lesson's checks in order; `t` tries again, escape goes back.
    Dismisses with True when the learner asks for the next lesson."""

    SUB_TITLE = "Quick check"

    BINDINGS = [
        Binding("escape", "back", "Back to the lesson"),
        Binding("1", "answer(0)", "Answer", key_display="1-9"),
        *(Binding(str(n), f"answer({n - 1})", show=False) for n in range(2, 10)),
        Binding("n", "next", "Next"),
        Binding("t", "retry", "Try again"),
        # The footer fits 80 columns (it was cut at "L La"): the app's other
        # keys work here and are listed in the help (?), not in the footer.
        Binding("g", "app.glossary", "Glossary", show=False),
        Binding("L", "app.labs", "Labs", show=False),
    ]

    def __init__(self, lesson: Lesson) -> None:
        super().__init__()
        self.lesson = lesson
        self.index = 0
        self.right = 0
        #: Choices given in this attempt, by question.
        self.given: list[int] = []
        self.answered = False
        self.finished = False
        #: A SQL check's queries are running: nothing moves on until they are graded.
        self.grading = False

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="quiz"):
            yield Static(id="quiz-progress")
            yield Static(id="question")
            yield OptionList(id="choices")
            yield Static(id="feedback")
            with Horizontal(id="quiz-actions"):
                yield Button("Next (n)", id="next", variant="primary", action="screen.next")
                yield Button("Try again (t)", id="retry", action="screen.retry")
                yield Button("Back to the lesson (esc)", id="back", action="screen.back")
                yield Button("Next lesson (n)", id="next-lesson", action="screen.next")
        yield Footer()

    def on_mount(self) -> None:
        self._ask()

    # -- states ----------------------------------------------------------------

    def _ask(self) -> None:
        check = self.lesson.checks[self.index]
        total = len(self.lesson.checks)
        self.answered = False
        self.query_one("#quiz-progress", Static).update(
            f"[b]Quick check: {escape(self.lesson.title)}[/b]\n"
            f"[dim]Question {self.index + 1} of {total}. {pass_rule(self.lesson)}[/dim]"
        )
        self.query_one("#question", Static).update(f"[b]{escape(check.question)}[/b]")
        choices = self.query_one("#choices", OptionList)
        choices.disabled = False
        choices.set_options(
            Option(choice_row(Text("  "), n, Text(text)), id=str(n))
            for n, text in enumerate(check.choices)
        )
        choices.highlighted = 0
        choices.display = True
        self.query_one("#feedback", Static).update("")
        self._buttons(next_=False, retry=False)
        self.query_one("#quiz", VerticalScroll).scroll_home(animate=False)
        choices.focus()

    def _buttons(self, next_: bool, retry: bool, next_lesson: bool = False) -> None:
        self.query_one("#next").display = next_
        self.query_one("#retry").display = retry
        self.query_one("#back").display = retry or not next_
        self.query_one("#next-lesson").display = next_lesson
        self.refresh_bindings()

    def _answer(self, choice: int) -> None:
        check = self.lesson.checks[self.index]
        if self.answered or self.finished or not 0 <= choice < len(check.choices):
            return
        self.answered = True
        if check.sql and self.lesson.lab:
            # A SQL check: graded on the rows the queries really return.
            self.query_one("#choices", OptionList).disabled = True
            self.query_one("#feedback", Static).update(
                "[dim]Running the query on the lab's PostgreSQL ...[/dim]"
            )
            self.grading = True
            self._grade_sql(self.lesson.lab, check, choice)
            return
        self._verdict(choice, choice == check.answer)

    @work(thread=True, exclusive=True, exit_on_error=False, group="sql-check")
    def _grade_sql(self, lab: str, check: Check, choice: int) -> None:
        from tutor.sqlcheck import grade

        result = grade(lab, check, choice)
        correct = choice == check.answer if result.correct is None else result.correct
        note = f"Your query returned:\n{result.rows}" if result.rows else ""
        if result.problem:
            note = f"(Graded by the stored answer: {result.problem})"
        self.app.call_from_thread(self._verdict, choice, correct, note)

    def _verdict(self, choice: int, correct: bool, note: str = "") -> None:
        self.grading = False
        if not self.is_attached:
            return  # the learner left while the queries ran
        check = self.lesson.checks[self.index]
        self.right += correct
        self.app.store.record_answer(self.lesson.id, "check", self.index, choice, correct)
        self.given.append(choice)
        choices = self.query_one("#choices", OptionList)
        choices.set_options(
            Option(choice_prompt(n, text, check.answer, choice))
            for n, text in enumerate(check.choices)
        )
        choices.highlighted = choice
        choices.disabled = True
        # The picked choice's own feedback (the misconception a wrong choice
        # stands for) comes first, then the explanation every learner sees. A SQL
        # check graded on its rows may disagree with `answer`: then say nothing.
        said = check.feedback_for(choice) if (choice == check.answer) == correct else ""
        if correct:
            said = f"{escape(said)}\n" if said else ""
            verdict = f"[green b]✓ Right.[/green b] {said}{escape(check.explain)}"
        else:
            right = check.choices[check.answer]
            said = f"[b]{escape(said)}[/b]\n" if said else ""
            verdict = (
                f"[red b]✗ Not quite.[/red b] You chose {choice + 1}; the answer is "
                f"{check.answer + 1}, “{escape(right)}”.\n{said}{escape(check.explain)}"
            )
        if note:
            verdict += f"\n[dim]{escape(note)}[/dim]"
        self.query_one("#feedback", Static).update(verdict)
        last = self.index + 1 == len(self.lesson.checks)
        self.query_one("#next", Button).label = "See your score (n)" if last else "Next (n)"
        self._buttons(next_=True, retry=False)
        self.query_one("#next").focus()
        self.call_after_refresh(self._feedback_into_view)

    def _feedback_into_view(self) -> None:
        # At 80x24 the verdict and its explanation end below the screen's last
        # row, and nothing says the page scrolls: bring them and Next into view
        # (the question scrolls up; a verdict taller than the screen shows its start).
        quiz = self.query_one("#quiz", VerticalScroll)
        feedback = self.query_one("#feedback").virtual_region_with_margin
        actions = self.query_one("#quiz-actions").virtual_region_with_margin
        quiz.scroll_to_region(
            feedback.union(actions), animate=False, origin_visible=True, immediate=True
        )

    def _finish(self) -> None:
        self.finished = True
        total = len(self.lesson.checks)
        needed = needed_to_pass(total)
        passed = self.right >= needed
        if passed:
            self.app.store.mark_done(self.lesson.id)
            verdict = (
                f"[green b]Passed: {self.right} of {total} right.[/green b]\n"
                "This lesson is marked done."
            )
        else:
            verdict = (
                f"[red b]Not yet: {self.right} of {total} right; passing takes {needed}.[/red b]\n"
                "Read the lesson again, then try again."
            )
        self.query_one("#quiz-progress", Static).update(
            f"[b]Quick check: {escape(self.lesson.title)}[/b]\n[dim]{pass_rule(self.lesson)}[/dim]"
        )
        self.query_one("#question", Static).update(verdict)
        self.query_one("#choices").display = False
        self.query_one("#feedback", Static).update(self._summary())
        go_on = passed and self._has_next_lesson()
        self._buttons(next_=False, retry=True, next_lesson=go_on)
        self.query_one("#next-lesson" if go_on else "#back" if passed else "#retry").focus()

    def _has_next_lesson(self) -> bool:
        return next_lesson(self.app.course.lessons, self.lesson) is not None

    def _summary(self) -> Table:
        """Each question with a tick or a cross; wrong ones with the right answer.
        A grid keeps wrapped questions indented under their number."""
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column()
        for n, (check, choice) in enumerate(zip(self.lesson.checks, self.given, strict=True), 1):
            if choice == check.answer:
                grid.add_row(Text(f"✓ {n}.", "green"), Text(check.question))
            else:
                answer = Text.assemble(
                    check.question, "\n", ("answer: ", "dim"), check.choices[check.answer]
                )
                grid.add_row(Text(f"✗ {n}.", "red"), answer)
        return grid

    # -- actions -----------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "answer":
            return not (self.answered or self.finished)
        if action in ("next", "retry") and self.grading:
            return False
        if action == "next":
            return (self.answered and not self.finished) or (
                self.finished and self.query_one("#next-lesson").display
            )
        if action == "retry":
            return self.finished
        return True

    def action_answer(self, choice: int) -> None:
        self._answer(choice)

    def action_next(self) -> None:
        if self.finished:
            if self.query_one("#next-lesson").display:
                self.dismiss(True)
            return
        if not self.answered:
            return
        if self.index + 1 < len(self.lesson.checks):
            self.index += 1
            self._ask()
        else:
            self._finish()

    def action_retry(self) -> None:
        self.index = self.right = 0
        self.given = []
        self.finished = False
        self._ask()

    def action_back(self) -> None:
        self.dismiss(False)

    @on(OptionList.OptionSelected, "#choices")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self._answer(int(event.option_id or 0))


def choice_row(mark: Text, n: int, text: Text) -> Table:
    """Choice `n` (from 0) as "✓ 2  text": a grid, so a choice that wraps
    stays indented under its own text, not under its number."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True)
    grid.add_column()
    grid.add_row(Text.assemble(mark, str(n + 1)), text)
    return grid


def choice_prompt(n: int, text: str, answer: int, chosen: int) -> Table:
    """A choice after answering: the right one ticked, a wrong pick crossed."""
    if n == answer:
        return choice_row(Text("✓ ", "green"), n, Text(text, "bold"))
    if n == chosen:
        return choice_row(Text("✗ ", "red"), n, Text(text))
    return choice_row(Text("  "), n, Text(text, "dim"))
