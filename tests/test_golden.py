"""Behaviour kept: every stored run of every lab (tests/data/golden/<lab>/
<variant>/recording.json, made by running the lab in reconstructed mode and
saving its evidence) is explained into exactly the trace JSON stored beside
it, byte for byte. The stored traces were made by the labs' code before it
moved into the lab kit; any change to a lab's words or fields shows here.

A change meant to alter what labs say rewrites the stored traces with
`UPDATE_GOLDEN=1 pytest tests/test_golden.py tests/test_golden_explain.py`;
the diff of tests/data/golden then shows, in the commit, exactly what changed."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import pytest

from labs import registry
from labs.kit import load_recording
from labs.model.trace import dumps

GOLDEN = Path(__file__).parent / "data" / "golden"
RUNS = sorted(
    p.parent for p in GOLDEN.glob("*/*/recording.json") if p.parent.parent.name != "explain"
)


def test_every_lab_has_a_stored_run() -> None:
    stored = {p.parent.name for p in RUNS}
    assert stored == {spec.id for spec in registry.specs()}


@pytest.mark.parametrize("run_dir", RUNS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_stored_run_explains_to_the_same_trace(run_dir: Path) -> None:
    spec = registry.get(run_dir.parent.name)
    run = importlib.import_module(f"{spec.package}.run")
    rec = load_recording(run_dir / "recording.json", run.RESULT)
    got = dumps(run.explain(rec)) + "\n"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        (run_dir / "trace.json").write_text(got, encoding="utf-8")
    want = (run_dir / "trace.json").read_text(encoding="utf-8")
    assert got == want
