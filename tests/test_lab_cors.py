"""The cors lab against real servers: its own page and API in headless
Chromium (the preflight is the browser's own) and without a browser (tutor
stands in, and says so), in both capture modes; a second API on 127.0.0.1
that knows nothing of CORS as --target; every Wireshark field against tshark."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from apilabs import TSHARK, check_with_tshark
from labrun import run

from labs.api import BadInput, LabError
from labs.catalog.cors import leftovers
from labs.catalog.http_api.server import ApiServer

CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="needs Debian's chromium (`make test` installs it as root)"
)
FACTS = {
    "preflight_method": "OPTIONS",
    "simple_get_preflight": "no",
    "blocked_but_received": "yes",
    "delete_sent": "no",
}


@pytest.fixture
def own_tmp(monkeypatch) -> Iterator[Path]:
    """A fresh, empty TMPDIR for this test's run (and the browser's): what is
    left in it afterwards, the lab left behind. Short, unlike tmp_path: the
    browser's socket path must fit in 107 bytes."""
    tmp = Path(tempfile.mkdtemp(prefix="cors-"))
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR; restored afterwards
    yield tmp
    shutil.rmtree(tmp, ignore_errors=True)


def verdicts(trace: Any) -> list[str]:
    table = next(s for s in trace.sections if s.title.startswith("Each call"))
    return [row.split("\t")[2] for row in table.body.splitlines()[1:]]


@needs_chromium
def test_in_chromium(mode, own_tmp) -> None:
    trace = run("cors")
    # Nothing left behind, not even Chromium's own org.chromium.Chromium.* singleton directory.
    assert tempfile.gettempdir() == str(own_tmp) and list(own_tmp.iterdir()) == []
    assert trace.capture == mode
    assert {f.name: f.value for f in trace.facts} == FACTS
    assert verdicts(trace) == [
        "status 200",
        "status 201",
        "blocked (TypeError)",
        "blocked (TypeError)",
    ]
    table = next(s for s in trace.sections if s.title.startswith("Each call")).body
    # The browser's own words for each block, from its console.
    assert table.count("Chromium: Access to fetch at") == 2
    assert "No browser ran" not in trace.capture_note
    methods = [
        p.field("http.request.method").value
        for p in trace.packets
        if p.field("http.request.method")
    ]
    assert "DELETE" not in methods and methods.count("OPTIONS") == 2
    pre = next(
        p
        for p in trace.packets
        if p.field("http.request.method") and p.field("http.request.method").value == "OPTIONS"
    )
    assert "Chrome/" in pre.field("http.user_agent").value
    # Each request's steps are titled by that request (its connection carries several).
    for st in trace.steps:
        for p in (trace.packets[i] for i in st.packets):
            if p.field("http.request.method"):
                said = (
                    f"({p.field('http.request.method').value} {p.field('http.request.uri').value})"
                )
                assert st.title.endswith(said), (st.title, said)
    titles = [st.title for st in trace.steps]
    assert any(t.endswith("(GET /api/orders)") for t in titles)
    assert any(t.endswith("(OPTIONS /api/orders)") for t in titles)


@needs_chromium
def test_a_temp_dir_too_long_for_chromium_is_one_line(tmp_path, monkeypatch, reconstructed):
    # Chromium itself would abort (its singleton socket's path is too long).
    monkeypatch.setenv("TMPDIR", str(tmp_path / ("x" * 60)))
    monkeypatch.setattr(tempfile, "tempdir", None)
    (tmp_path / ("x" * 60)).mkdir()
    with pytest.raises(LabError, match="too long for Chromium's socket") as err:
        run("cors")
    assert "\n" not in str(err.value) and "--no-browser" in err.value.hint
    assert list((tmp_path / ("x" * 60)).iterdir()) == []


def test_without_a_browser_says_so(mode) -> None:
    trace = run("cors", no_browser=True)
    assert {f.name: f.value for f in trace.facts} == FACTS
    assert "No browser ran" in trace.capture_note and "tutor" in trace.capture_note
    assert any("tutor standing in" in s.title for s in trace.sections)
    assert verdicts(trace) == [
        "status 200",
        "status 201",
        "blocked (TypeError)",
        "blocked (TypeError)",
    ]


