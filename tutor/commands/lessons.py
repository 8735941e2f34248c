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


def as_text(course: Course, statuses: dict[str, str]) -> str:
    from tutor.progress import mark

    width = max((len(x.id) for x in course.lessons), default=0)
    lines: list[str] = []
    for m in course.modules:
        done = sum(statuses.get(x.id) == "done" for x in m.lessons)
        count = f"{done}/{len(m.lessons)} done" if m.lessons else "no lessons yet"
        lines.append(f"{m.number}  {m.title}  ({count})")
        for x in m.lessons:
            symbol = mark(statuses.get(x.id), x.available)
            if not x.available:
                lines.append(f"   {symbol} {x.id:<{width}}  unavailable: {x.path}: {x.error}")
                continue
            extra = [f"{len(x.checks)} checks"] + ([f"lab {x.lab}"] if x.lab else [])
            lines.append(f"   {symbol} {x.id:<{width}}  {x.title}  [{', '.join(extra)}]")
        lines.append("")
    lines.append(
        "✓ done  ◐ started  ○ not started  ✗ cannot be loaded · `tutor show ID` prints a lesson"
    )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    course, statuses = load()
    if args.json:
        print(json.dumps(as_json(course, statuses), indent=2, ensure_ascii=False))
    else:
        print(as_text(course, statuses))
    return 0
