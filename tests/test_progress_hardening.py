"""The progress database under a hostile or unlucky machine (issue 16,
items 3, 4 and 7): a newer schema, a version whose tables are missing, four
tutors opening a new file at once, a full disk, the umask, a planted symlink."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import subprocess
import sys
import time

import pytest

from tutor import progress
from tutor.progress import Store, StoreError, open_or_memory


def _tutor(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tutor", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        stdin=subprocess.DEVNULL,
    )


def _newer(home) -> str:
    home.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(home / "progress.db")
    db.execute("CREATE TABLE future (x)")
    db.execute("PRAGMA user_version = 99")
    db.commit()
    db.close()
    return hashlib.sha256((home / "progress.db").read_bytes()).hexdigest()


def test_a_newer_schema_is_refused_in_one_line_and_left_untouched(tutor_home):
    before = _newer(tutor_home)
    with pytest.raises(StoreError, match=r"newer tutor \(schema 99, this one knows 3\)"):
        Store.open()
    lessons = _tutor("lessons")
    assert lessons.returncode == 0 and "Traceback" not in lessons.stderr
    assert lessons.stderr.count("\n") == 1 and "newer tutor" in lessons.stderr
    review = _tutor("glossary", "--review")
    assert review.returncode == 1 and "Traceback" not in review.stderr
    assert review.stderr.count("\n") == 1 and "newer tutor" in review.stderr
    assert hashlib.sha256((tutor_home / "progress.db").read_bytes()).hexdigest() == before
    memory = open_or_memory()
    assert memory.path is None and "newer tutor" in (memory.notice or "")


def test_a_version_without_its_tables_is_moved_aside(tutor_home):
    tutor_home.mkdir()
    db = sqlite3.connect(tutor_home / "progress.db")
    db.execute("PRAGMA user_version = 2")
    db.close()
    for args in (("lessons",), ("glossary", "--review")):
        proc = _tutor(*args)
        assert "Traceback" not in proc.stderr and "OperationalError" not in proc.stderr
    store = Store.open()
    store.mark_done("a")
    assert store.statuses() == {"a": "done"}
    assert any(p.name.startswith("progress.db.corrupt-") for p in tutor_home.iterdir())


def test_four_tutors_opening_a_new_file_at_once(tmp_path):
    """The migration reads the version inside its own transaction."""
    code = (
        "import sys, time; from pathlib import Path; from tutor.progress import Store\n"
        "start = float(sys.argv[2])\n"
        "while time.time() < start: pass\n"
        "s = Store.open(Path(sys.argv[1])); s.mark_started('x'); print(s.notice or 'ok')\n"
    )
    failures = []
    for round_ in range(8):
        home = tmp_path / f"h{round_}"
        start = f"{time.time() + 0.4:.3f}"
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", code, str(home), start],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(4)
        ]
        for p in procs:
            out, err = p.communicate(timeout=60)
            if p.returncode or out.strip() != "ok":
                failures.append(err.strip().splitlines()[-1:] or out)
    assert failures == []


def test_a_full_disk_does_not_stop_the_learner(tutor_home):
    store = Store.open()
    told: list[str] = []
    store.on_problem = told.append
    pages = store.read("PRAGMA page_count")[0][0]
    store.read(f"PRAGMA max_page_count = {pages}")  # every new page now fails: SQLITE_FULL
    for i in range(200):
        store.mark_started(f"lesson-{i}" + "x" * 400)
        store.record_answer(f"lesson-{i}", "check", 0, 1, True)
    assert len(told) == 1 and "database or disk is full" in told[0]
    assert store.problem == store.notice == told[0]
    store.set_position(1, "lesson-0")  # still no exception; what fitted is kept
    assert len(store.statuses()) < 200


def test_files_are_private_whatever_the_umask(tmp_path):
    home = tmp_path / "new" / "home"
    old = os.umask(0o022)
    try:
        store = Store.open(home)
        store.mark_done("a")
    finally:
        os.umask(old)
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    for name in ("progress.db", "progress.db-wal", "progress.db-shm"):
        assert stat.S_IMODE((home / name).stat().st_mode) == 0o600, name
    store.close()


def test_an_old_file_is_made_private(tutor_home):
    tutor_home.mkdir()
    (tutor_home / "progress.db").touch(mode=0o644)
    os.chmod(tutor_home / "progress.db", 0o644)
    Store.open().close()
    assert stat.S_IMODE((tutor_home / "progress.db").stat().st_mode) == 0o600


def test_a_planted_symlink_is_not_followed(tutor_home, tmp_path):
    tutor_home.mkdir()
    victim = tmp_path / "victim"
    victim.write_text("precious")
    (tutor_home / "progress.db").symlink_to(victim)
    with pytest.raises(StoreError, match="cannot save progress"):
        Store.open()
    assert victim.read_text() == "precious"


def test_the_schema_module_is_the_one_progress_uses():
    from tutor import progress_schema

    assert progress.MIGRATIONS is progress_schema.MIGRATIONS and len(progress.MIGRATIONS) == 3


async def test_the_tui_keeps_going_on_a_full_disk_and_says_so(tutor_home):
    from tutor.app import make_app

    store = Store.open()
    app = make_app(store=store)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        pages = store.read("PRAGMA page_count")[0][0]
        store.read(f"PRAGMA max_page_count = {pages}")
        for i in range(100):
            store.mark_started(f"lesson-{i}" + "x" * 400)  # what a lesson screen does
        await pilot.pause()
        texts = [n.message for n in app._notifications]
        assert any("database or disk is full" in t for t in texts), texts
        assert app.is_running
