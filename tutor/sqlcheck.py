"""Grading a SQL quick check on real query results.

A check with `sql` (lessons/FORMAT.md) offers queries as its choices. The
chosen query and the check's own query run on the lesson's lab's sample data
(a real PostgreSQL, through `labs.api.run_lab` with `--sql`); the choice is
right when both return the same rows (in the same order only when the
check's query has ORDER BY). Column names do not count: `count(*)` and
`count(*) AS orders` answer the same question.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from tutor.course import Check

_ORDERED = re.compile(r"\border\s+by\b", re.IGNORECASE)


@dataclass(frozen=True)
class SqlGrade:
    """The verdict of one SQL check, and what the learner's query returned.

    `correct` is None when the queries could not run (no PostgreSQL here):
    the check is then graded by its stored answer, and `problem` says why."""

    correct: bool | None
    #: The chosen query's result as a table (tab-separated, a header first), or "".
    rows: str = ""
    problem: str = ""


def grade(lab: str, check: Check, choice: int, cancel: threading.Event | None = None) -> SqlGrade:
    """Run the check's query and the chosen one on `lab`'s data and compare them."""
    from labs import api

    chosen = check.choices[choice]
    try:
        request = api.get(lab).request(given={"sql": (check.sql, chosen)})
        trace = api.run_lab(request, cancel=cancel)
    except api.LabError as exc:
        return SqlGrade(None, problem=str(exc))
    facts = {f.name: f.value for f in trace.facts}
    kind = "rows" if _ORDERED.search(check.sql) else "set"
    want, got = facts.get(f"{kind}_1"), facts.get(f"{kind}_2")
    table = trace.sections[1] if len(trace.sections) > 1 else None
    rows = table.body if table is not None else ""
    if want is None:
        return SqlGrade(None, rows, "the check's own query failed")
    return SqlGrade(got == want, rows)
