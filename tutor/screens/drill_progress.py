"""The drills' progress as the screens show it: per drill, how often it was
answered, whether it was ever solved, the best time and the fewest hints;
and which version of the drills runs on this machine. The records
themselves are kept by `tutor.progress_drill` (the CLI writes them too)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from labs.api import DrillState, Grade
    from tutor.progress import Store
    from tutor.progress_drill import DrillRun


@dataclass(frozen=True)
class Tally:
    """One drill's progress: answered `tries` times, `solved` if ever right."""

    tries: int
    solved: bool
    best_seconds: float | None
    best_hints: int | None


def _runs(store: Store) -> list[DrillRun]:
    from tutor.progress_drill import runs

    return runs(store)


def tallies(store: Store) -> dict[str, Tally]:
    out: dict[str, Tally] = {}
    for run in _runs(store):
        old = out.get(run.drill_id, Tally(0, False, None, None))
        solved = old.solved or run.correct
        best, hints = old.best_seconds, old.best_hints
        if run.correct and (best is None or run.seconds < best):
            best = run.seconds
        if run.correct and (hints is None or run.hints < hints):
            hints = run.hints
        out[run.drill_id] = Tally(old.tries + 1, solved, best, hints)
    return out


def totals(store: Store) -> tuple[int, int, float, int]:
    """(solved, tried) drills, and the seconds and hints spent on all answers."""
    runs = tallies(store)
    seconds, hints = 0.0, 0
    for run in _runs(store):
        seconds += run.seconds
        hints += run.hints
    return sum(t.solved for t in runs.values()), len(runs), seconds, hints


def record(store: Store, state: DrillState, grade: Grade) -> None:
    """Keep an answered drill in the progress database."""
    from tutor.progress_drill import record as keep

    keep(store, state, grade)


def here_line() -> tuple[str, bool]:
    """Which version of the drills runs here, and whether it is simulated."""
    from labs.api import namespaces

    can = namespaces()
    if can.ok:
        return "Here: live drills — each builds a real broken network on this machine.", False
    return (
        "Here: SIMULATED drills — nothing is sent; each probe's packets are computed "
        f"from the drill's model of the network. ({can.reason})",
        True,
    )
