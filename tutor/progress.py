"""The learner's progress, saved as they go in one SQLite file.

Where: `$TUTOR_HOME/progress.db`, or platformdirs' user data directory for
"tutor". What: each lesson's status (started / done), every quick-check and
predict answer as it was given, and the last place the learner was.

Every write is its own transaction, committed before the call returns, so a
`kill -9` loses nothing already answered. The schema is versioned with
`PRAGMA user_version`: `MIGRATIONS[n]` brings a database from version n to
n + 1. To add a table (the spaced-repetition review, say), append one SQL
script to `MIGRATIONS`; never edit one that has shipped. Other modules read
and write their own tables through `Store.read` and `Store.write`.

A damaged file is moved aside and a fresh one started, with a one-line
`Store.notice` for the UI or CLI to show.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DB_NAME = "progress.db"

#: SQL scripts, in order: MIGRATIONS[n] takes the schema from version n to n + 1.
#: Append only.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE lesson (
        lesson_id TEXT PRIMARY KEY,
        status TEXT NOT NULL CHECK (status IN ('started', 'done')),
        updated REAL NOT NULL
    );
    CREATE TABLE answer (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        lesson_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('check', 'predict')),
        question INTEGER NOT NULL,
        choice INTEGER NOT NULL,
        correct INTEGER NOT NULL,
        time REAL NOT NULL
    );
    CREATE INDEX answer_lesson ON answer (lesson_id, kind);
    CREATE TABLE position (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        module INTEGER,
        lesson_id TEXT,
        scroll REAL NOT NULL DEFAULT 0,
        updated REAL NOT NULL
    );
    """,
    # 2: the spaced-repetition review deck (see tutor.review).
    """
    CREATE TABLE review_card (
        term_id TEXT PRIMARY KEY,
        card TEXT NOT NULL,
        due REAL NOT NULL,
        source TEXT NOT NULL,
        added REAL NOT NULL
    );
    CREATE INDEX review_card_due ON review_card (due);
    CREATE TABLE review_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        term_id TEXT NOT NULL,
        rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 4),
        time REAL NOT NULL,
        next_due REAL NOT NULL
    );
    """,
]

STARTED, DONE = "started", "done"

#: How a lesson's status looks in the outline (TUI and `tutor lessons`).
MARKS = {DONE: "✓", STARTED: "◐", None: "○"}
UNAVAILABLE_MARK = "✗"


def mark(status: str | None, available: bool = True) -> str:
    return MARKS.get(status, MARKS[None]) if available else UNAVAILABLE_MARK


def needed_to_pass(questions: int) -> int:
    """Right answers needed to pass a quick check: about two thirds, rounded up."""
    return -(-2 * questions // 3)


class StoreError(Exception):
    """The progress file cannot be opened or written; the message says what to do."""


@dataclass(frozen=True)
class Answer:
    """One answer as the learner gave it."""

    lesson_id: str
    kind: str  # "check" | "predict"
    question: int
    choice: int
    correct: bool
    time: float


@dataclass(frozen=True)
class Position:
    """Where the learner was last: which lesson, and how far down it."""

    module: int | None
    lesson_id: str | None
    scroll: float


def home() -> Path:
    """The directory that holds the progress file."""
    env = os.environ.get("TUTOR_HOME")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("tutor", appauthor=False))


def _is_corrupt(err: sqlite3.DatabaseError) -> bool:
    text = str(err).lower()
    return "not a database" in text or "malformed" in text or "corrupt" in text


