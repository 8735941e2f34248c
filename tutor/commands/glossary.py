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


def entry(course: Course, term: Term, width: int = 88) -> str:
    """A term's whole entry, wrapped to `width`."""

    def said(text: str, indent: str = "", hang: str = "") -> list[str]:
        # Never inside a word: a field name or a command stays whole.
        return textwrap.wrap(
            text,
            width,
            initial_indent=indent,
            subsequent_indent=hang or indent,
            break_long_words=False,
            break_on_hyphens=False,
        )

    out = said(term.term)
    if term.aliases:
        out += said(f"also called: {', '.join(term.aliases)}", "  ", "    ")
    out += ["", *said(term.short), "", *said(term.explain), ""]
    out += said(f"Source: {term.source}", "", "  ")
    related = [t.term for t in map(course.glossary.get, term.related) if t]
    if related:
        out += said(f"Related: {', '.join(related)}", "", "  ")
    lessons = course.lessons_using(term.id)
    if lessons:
        out.append("Lessons that use it:")
        for x in lessons:
            # The command on one line, to copy: its spaces do not break.
            command = f"(tutor show {x.id})".replace(" ", "\xa0")
            out += said(f"{course.place(x)}: {x.title} {command}", "  ", "    ")
    if term.fields:
        out += said(f"In the labs (Wireshark fields): {', '.join(term.fields)}", "", "  ")
    return "\n".join(out).replace("\xa0", " ")


def listing(terms: list[Term], width: int) -> list[str]:
    """One term a line, its definition in a column of its own, wrapped
    under itself; past half the width, under the name instead."""
    column = max(len(t.term) for t in terms) + 2
    if column > width // 2:
        column = 4
    out = []
    for t in terms:
        lines = textwrap.wrap(t.short, max(20, width - column), break_long_words=False)
        if len(t.term) + 2 > column:  # the name is wider than the column: its own line
            out += [t.term, *(" " * column + line for line in lines)]
            continue
        first = f"{t.term:<{column}}{lines[0] if lines else ''}".rstrip()
        out += [first, *(" " * column + line for line in lines[1:])]
    return out


def run(args: argparse.Namespace) -> int:
    if args.review:
        return review()
    import sys

    from tutor.content import course
    from tutor.tracetext import text_width

    loaded = course()
    matches = loaded.glossary.search(args.query)
    if not matches:
        return fail(f"no glossary term matches {args.query!r}; try a shorter word.")
    if args.json:
        print(json.dumps([term_json(t) for t in matches], indent=2, ensure_ascii=False))
        return 0
    # One width rule for every text command: COLUMNS, else the terminal's, else 100.
    width = text_width(sys.stdout)
    exact = loaded.glossary.resolve(args.query) if args.query else None
    if exact is not None or len(matches) == 1:
        shown = exact or matches[0]
        print(entry(loaded, shown, width))
        others = [t.term for t in matches if t is not shown]
        if others:
            more = f" and {len(others) - 8} more" if len(others) > 8 else ""
            also = f"Also matching: {', '.join(others[:8])}{more}"
            print("\n" + "\n".join(textwrap.wrap(also, width, subsequent_indent="  ")))
        return 0
    print("\n".join(listing(matches, width)))
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
