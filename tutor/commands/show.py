"""`tutor show LESSON`: a lesson printed for the terminal, quick check included
(without the answers, so it still tests you in the app)."""

from __future__ import annotations

import argparse
import textwrap

from tutor.commands import fail
from tutor.content import Course, Lesson


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "show",
        help="print a lesson",
        description="Print a lesson: title, objectives, text, sources and its quick-check "
        "questions (without the answers). `tutor lessons` lists the lesson ids.",
    )
    p.add_argument("lesson", metavar="LESSON", help="a lesson id, e.g. tcp-ip-model")
    p.set_defaults(func=run)


def render(course: Course, lesson: Lesson) -> str:
    from tutor.content import plain_text, reading_body
    from tutor.progress import needed_to_pass

    module = next((m for m in course.modules if m.number == lesson.module), None)
    where = f"Module {lesson.module}" + (f": {module.title}" if module else "")
    if module:
        where += f" · lesson {module.lessons.index(lesson) + 1} of {len(module.lessons)}"
    out = [lesson.title, "=" * len(lesson.title), where, ""]
    if lesson.objectives:
        out += ["After this lesson you can:", *(f"  • {o}" for o in lesson.objectives), ""]
    out += [plain_text(reading_body(lesson)), ""]
    if lesson.sources:
        out += ["Sources:", *(f"  • {s}" for s in lesson.sources), ""]
    if lesson.lab:
        out += [f"Lab: {lesson.lab} (`tutor lab run {lesson.lab}`)", ""]
    if lesson.checks:
        n = len(lesson.checks)
        out += [
            f"Quick check: {n} questions; to pass, answer all with at least "
            f"{needed_to_pass(n)} right (take it in the app: `tutor`).",
            "",
        ]
        for i, check in enumerate(lesson.checks, 1):
            out += textwrap.wrap(
                check.question, 88, initial_indent=f"{i}. ", subsequent_indent="   "
            )
            out += [f"   {chr(ord('a') + k)}) {choice}" for k, choice in enumerate(check.choices)]
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
        print_rich(loaded, lesson)
    else:
        print(render(loaded, lesson), end="")
    return 0


def print_rich(course: Course, lesson: Lesson) -> None:
    """On a terminal, the body's Markdown (headings, tables, code) is rendered
    by rich; the parts around it are the same as the plain text."""
    from rich.console import Console
    from rich.markdown import Markdown

    from tutor.content import plain_text, reading_body

    plain = render(course, lesson)
    body = plain_text(reading_body(lesson))
    before, _, after = plain.partition(body)
    console = Console()
    console.print(before, highlight=False, markup=False, end="")
    console.print(Markdown(body))
    console.print(after, highlight=False, markup=False, end="")
