"""Finds the drills: one folder per drill under `labs/drills/catalog/`, each
with `drill.py` holding `DRILL` (see README.md)."""

from __future__ import annotations

import importlib
from functools import cache
from pathlib import Path

from labs.drills.spec import Drill, DrillInfo
from labs.model.errors import BadInput

CATALOG = Path(__file__).resolve().parent / "catalog"


@cache
def drills() -> tuple[Drill, ...]:
    found = []
    for folder in sorted(CATALOG.iterdir()):
        if (folder / "drill.py").is_file() and folder.name.isidentifier():
            module = importlib.import_module(f"labs.drills.catalog.{folder.name}.drill")
            found.append(module.DRILL)
    return tuple(sorted(found, key=lambda d: d.id))


def get(drill_id: str) -> Drill:
    for drill in drills():
        if drill.id == drill_id:
            return drill
    known = ", ".join(d.id for d in drills())
    raise BadInput(f"no drill {drill_id!r}.", f"The drills are: {known}.")


def infos() -> tuple[DrillInfo, ...]:
    return tuple(DrillInfo(d.id, d.title, d.summary, d.needs) for d in drills())
