"""The labs, found by their folders, and the one way to run them.

Every folder of `labs.catalog` with a `spec.py` is a lab. Listing labs
imports only the specs (no scapy, no lab code); a lab's `run` module is
imported when it runs. `TUTOR_LAB_PATH` (directories separated by `:`)
adds folders of labs from elsewhere: a lab in development, a course's own.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import labs.catalog
from labs.core import system
from labs.core.base import LabContext
from labs.core.spec import LabRequest, LabSpec
from labs.model.errors import BadInput, Cancelled
from labs.model.trace import Trace

LAB_PATH_ENV = "TUTOR_LAB_PATH"


def _extra_paths() -> list[str]:
    """The directories of TUTOR_LAB_PATH that are safe to import from:
    absolute, existing, and not writable by others (code found there runs,
    as root for the namespace labs)."""
    found = []
    for entry in os.environ.get(LAB_PATH_ENV, "").split(os.pathsep):
        path = Path(entry)
        if not entry or not path.is_absolute() or not path.is_dir():
            continue
        if path.stat().st_mode & (stat.S_IWOTH | stat.S_IWGRP):
            continue
        found.append(str(path))
    return found


@cache
def specs() -> tuple[LabSpec, ...]:
    """Every lab's spec, in course order (module, then id)."""
    path = list(labs.catalog.__path__)
    for extra in _extra_paths():
        if extra not in path:
            labs.catalog.__path__.append(extra)
    found = []
    for info in pkgutil.iter_modules(labs.catalog.__path__):
        if not info.ispkg:
            continue
        try:
            module = importlib.import_module(f"labs.catalog.{info.name}.spec")
        except ModuleNotFoundError as err:
            if err.name != f"labs.catalog.{info.name}.spec":
                raise
            continue
        found.append(module.SPEC)
    return tuple(sorted(found, key=lambda s: (s.module, s.id)))


def get(lab_id: str) -> LabSpec:
    for spec in specs():
        if spec.id == lab_id:
            return spec
    known = ", ".join(s.id for s in specs())
    raise BadInput(f"There is no lab called {lab_id!r}.", f"Labs: {known} (see `tutor lab list`).")


@dataclass(frozen=True)
class Availability:
    """Which version of a lab will run here, and why."""

    version: str  # "live" | "reconstructed" | "namespaces" | "simulated"
    reason: str


def availability(spec: LabSpec) -> Availability:
    if spec.needs == "netns":
        cap = system.namespaces()
        return Availability("namespaces" if cap.ok else "simulated", cap.reason)
    cap = system.live_capture()
    return Availability("live" if cap.ok else "reconstructed", cap.reason)


def simulated(request: LabRequest) -> bool:
    """Whether this run computes its packets instead of sending them."""
    spec = get(request.lab)
    asked = bool(spec.option("simulate") and request.option("simulate"))
    return asked or (spec.needs == "netns" and availability(spec).version == "simulated")


def run_lab(
    request: LabRequest,
    progress: Callable[[str], None] | None = None,
    cancel: threading.Event | None = None,
) -> Trace:
    """Run a lab to completion and return its trace.

    Raises `labs.model.errors.LabError` (BadInput for bad options) with a one-line
    message; `Cancelled` when `cancel` is set.
    """
    spec = get(request.lab)
    ctx = LabContext()
    if progress is not None:
        ctx.progress = progress
    if cancel is not None:
        ctx.cancel = cancel
    # lazy: a lab's code (and scapy) is imported only when it runs
    run = importlib.import_module(f"{spec.package}.run")
    try:
        recording = run.record(request, ctx)
    except Exception:
        if ctx.cancel.is_set():
            # Cancelling shut the lab's sockets: whatever failed then (a lab's
            # one-line error, a client library's broken pipe) is the cancel.
            raise Cancelled() from None
        raise
    trace: Trace = run.explain(recording)
    return trace


def lab_leftovers() -> list[str]:
    """Each lab's own leftovers from killed runs, removed: a lab with things
    of its own to clean (a database's data directory) has a `leftovers`
    module with `cleanup_leftovers() -> list[str]` in its folder."""
    removed: list[str] = []
    for spec in specs():
        try:
            module = importlib.import_module(f"{spec.package}.leftovers")
        except ModuleNotFoundError as err:
            if err.name != f"{spec.package}.leftovers":
                raise
            continue
        removed += module.cleanup_leftovers()
    return removed
