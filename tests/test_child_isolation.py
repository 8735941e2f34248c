"""Every Python child the tool starts is isolated from the working directory,
PYTHONPATH and the user's site-packages (issue 16, item 1, made structural):
a `labs/` or `tutor/` planted where the learner stands never runs. Checked
in the source (every `sys.executable` is followed by `-I`) and by running
the namespace agent's real command line from a directory with a trap in it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from labs.netsim import netns

ROOT = Path(__file__).resolve().parents[1]


def _launches() -> list[tuple[Path, int, str]]:
    found = []
    for package in ("labs", "tutor"):
        for path in sorted((ROOT / package).rglob("*.py")):
            lines = path.read_text(encoding="utf-8").splitlines()
            for n, line in enumerate(lines):
                if re.search(r"\bsys\.executable\b", line) and not line.lstrip().startswith("#"):
                    found.append((path, n + 1, " ".join(lines[n : n + 3])))
    return found


def test_every_python_child_starts_isolated():
    launches = _launches()
    assert launches, "the agents and the web sessions start Python children"
    loose = [f"{p.relative_to(ROOT)}:{n}" for p, n, text in launches if '"-I"' not in text]
    assert loose == [], "start Python children with -I (see labs.netsim.netns.agent_argv)"


def _trap(where: Path) -> Path:
    marker = where / "owned"
    for package in ("labs", "labs/netsim", "tutor"):
        (where / package).mkdir(parents=True, exist_ok=True)
        code = f"open({str(marker)!r}, 'w').write('owned')\n"
        (where / package / "__init__.py").write_text(code)
    (where / "labs" / "netsim" / "ns_agent.py").write_text(
        f"open({str(marker)!r}, 'w').write('x')\n"
    )
    return marker


def test_the_agent_command_line_ignores_a_planted_package(tmp_path):
    marker = _trap(tmp_path)
    argv = netns.agent_argv("no-such-command", {})
    # run as `ip netns exec` would: same argv, our pid as the parent, from the trap
    proc = subprocess.run(
        argv,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
    )
    assert not marker.exists(), "a planted labs/ ran"
    assert "no-such-command" in proc.stdout + proc.stderr or proc.returncode != 0


def test_the_agent_exits_when_its_parent_is_not_the_run():
    argv = netns.agent_argv("no-such-command", {})
    # started by a shell instead of by us: the parent check ends it at once
    proc = subprocess.run(
        ["sh", "-c", 'exec "$@" & wait', "sh", *argv], capture_output=True, timeout=30
    )
    assert proc.returncode == 0 and proc.stdout == b""


def test_agent_modules_are_ours_only():
    with pytest.raises(ValueError):
        netns.agent_argv("x", {}, module="os; import evil")
    assert "from labs.netsim.slow_agent import main" in " ".join(
        netns.agent_argv("x", {}, module="labs.netsim.slow_agent")
    )


def test_tutor_from_a_directory_with_a_planted_tutor(tmp_path):
    marker = _trap(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-I", "-m", "tutor", "--version"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 0 and proc.stdout.startswith("tutor ") and not marker.exists()