@pytest.mark.skipif(TSHARK is None, reason="tshark is not installed")
@pytest.mark.parametrize("browser", [pytest.param(True, marks=needs_chromium), False])
def test_every_field_equals_tsharks(browser, tmp_path) -> None:
    trace = run("cors", no_browser=not browser)
    port = int(trace.packets[0].dst.rpartition(":")[2])
    assert check_with_tshark(trace, tmp_path, (port,)) > 50


@pytest.fixture
def no_cors_api() -> Iterator[str]:
    with ApiServer() as api:
        yield api.url("/orders")


def test_your_api_without_cors_headers(no_cors_api) -> None:
    trace = run("cors", target=no_cors_api, no_browser=True)
    assert verdicts(trace) == ["blocked (TypeError)", "blocked (TypeError)"]
    assert {f.name: f.value for f in trace.facts}["preflight_method"] == "OPTIONS"


@needs_chromium
@pytest.mark.needs_root
def test_your_api_in_chromium_live(no_cors_api, monkeypatch) -> None:
    monkeypatch.setenv("TUTOR_CAPTURE", "live")
    trace = run("cors", target=no_cors_api)
    assert verdicts(trace) == ["blocked (TypeError)", "blocked (TypeError)"]
    # The GET went out (no preflight) and was answered, though the script saw nothing.
    codes = [
        p.field("http.response.code").value for p in trace.packets if p.field("http.response.code")
    ]
    assert codes[0] == "401"


@needs_chromium
def test_your_api_in_chromium_reconstructed_is_one_line(no_cors_api, reconstructed) -> None:
    with pytest.raises(LabError, match="only be captured live"):
        run("cors", target=no_cors_api)


@pytest.mark.parametrize(
    "target, why",
    [("http://203.0.113.5/api", "only an API on this machine"), ("file:///x", "speaks HTTP")],
)
def test_bad_targets_are_one_line(target, why) -> None:
    with pytest.raises(BadInput, match=why):
        run("cors", target=target)


def _chromium_groups(folder: Path) -> set[int]:
    """The process groups of Chromium processes whose command line names `folder`."""
    groups = set()
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and str(folder).encode() in (entry / "cmdline").read_bytes():
                groups.add(os.getpgid(int(entry.name)))
        except OSError:
            continue
    return groups


@pytest.mark.kills_runs
@needs_chromium
def test_sigkill_leaves_a_browser_and_folder_that_doctor_removes(own_tmp) -> None:
    env = {**os.environ, "TUTOR_HOME": str(own_tmp / "home"), "TUTOR_CAPTURE": "reconstructed"}
    proc = subprocess.Popen(
        [sys.executable, "-I", "-m", "tutor", "lab", "run", "cors"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while not (found := sorted(own_tmp.glob("tutor-cors-*/org.chromium.Chromium.*"))):
            assert time.monotonic() < deadline and proc.poll() is None, "Chromium never started"
            time.sleep(0.005)
        folder = found[0].parent
        assert folder.name.startswith(f"tutor-cors-{proc.pid}-")
        assert all(owner != proc.pid for _, owner, _ in leftovers.orphans())  # a live run's
        proc.kill()
        proc.wait(10)
        assert folder.is_dir() and _chromium_groups(folder)  # the browser outlives its run
        doctor = subprocess.run(
            [sys.executable, "-I", "-m", "tutor", "doctor", "--cleanup"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert doctor.returncode == 0, doctor.stderr
        assert f"left by cors run {proc.pid}" in doctor.stdout, doctor.stdout
        assert not folder.exists()
        deadline = time.monotonic() + 5
        while _chromium_groups(folder) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _chromium_groups(folder)
    finally:
        proc.kill()
        proc.wait(10)
        for group in _chromium_groups(own_tmp):
            os.killpg(group, signal.SIGKILL)
