"""`tutor lessons`: the course outline with progress marks, as text or JSON."""

from __future__ import annotations

import argparse
import json
import sys

from tutor.content import Course, Lesson


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "lessons",
        help="the course outline with your progress",
        description="List the course's modules and lessons with your progress: "
        "✓ done, ◐ started, ○ not started, ✗ cannot be loaded (the reason is shown).",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help='print JSON: [{"number", "id", "title", "lessons": [{"id", "title", '
        '"module", "done", "checks", "lab"}]}]',
    )
    p.set_defaults(func=run)


def load() -> tuple[Course, dict[str, str]]:
    """The course and the learner's lesson statuses; problems go to stderr."""
    from tutor.content import course
    from tutor.progress import Store, StoreError

    loaded = course()
    for problem in loaded.problems:
        print(f"tutor: content problem: {problem}", file=sys.stderr)
    try:
        store = Store.open()
    except StoreError as err:
        print(f"tutor: {err}", file=sys.stderr)
        return loaded, {}
    if store.notice:
        print(f"tutor: {store.notice}", file=sys.stderr)
    try:
        return loaded, store.statuses()
    finally:
        store.close()


def as_json(course: Course, statuses: dict[str, str]) -> list[dict[str, object]]:
    def lesson(x: Lesson) -> dict[str, object]:
        return {
            "id": x.id,
            "title": x.title,
            "module": x.module,
            "done": statuses.get(x.id) == "done",
            "checks": len(x.checks),
            "lab": x.lab,
        }

    return [
        {
            "number": m.number,
            "id": m.id,
            "title": m.title,
            "lessons": [lesson(x) for x in m.lessons],
        }
        for m in course.modules
    ]


def as_text(course: Course, statuses: dict[str, str], width: int = 100) -> str:
    """The outline `width` columns wide: a lesson's title (and what it has)
    wrapped under itself, after the column of ids; when the ids leave too
    little room, on the lines under the id."""
    import textwrap

    from tutor.progress import mark

    def wrap(text: str, first: str, hang: str) -> list[str]:
        return textwrap.wrap(
            text,
            width,
            initial_indent=first,
            subsequent_indent=hang,
            break_long_words=False,
            break_on_hyphens=False,
        )

    ids = max((len(x.id) for x in course.lessons), default=0)
    column = 3 + 2 + ids + 2  # "   ✓ " and the id, then two spaces
    under = width - column < 24
    lines: list[str] = []
    for m in course.modules:
        done = sum(statuses.get(x.id) == "done" for x in m.lessons)
        count = f"{done}/{len(m.lessons)} done" if m.lessons else "no lessons yet"
        lines += wrap(f"{m.number}  {m.title}  ({count})", "", "   ")
        for x in m.lessons:
            symbol = mark(statuses.get(x.id), x.available)
            if not x.available:
                said = f"unavailable: {x.path}: {x.error}"
            else:
                extra = [f"{len(x.checks)} checks"] + ([f"lab {x.lab}"] if x.lab else [])
                # What it has stays on one line: "[4 checks, lab dns]", not "[4" then "checks]".
                said = f"{x.title}  " + f"[{', '.join(extra)}]".replace(" ", "\xa0")
            if under:
                lines += [f"   {symbol} {x.id}", *wrap(said, " " * 7, " " * 7)]
            else:
                lines += wrap(said, f"   {symbol} {x.id:<{ids}}  ", " " * column)
        lines.append("")
    legend = (
        "✓ done  ◐ started  ○ not started  ✗ cannot be loaded · `tutor show ID` prints a lesson"
    )
    lines += wrap(legend, "", "")
    return "\n".join(lines).replace("\xa0", " ")


def run(args: argparse.Namespace) -> int:
    course, statuses = load()
    if args.json:
        print(json.dumps(as_json(course, statuses), indent=2, ensure_ascii=False))
    else:
        from tutor.tracetext import text_width

        # One width rule for every text command: COLUMNS, else the terminal's, else 100.
        print(as_text(course, statuses, text_width(sys.stdout)))
    return 0
