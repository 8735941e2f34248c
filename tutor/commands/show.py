"""`tutor show LESSON`: a lesson printed for the terminal, quick check included
(without the answers, so it still tests you in the app; `--answers` adds them
with each choice's feedback). Glossary links stay visible: underlined on a
terminal, the text followed by LINK_MARK on a pipe, and listed at the end."""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Sequence

from tutor.commands import fail
from tutor.content import Course, Lesson

#: Follows a glossary link's text in plain output, where no style can show it.
LINK_MARK = "°"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "show",
        help="print a lesson",
        description="Print a lesson: title, objectives, text, sources and its quick-check "
        "questions (without the answers). `tutor lessons` lists the lesson ids.",
    )
    p.add_argument("lesson", metavar="LESSON", help="a lesson id, e.g. tcp-ip-model")
    p.add_argument(
        "--answers",
        action="store_true",
        help="also print each quick check's answer, explanation and the feedback on every "
        "choice (the misconception a wrong choice stands for)",
    )
    p.set_defaults(func=run)


def marked_body(lesson: Lesson) -> str:
    """The body as printed on a pipe: each [[link]] as its text + LINK_MARK."""
    from tutor.content import LINK_RE, reading_body

    return LINK_RE.sub(lambda m: (m.group(2) or m.group(1)) + LINK_MARK, reading_body(lesson))


def terms_block(course: Course, lesson: Lesson, styled: bool = False, width: int = 88) -> list[str]:
    """ "Terms in this lesson": each with the command that explains it."""
    terms = [t for t in map(course.glossary.get, lesson.terms) if t]
    if not terms:
        return []
    shown = "underlined" if styled else f"marked {LINK_MARK}"
    out = [f"Terms in this lesson (links are {shown} in the text):"]
    for t in terms:
        out += textwrap.wrap(
            f"{t.term}: {t.short} (`tutor glossary {t.id}`)",
            width,
            initial_indent="  • ",
            subsequent_indent="    ",
        )
    return [*out, ""]


def bullets(items: Sequence[str], width: int) -> list[str]:
    """Each item after a bullet, wrapped under its own first word."""
    return [
        line
        for item in items
        for line in textwrap.wrap(item, width, initial_indent="  • ", subsequent_indent="    ")
    ]


def render(
    course: Course, lesson: Lesson, answers: bool = False, styled: bool = False, width: int = 88
) -> str:
    """The lesson as text; `styled` when its body is shown by rich (links
    underlined rather than marked), `width` the column to wrap at."""
    from tutor.progress import needed_to_pass

    module = next((m for m in course.modules if m.number == lesson.module), None)
    where = f"Module {lesson.module}" + (f": {module.title}" if module else "")
    if module:
        where += f" · lesson {module.lessons.index(lesson) + 1} of {len(module.lessons)}"
    out = [lesson.title, "=" * len(lesson.title), where, ""]
    if lesson.objectives:
        out += ["After this lesson you can:", *bullets(lesson.objectives, width), ""]
    out += [marked_body(lesson), ""]
    out += terms_block(course, lesson, styled, width)
    if lesson.sources:
        out += ["Sources:", *bullets(lesson.sources, width), ""]
    if lesson.lab:
        out += [f"Lab: {lesson.lab} (`tutor lab run {lesson.lab}`)", ""]
    if lesson.checks:
        n = len(lesson.checks)
        out += [
            f"Quick check: {n} questions; to pass, answer all with at least "
            f"{needed_to_pass(n)} right (take it in the app: `tutor`"
            + ("" if answers else f"; `tutor show {lesson.id} --answers` prints the answers")
            + ").",
            "",
        ]
        for i, check in enumerate(lesson.checks, 1):
            out += textwrap.wrap(
                check.question, width, initial_indent=f"{i}. ", subsequent_indent="   "
            )
            for k, choice in enumerate(check.choices):
                right = answers and k == check.answer
                out += textwrap.wrap(
                    choice + ("  ✓ right" if right else ""),
                    width,
                    initial_indent=f"   {chr(ord('a') + k)}) ",
                    subsequent_indent="      ",
                )
                said = check.feedback_for(k) if answers else ""
                if said:
                    out += textwrap.wrap(
                        said, width, initial_indent="      ", subsequent_indent="      "
                    )
            if answers:
                out += textwrap.wrap(
                    check.explain, width, initial_indent="   Why: ", subsequent_indent="   "
                )
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def run(args: argparse.Namespace) -> int:
    from tutor.content import course

    loaded = course()
    lesson = loaded.lesson(args.lesson)
    if lesson is None:
        return fail(f"there is no lesson {args.lesson!r}; `tutor lessons` lists them.")
    if not lesson.available:
        return fail(f"lesson {lesson.id!r} cannot be loaded: {lesson.path}: {lesson.error}", 1)
    import sys

    if sys.stdout.isatty():
        print_rich(loaded, lesson, args.answers)
    else:
        print(render(loaded, lesson, args.answers), end="")
    return 0


def print_rich(course: Course, lesson: Lesson, answers: bool = False) -> None:
    """On a terminal, the body's Markdown (headings, tables, code) is rendered
    by rich, glossary links underlined in colour; the parts around it are the
    same as the plain text."""
    from rich.console import Console
    from rich.markdown import Markdown
    from rich.theme import Theme

    from tutor.content import markdown_with_links, reading_body

    console = Console(theme=Theme({"markdown.link": "underline cyan"}))
    plain = render(course, lesson, answers, styled=True, width=min(88, console.width - 2))
    before, _, after = plain.partition(marked_body(lesson))
    console.print(before, highlight=False, markup=False, end="")
    # The links point at `term:ID`, which no terminal opens: rich shows their
    # text styled and, with hyperlinks off, the target after it, so keep them on.
    console.print(Markdown(markdown_with_links(reading_body(lesson), course.glossary)))
    console.print(after, highlight=False, markup=False, end="")
