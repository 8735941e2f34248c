"""A new lab is one folder: the example in tests/data/new_lab (spec, run,
explain: about 120 lines) is copied into a temporary catalog named by
TUTOR_LAB_PATH, and with no edit anywhere else it is listed, runs from the
CLI with its own option as a flag, and shows in the TUI with that option's
control."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from textual.widgets import Input, OptionList

import labs.catalog
from labs import registry
from tutor.app import make_app
from tutor.content import load_course
from tutor.progress import Store
from tutor.screens.lab import LabScreen
from tutor.screens.lab_list import LabListScreen

EXAMPLE = Path(__file__).parent / "data" / "new_lab" / "hello_udp"


@pytest.fixture
def catalog(tmp_path, monkeypatch):
    """A catalog of one's own holding just the example lab's folder."""
    root = tmp_path / "my-labs"
    shutil.copytree(EXAMPLE, root / "hello_udp")
    os.chmod(root, 0o755)
    monkeypatch.setenv(registry.LAB_PATH_ENV, str(root))
    path = list(labs.catalog.__path__)
    registry.specs.cache_clear()
    yield root
    labs.catalog.__path__[:] = path
    registry.specs.cache_clear()


def tutor(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tutor", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env={**os.environ, "TUTOR_CAPTURE": "reconstructed"},
    )


def test_the_new_lab_is_listed_and_runs_with_its_own_flag(catalog, tmp_path):
    listed = tutor("lab", "list", "--json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    lab = next(x for x in json.loads(listed.stdout) if x["id"] == "hello-udp")
    assert lab["options"] == ["greeting"] and lab["version"] == "reconstructed"

    helped = tutor("lab", "run", "--help", cwd=tmp_path)
    assert "--greeting TEXT" in helped.stdout and "hello-udp: what to send" in helped.stdout

    ran = tutor("lab", "run", "hello-udp", "--greeting", "hi there", "--json", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    trace = json.loads(ran.stdout)
    assert trace["lab"] == "hello-udp" and trace["capture"] == "reconstructed"
    assert [p["summary"].split()[0] for p in trace["packets"]] == ["UDP", "UDP"]
    said = next(s for s in trace["sections"] if s["title"] == "What the server said")
    assert said["body"] == "hi there"
    assert bytes.fromhex(trace["packets"][0]["hex"]).endswith(b"hi there")

    other = tutor("lab", "run", "dns", "--greeting", "hi", cwd=tmp_path)
    assert other.returncode == 2
    assert "does not take --greeting" in other.stderr


async def test_the_new_lab_shows_in_the_tui_with_its_option(catalog, monkeypatch):
    monkeypatch.setenv("TUTOR_CAPTURE", "reconstructed")
    app = make_app(load_course(), Store.memory())
    async with app.run_test(size=(120, 36)) as pilot:
        app.push_screen(LabListScreen())
        await pilot.pause()
        ids = [o.id for o in app.screen.query_one("#labs", OptionList).options]
        assert "hello-udp" in ids
        screen = LabScreen("hello-udp")
        app.push_screen(screen)
        await pilot.pause()
        box = screen.query_one("#opt-greeting", Input)
        assert box.placeholder == "what to send"
        box.value = "from the screen"
        screen.action_run()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.trace is not None
        assert any(s.body == "from the screen" for s in screen.trace.sections)
