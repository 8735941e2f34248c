"""`tutor glossary [QUERY]`: search the glossary; one exact match prints the
whole entry. `--json` prints the matching terms with all their fields."""

from __future__ import annotations

import argparse
import json
import textwrap
from dataclasses import asdict

from tutor.commands import fail
from tutor.content import Course, Term


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "glossary",
        help="search the glossary",
        description="Search glossary terms by name, alias or definition. With no QUERY, "
        "lists every term. A query that names one term prints its whole entry.",
    )
    p.add_argument("query", metavar="QUERY", nargs="?", default="", help="e.g. tcp, 404, port")
    p.add_argument(
        "--json",
        action="store_true",
        help='print JSON: [{"id", "term", "aliases", "short", "explain", "related", '
        '"source", "fields"}]',
    )
    p.add_argument(
        "--review",
        action="store_true",
        help="review the terms that are due, and learn the new ones",
    )
    p.set_defaults(func=run)


def term_json(term: Term) -> dict[str, object]:
    data = asdict(term)
    data.pop("path")  # where the loader found it, not part of the term
    return data


def entry(course: Course, term: Term) -> str:
    out = [term.term]
    if term.aliases:
        out.append(f"  also called: {', '.join(term.aliases)}")
    out += ["", *textwrap.wrap(term.short, 88), "", *textwrap.wrap(term.explain, 88), ""]
    out.append(f"Source: {term.source}")
    related = [t.term for t in map(course.glossary.get, term.related) if t]
    if related:
        out.append(f"Related: {', '.join(related)}")
    lessons = course.lessons_using(term.id)
    if lessons:
        out.append("Lessons that use it:")
        out += [f"  {course.place(x)}: {x.title} (tutor show {x.id})" for x in lessons]
    if term.fields:
        out.append(f"In the labs (Wireshark fields): {', '.join(term.fields)}")
    return "\n".join(out)


def run(args: argparse.Namespace) -> int:
    if args.review:
        return review()
    from tutor.content import course

    loaded = course()
    matches = loaded.glossary.search(args.query)
    if not matches:
        return fail(f"no glossary term matches {args.query!r}; try a shorter word.")
    if args.json:
        print(json.dumps([term_json(t) for t in matches], indent=2, ensure_ascii=False))
        return 0
    exact = loaded.glossary.resolve(args.query) if args.query else None
    if exact is not None or len(matches) == 1:
        shown = exact or matches[0]
        print(entry(loaded, shown))
        others = [t.term for t in matches if t is not shown]
        if others:
            more = f" and {len(others) - 8} more" if len(others) > 8 else ""
            print(f"\nAlso matching: {', '.join(others[:8])}{more}")
        return 0
    width = max(len(t.term) for t in matches)
    for t in matches:
        print(f"{t.term:<{width}}  {t.short}")
    return 0


def review() -> int:
    """Open the TUI straight on the review of due terms (or say nothing is due)."""
    import sys

    from tutor.app import make_app
    from tutor.progress import Store, StoreError
    from tutor.review import Review, when

    try:
        store = Store.open()
    except StoreError as err:
        return fail(str(err), 1)
    status = Review(store).status()
    if status.count == 0:
        store.close()
        if status.scheduled == 0:
            print(
                "Nothing to review yet: terms join your review deck when you meet them in a lesson or a lab."
            )
        else:
            later = f" The next term is due {when(status.next_due)}." if status.next_due else ""
            print(f"Nothing is due for review.{later}")
        return 0
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        # The review is full-screen: without a terminal it would wait forever.
        store.close()
        return fail(
            f"{status.title().capitalize()}, but --review needs a terminal "
            "(it is interactive): run it without a pipe or </dev/null."
        )
    app = make_app(store=store, start="review")
    app.run()
    return app.return_code or 0  # 143 after SIGTERM