class Store:
    """The progress database. Open with `Store.open()`; in tests `Store.memory()`."""

    def __init__(self, conn: sqlite3.Connection, path: Path | None, notice: str | None = None):
        self._conn = conn
        self._lock = threading.Lock()
        self.path = path
        #: A one-line message for the learner (a damaged file was replaced), or None.
        self.notice = notice

    # -- opening -----------------------------------------------------------

    @classmethod
    def open(cls, directory: Path | None = None) -> Store:
        """Open (creating if needed) the progress file in `directory` or `home()`.

        Raises StoreError with a one-line message when the place is not writable.
        """
        directory = directory or home()
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise StoreError(_unwritable(directory, err)) from None
        path = directory / DB_NAME
        try:
            return cls(_connect(path), path)
        except sqlite3.DatabaseError as err:
            if not _is_corrupt(err):
                raise StoreError(_unwritable(directory, err)) from None
        aside = _move_aside(path)
        try:
            store = cls(_connect(path), path)
        except sqlite3.DatabaseError as err:
            raise StoreError(_unwritable(directory, err)) from None
        store.notice = (
            f"Your progress file was damaged; it was moved to {aside.name} and a fresh one started."
        )
        return store

    @classmethod
    def memory(cls, notice: str | None = None) -> Store:
        """A store that forgets everything on exit (tests, or when nothing can be saved)."""
        return cls(_connect(":memory:"), None, notice)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # -- generic access, for modules that own their own tables ---------------

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One transaction: committed when the block ends, rolled back on error."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    # -- lessons -------------------------------------------------------------

    def statuses(self) -> dict[str, str]:
        """lesson id -> "started" | "done"."""
        return {r["lesson_id"]: r["status"] for r in self.read("SELECT * FROM lesson")}

    def status(self, lesson_id: str) -> str | None:
        rows = self.read("SELECT status FROM lesson WHERE lesson_id = ?", (lesson_id,))
        return rows[0]["status"] if rows else None

    def mark_started(self, lesson_id: str) -> None:
        """Started, unless it is already done (reading a done lesson again keeps it done)."""
        with self.write() as db:
            db.execute(
                "INSERT INTO lesson VALUES (?, ?, ?) ON CONFLICT (lesson_id) DO NOTHING",
                (lesson_id, STARTED, time.time()),
            )

    def mark_done(self, lesson_id: str) -> None:
        with self.write() as db:
            db.execute(
                "INSERT INTO lesson VALUES (?, ?, ?) ON CONFLICT (lesson_id) "
                "DO UPDATE SET status = excluded.status, updated = excluded.updated",
                (lesson_id, DONE, time.time()),
            )

    # -- answers ---------------------------------------------------------------

    def record_answer(
        self, lesson_id: str, kind: str, question: int, choice: int, correct: bool
    ) -> Answer:
        answer = Answer(lesson_id, kind, question, choice, correct, time.time())
        with self.write() as db:
            db.execute(
                "INSERT INTO answer (lesson_id, kind, question, choice, correct, time) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (lesson_id, kind, question, choice, int(correct), answer.time),
            )
        return answer

    def answers(self, lesson_id: str | None = None, kind: str | None = None) -> list[Answer]:
        """Answers in the order they were given, optionally for one lesson / kind."""
        sql, params = "SELECT * FROM answer WHERE 1", list[str]()
        if lesson_id is not None:
            sql, params = sql + " AND lesson_id = ?", [*params, lesson_id]
        if kind is not None:
            sql, params = sql + " AND kind = ?", [*params, kind]
        return [
            Answer(
                r["lesson_id"], r["kind"], r["question"], r["choice"], bool(r["correct"]), r["time"]
            )
            for r in self.read(sql + " ORDER BY id", params)
        ]

    # -- position --------------------------------------------------------------

    def set_position(self, module: int | None, lesson_id: str | None, scroll: float = 0) -> None:
        with self.write() as db:
            db.execute(
                "INSERT OR REPLACE INTO position VALUES (1, ?, ?, ?, ?)",
                (module, lesson_id, scroll, time.time()),
            )

    def position(self) -> Position | None:
        rows = self.read("SELECT * FROM position WHERE id = 1")
        if not rows:
            return None
        return Position(rows[0]["module"], rows[0]["lesson_id"], rows[0]["scroll"])


def _unwritable(directory: Path, err: Exception) -> str:
    reason = getattr(err, "strerror", None) or str(err)
    return (
        f"cannot save progress in {directory} ({reason}); "
        "set TUTOR_HOME to a directory you can write to."
    )


def _connect(path: Path | str) -> sqlite3.Connection:
    """Connect, check the file really is a database, and migrate it."""
    # isolation_level=None: transactions are explicit (Store.write), nothing is
    # left pending between calls. check_same_thread=False: lab workers record
    # predict answers from their threads; Store serialises with a lock.
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=5)
    conn.row_factory = sqlite3.Row
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        # Reading the schema is what finds garbage bytes or a torn file.
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        _migrate(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def _migrate(conn: sqlite3.Connection) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    for n in range(version, len(MIGRATIONS)):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(MIGRATIONS[n]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {n + 1}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")


def _statements(script: str) -> Iterator[str]:
    # executescript() would commit on its own; split so each migration is one transaction.
    buf = ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                yield buf
            buf = ""
    if buf.strip():
        yield buf


def _move_aside(path: Path) -> Path:
    aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
    n = 1
    while aside.exists():
        n += 1
        aside = aside.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}-{n}")
    path.rename(aside)
    for suffix in ("-wal", "-shm"):
        extra = path.with_name(path.name + suffix)
        if extra.exists():
            extra.rename(aside.with_name(aside.name + suffix))
    return aside


def open_or_memory() -> Store:
    """The progress store; if it cannot be opened, a forgetful one whose
    notice says why (the TUI still works, it just cannot remember)."""
    try:
        return Store.open()
    except StoreError as err:
        return Store.memory(notice=f"Progress will not be saved: {err}")
