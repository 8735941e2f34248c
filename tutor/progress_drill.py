"""Incident drills in the progress database (table `drill_run`, migration 3
in `tutor.progress_schema`): each finished drill with its time, the hints
used, which parts of the diagnosis were right, and the learner's note."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from tutor.progress import Store


@dataclass(frozen=True)
class DrillRun:
    drill_id: str
    seed: int
    mode: str
    seconds: float
    hints: int
    layer_ok: bool
    fault_ok: bool
    call_ok: bool
    correct: bool
    note: str
    time: float


def record(store: Store, state: Any, grade: Any) -> None:
    """Save a finished drill: `state` a labs.api.DrillState, `grade` its Grade."""
    with store.write() as conn:
        conn.execute(
            "INSERT INTO drill_run (drill_id, seed, mode, started, seconds, hints, layer_ok, "
            "fault_ok, call_ok, correct, note, time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                state.drill, state.seed, state.mode, state.started, grade.seconds,
                grade.hints_used, int(grade.layer.right), int(grade.fault.right),
                int(grade.call.right), int(grade.correct), grade.note, time.time(),
            ),
        )  # fmt: skip


def runs(store: Store, drill_id: str | None = None) -> list[DrillRun]:
    """Finished drills, oldest first (of one drill, or all)."""
    sql = (
        "SELECT drill_id, seed, mode, seconds, hints, layer_ok, fault_ok, call_ok, correct, note, "
        "time FROM drill_run"
    )
    params: tuple[Any, ...] = ()
    if drill_id is not None:
        sql, params = sql + " WHERE drill_id = ?", (drill_id,)
    rows = store.read(sql + " ORDER BY id", params)
    return [
        DrillRun(
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            bool(r[5]),
            bool(r[6]),
            bool(r[7]),
            bool(r[8]),
            r[9],
            r[10],
        )  # fmt: skip
        for r in rows
    ]


def statuses(store: Store) -> dict[str, str]:
    """Each played drill: "done" once diagnosed right, else "tried"."""
    out: dict[str, str] = {}
    for run in runs(store):
        if run.correct or out.get(run.drill_id) != "done":
            out[run.drill_id] = "done" if run.correct else out.get(run.drill_id, "tried")
    return out
