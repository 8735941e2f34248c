"""The progress store: what it records, that a kill loses nothing answered,
migrations, a damaged file moved aside, and an unwritable place."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from tutor import progress
from tutor.progress import Position, Store, StoreError, needed_to_pass, open_or_memory


def test_records_statuses_answers_and_position(tutor_home):
    store = Store.open()
    assert store.path == tutor_home / "progress.db"
    store.mark_started("a")
    store.mark_done("b")
    store.mark_started("b")  # reading a done lesson again keeps it done
    store.record_answer("a", "check", 0, 2, False)
    store.record_answer("a", "check", 0, 1, True)
    store.record_answer("b", "predict", 1, 3, True)
    store.set_position(4, "a", 12.0)
    store.close()

    again = Store.open()
    assert again.statuses() == {"a": "started", "b": "done"}
    assert [(x.question, x.choice, x.correct) for x in again.answers("a")] == [
        (0, 2, False),
        (0, 1, True),
    ]
    assert [x.kind for x in again.answers(kind="predict")] == ["predict"]
    assert again.position() == Position(4, "a", 12.0)
    assert again.notice is None


def test_an_answer_survives_kill_9(tutor_home):
    # The child records an answer, then kills itself before any clean-up.
    code = (
        "import os, signal\n"
        "from tutor.progress import Store\n"
        "s = Store.open()\n"
        "s.record_answer('tcp-handshake', 'check', 2, 1, True)\n"
        "s.mark_done('tcp-handshake')\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True)
    assert result.returncode == -9
    store = Store.open()
    assert [(a.question, a.choice) for a in store.answers("tcp-handshake")] == [(2, 1)]
    assert store.status("tcp-handshake") == "done"


def test_schema_is_versioned_and_a_new_migration_applies_once(tutor_home, monkeypatch):
    Store.open().mark_done("kept")
    db = sqlite3.connect(tutor_home / "progress.db")
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(progress.MIGRATIONS)
    db.close()

    extra = "CREATE TABLE review_test (term_id TEXT PRIMARY KEY, due REAL NOT NULL);"
    monkeypatch.setattr(progress, "MIGRATIONS", [*progress.MIGRATIONS, extra])
    store = Store.open()
    with store.write() as conn:
        conn.execute("INSERT INTO review_test VALUES ('tcp', 1.0)")
    store.close()
    store = Store.open()  # a second open must not run it again
    assert [tuple(r) for r in store.read("SELECT * FROM review_test")] == [("tcp", 1.0)]
    assert store.status("kept") == "done"
    assert store.read("PRAGMA user_version")[0][0] == len(progress.MIGRATIONS)


def test_a_failed_write_is_rolled_back(tutor_home):
    store = Store.open()
    with pytest.raises(sqlite3.IntegrityError), store.write() as db:
        db.execute("INSERT INTO lesson VALUES ('x', 'started', 0)")
        db.execute("INSERT INTO lesson VALUES ('x', 'started', 0)")
    assert store.statuses() == {}
    store.mark_done("y")  # and the store still works
    assert store.statuses() == {"y": "done"}


def test_a_damaged_file_is_moved_aside_and_a_fresh_one_started(tutor_home):
    tutor_home.mkdir()
    garbage = b"this is not a database\x00\xff" * 500
    (tutor_home / "progress.db").write_bytes(garbage)
    store = Store.open()
    aside = [p for p in tutor_home.iterdir() if p.name.startswith("progress.db.corrupt-")]
    assert len(aside) == 1 and aside[0].read_bytes() == garbage
    assert store.notice is not None and "\n" not in store.notice
    assert "damaged" in store.notice and aside[0].name in store.notice
    store.mark_done("after")
    assert Store.open().statuses() == {"after": "done"}


def test_an_unwritable_place_is_one_clear_line(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("TUTOR_HOME", str(blocker / "tutor"))
    with pytest.raises(StoreError) as err:
        Store.open()
    message = str(err.value)
    assert "\n" not in message and "TUTOR_HOME" in message and str(blocker) in message
    # The app still starts, forgetting instead of failing, and says so.
    store = open_or_memory()
    assert store.path is None and store.notice and "will not be saved" in store.notice
    store.mark_done("x")
    assert store.statuses() == {"x": "done"}


def test_tutor_home_overrides_the_user_data_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("TUTOR_HOME", str(tmp_path / "elsewhere"))
    assert progress.home() == tmp_path / "elsewhere"
    monkeypatch.delenv("TUTOR_HOME")
    assert progress.home().name == "tutor"


@pytest.mark.parametrize(("questions", "needed"), [(1, 1), (3, 2), (4, 3), (5, 4), (6, 4)])
def test_pass_mark_is_about_two_thirds(questions, needed):
    assert needed_to_pass(questions) == needed
