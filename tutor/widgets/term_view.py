"""One glossary entry, in full: what the term means, where it comes from, where
it shows up, and related terms to move on to."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.markup import escape
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tutor.content import Course, Term


class TermView(VerticalScroll):
    """Shows a term; selecting a related term posts `TermView.Follow`."""

    DEFAULT_CSS = """
    TermView { padding: 0 1; }
    TermView #term-text { margin-bottom: 1; }
    TermView #related-title { color: $text-muted; }
    TermView #related { height: auto; max-height: 10; border: none; padding: 0; }
    """

    @dataclass
    class Follow(Message):
        """The learner chose a related term."""

        term_id: str

    def __init__(self, course: Course, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.course = course
        self.term: Term | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="term-text")
        yield Static("[b]Related terms[/b] [dim](enter opens)[/dim]", id="related-title")
        yield OptionList(id="related")

    def show(self, term: Term | None) -> None:
        self.term = term
        text = self.query_one("#term-text", Static)
        related = self.query_one("#related", OptionList)
        if term is None:
            text.update("[dim]No term matches. Try a shorter word, or an abbreviation.[/dim]")
            related.clear_options()
            related.display = self.query_one("#related-title").display = False
            return
        text.update(entry_markup(self.course, term))
        targets = [t for t in map(self.course.glossary.get, term.related) if t]
        related.set_options(
            Option(f"{escape(t.term)}  [dim]{escape(t.short)}[/dim]", id=t.id) for t in targets
        )
        related.display = self.query_one("#related-title").display = bool(targets)
        if targets:
            related.highlighted = 0  # so enter works as soon as the list has focus
        self.scroll_home(animate=False)

    @on(OptionList.OptionSelected, "#related")
    def _follow(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_id:
            self.post_message(self.Follow(event.option_id))


def entry_markup(course: Course, term: Term) -> str:
    """The entry as Textual markup (everything but the related-terms list)."""
    lines = [f"[b reverse] {escape(term.term)} [/b reverse]"]
    if term.aliases:
        lines.append(f"[dim]Also called: {escape(', '.join(term.aliases))}[/dim]")
    lines += ["", f"[b]{escape(term.short)}[/b]", "", escape(term.explain), ""]
    lines.append(f"[b]Source:[/b] {escape(term.source)}")
    lessons = course.lessons_using(term.id)
    if lessons:
        lines += ["", "[b]Lessons that use it[/b]"]
        lines += [f"  • {course.place(x)}: {escape(x.title)}" for x in lessons]
    if term.fields:
        lines += ["", "[b]Where a lab shows it[/b] [dim](Wireshark field names)[/dim]"]
        lines.append("  " + ", ".join(escape(f) for f in term.fields))
    return "\n".join(lines)
