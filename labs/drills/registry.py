"""Finds the drills: one folder per drill under `labs/drills/catalog/`, each
with `drill.py` holding `DRILL` (see README.md).

A learner meets a drill by its number and its symptom (the title), never by
its id: the ids name the fault (`firewall-drop`), so a list of them gives
the diagnosis away. The ids stay what the progress database, the state file
and the tests use, and `get` takes either."""

from __future__ import annotations

import importlib
from functools import cache
from pathlib import Path

from labs.drills.spec import Drill, DrillInfo
from labs.model.errors import BadInput

CATALOG = Path(__file__).resolve().parent / "catalog"

#: The drills' numbers: the place in this tuple, from 1. Easier first, and
#: layers mixed so that a drill's neighbours do not hint at its layer. A new
#: drill goes at the end: a number, once given, is never reused or moved
#: (a learner may have written it down). A drill missing here is numbered
#: after these, in the order of its id.
ORDER = (
    "dns-nxdomain",
    "firewall-reject",
    "tls-certificate",
    "firewall-drop",
    "no-route",
    "backend-down",
    "localhost-only",
    "slow-dns",
    "dns-stale",
    "rate-limit",
    "no-nat",
    "idle-reset",
    "mtu-blackhole",
)


@cache
def drills() -> tuple[Drill, ...]:
    """Every drill, in the order of its number."""
    found = []
    for folder in sorted(CATALOG.iterdir()):
        if (folder / "drill.py").is_file() and folder.name.isidentifier():
            module = importlib.import_module(f"labs.drills.catalog.{folder.name}.drill")
            found.append(module.DRILL)
    rank = {drill_id: i for i, drill_id in enumerate(ORDER)}
    return tuple(sorted(found, key=lambda d: (rank.get(d.id, len(ORDER)), d.id)))


def number(drill_id: str) -> int:
    """The drill's number (from 1) as lists show it; 0 for no such drill."""
    ids = [d.id for d in drills()]
    return ids.index(drill_id) + 1 if drill_id in ids else 0


def get(drill_id: str) -> Drill:
    """A drill by its id or by its number ("4", "#4")."""
    all_drills = drills()
    word = drill_id.strip().removeprefix("#")
    if word.isdigit() and 1 <= int(word) <= len(all_drills):
        return all_drills[int(word) - 1]
    for drill in all_drills:
        if drill.id == drill_id:
            return drill
    # The numbers, not the ids: the ids would say what is wrong in each drill.
    raise BadInput(
        f"no drill {drill_id!r}.",
        f"The drills are numbered 1 to {len(all_drills)}: `tutor drill list` shows them.",
    )


def infos() -> tuple[DrillInfo, ...]:
    return tuple(
        DrillInfo(d.id, d.title, d.summary, d.needs, i) for i, d in enumerate(drills(), start=1)
    )
