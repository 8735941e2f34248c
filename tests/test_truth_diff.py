"""`tutor diff A B` says the steps as a learner reads them (their titles),
and says in one line when A and B come from different labs (and still
compares them)."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from labs.model.trace import Trace, loads
from tutor import tracediff

ROOT = Path(__file__).parent.parent
GOLDEN = ROOT / "tests" / "data" / "golden"
HANDSHAKE = GOLDEN / "tcp-handshake" / "default" / "trace.json"
HTTP = GOLDEN / "http-api" / "default" / "trace.json"


def _trace(path: Path) -> Trace:
    return loads(path.read_text(encoding="utf-8"))


def test_step_lines_say_the_step_titles():
    a = _trace(HANDSHAKE)
    first = a.steps[0]
    assert first.title and first.title != first.name
    b = replace(a, steps=(replace(first, packets=first.packets[:-1]), *a.steps[1:]))
    lines = [line for line in tracediff.diff(a, b) if line.startswith("step ")]
    n = len(first.packets)
    assert lines == [f"step {first.title}: {n} -> {n - 1} packets"]


def test_runs_of_different_labs_are_compared_with_a_warning():
    a, b = _trace(HANDSHAKE), _trace(HTTP)
    text = tracediff.render(a, b).splitlines()
    warned = [line for line in text if a.lab in line and b.lab in line and "different labs" in line]
    assert len(warned) == 1
    assert any(line.startswith("  step ") for line in text)  # still compared
    same = tracediff.render(a, a).splitlines()
    assert not any("different labs" in line for line in same)


def test_the_cli_warns_on_stderr_with_json():
    out = subprocess.run(
        [sys.executable, "-m", "tutor.cli", "diff", str(HANDSHAKE), str(HTTP), "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)
    (line,) = out.stderr.strip().splitlines()
    assert "different labs" in line
