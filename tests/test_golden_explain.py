"""`tutor explain FILE --json` of every stored capture, byte for byte as the
code before the lab-folder move wrote it (tests/data/golden/explain/<name>.json,
made with `cd <old checkout> && python -m tutor.cli explain
tests/data/pcaps/<name> --json`). The trace names the file as given, so the
test runs from the repository root with the same relative path, as the CLI does.
`UPDATE_GOLDEN=1` rewrites them after an intended change (see test_golden.py)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from labs.files import explain
from labs.files.explain import write_explain_json

ROOT = Path(__file__).parent.parent
PCAPS = Path("tests/data/pcaps")
GOLDEN = ROOT / "tests" / "data" / "golden" / "explain"
NAMES = sorted(p.name for p in (ROOT / PCAPS).iterdir())


def test_every_capture_has_a_golden():
    assert sorted(p.name for p in GOLDEN.glob("*.json")) == [f"{n}.json" for n in NAMES]


@pytest.mark.parametrize("parallel", [False, True], ids=["serial", "parallel"])
@pytest.mark.parametrize("name", NAMES)
def test_explain_json_unchanged(name, parallel, monkeypatch):
    monkeypatch.chdir(ROOT)
    # The two-process path must give the same bytes; force it on these small files.
    monkeypatch.setattr(explain, "_can_fork", lambda: parallel)
    out = io.StringIO()
    write_explain_json(str(PCAPS / name), out, parallel_from=1 if parallel else 10**9)
    if os.environ.get("UPDATE_GOLDEN") == "1" and not parallel:
        (GOLDEN / f"{name}.json").write_text(out.getvalue())
    assert out.getvalue() == (GOLDEN / f"{name}.json").read_text()
