"""The learner's progress, saved as they go in one SQLite file.

Where: `$TUTOR_HOME/progress.db`, or platformdirs' user data directory for
"tutor". What: each lesson's status (started / done), every quick-check and
predict answer as it was given, and the last place the learner was.

Every write is its own transaction, committed before the call returns, so a
`kill -9` loses nothing already answered. The schema is versioned with
`PRAGMA user_version`: `MIGRATIONS[n]` (in `tutor.progress_schema`) brings a database from version n to
n + 1. To add a table (the spaced-repetition review, say), append one SQL
script to `MIGRATIONS`; never edit one that has shipped. Other modules read
and write their own tables through `Store.read` and `Store.write`.

A damaged file is moved aside and a fresh one started, with a one-line
`Store.notice` for the UI or CLI to show.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tutor.progress_schema import MIGRATIONS

DB_NAME = "progress.db"

STARTED, DONE = "started", "done"

#: How a lesson's status looks in the outline (TUI and `tutor lessons`).
MARKS = {DONE: "✓", STARTED: "◐", None: "○"}
UNAVAILABLE_MARK = "✗"


def mark(status: str | None, available: bool = True) -> str:
    return MARKS.get(status, MARKS[None]) if available else UNAVAILABLE_MARK


def needed_to_pass(questions: int) -> int:
    """Right answers needed to pass a quick check: about two thirds, rounded up."""
    return -(-2 * questions // 3)


#: SQLite's primary result codes for "the file cannot take this write now":
#: PERM, BUSY, LOCKED, READONLY, IOERR, FULL, CANTOPEN.
_CANNOT_WRITE = {3, 5, 6, 8, 10, 13, 14}


class StoreError(Exception):
    """The progress file cannot be opened or written; the message says what to do."""


class NewerSchema(Exception):
    """The file was saved by a newer tutor: it is refused, and left as it is."""


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
        #: Set when a write failed (disk full, ...): what to tell the learner.
        self.problem: str | None = None
        #: Called once, with `problem`, when writing first fails (the UI shows it).
        self.on_problem: Callable[[str], object] | None = None

    # -- opening -----------------------------------------------------------

    @classmethod
    def open(cls, directory: Path | None = None) -> Store:
        """Open (creating if needed) the progress file in `directory` or `home()`.

        Raises StoreError with a one-line message when the place is not
        writable, or the file was saved by a newer tutor (left untouched).
        """
        ours = directory is None and not os.environ.get("TUTOR_HOME")
        directory = directory or home()
        try:
            # 0700: the answers and the review deck are the learner's alone.
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            if ours and directory.stat().st_mode & 0o077:
                directory.chmod(0o700)  # the default place, made by an older tutor
            path = directory / DB_NAME
            _private_file(path)
        except OSError as err:
            raise StoreError(_unwritable(directory, err)) from None
        try:
            return cls(_connect(path), path)
        except NewerSchema as err:
            raise StoreError(str(err)) from None
        except sqlite3.DatabaseError as err:
            if not _is_corrupt(err):
                raise StoreError(_unwritable(directory, err)) from None
        aside = _move_aside(path)
        try:
            _private_file(path)
            store = cls(_connect(path), path)
        except (OSError, sqlite3.DatabaseError) as err:
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
        """One transaction: committed when the block ends, rolled back on error.

        When the file cannot take the write (disk full, read-only, locked
        past the timeout) the transaction is rolled back and the error is
        not raised: the learner keeps going, told once through `notice`
        and `on_problem` that progress is not being saved."""
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self._conn
                except BaseException:
                    if self._conn.in_transaction:
                        self._conn.execute("ROLLBACK")
                    raise
                self._conn.execute("COMMIT")
            except sqlite3.OperationalError as err:
                if (getattr(err, "sqlite_errorcode", 0) & 0xFF) not in _CANNOT_WRITE:
                    raise  # a mistake in the SQL, not the machine: let it show
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                self._not_saved(err)

    def _not_saved(self, err: sqlite3.Error) -> None:
        first = self.problem is None
        where = self.path.parent if self.path else "memory"
        self.problem = f"Progress is not being saved: {err} (in {where})."
        self.notice = self.problem
        if first and self.on_problem is not None:
            self.on_problem(self.problem)

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


def _private_file(path: Path) -> None:
    """Create the database file 0600 before SQLite does (it would follow the
    umask); its -wal and -shm files take the same mode. Never through a
    symlink planted at its name."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # a file an older tutor made under a looser umask
    finally:
        os.close(fd)


def _connect(path: Path | str) -> sqlite3.Connection:
    """Connect, check the file really is a database, and migrate it."""
    # isolation_level=None: transactions are explicit (Store.write), nothing is
    # left pending between calls. check_same_thread=False: lab workers record
    # predict answers from their threads; Store serialises with a lock.
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=5)
    conn.row_factory = sqlite3.Row
    try:
        # Reading the schema is what finds garbage bytes or a torn file; a
        # newer schema is refused before anything is written to it.
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        _refuse_newer(conn.execute("PRAGMA user_version").fetchone()[0])
        _set_up(conn)
        _check_tables(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def _set_up(conn: sqlite3.Connection) -> None:
    """WAL mode and the migration. Switching to WAL and the first write can
    be refused at once with "database is locked" while another tutor opens
    the same new file (SQLite skips its busy wait where waiting could
    deadlock), so the set-up is tried again for a few seconds."""
    for attempt in range(60):
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            _migrate(conn)
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or attempt == 59:
                raise
            time.sleep(0.05 + 0.05 * (attempt % 4))


def _refuse_newer(version: int) -> None:
    if version > len(MIGRATIONS):
        raise NewerSchema(
            f"the progress file was saved by a newer tutor (schema {version}, this one knows "
            f"{len(MIGRATIONS)}); it is left as it is. Update tutor, or set TUTOR_HOME to "
            "use another directory."
        )


def _migrate(conn: sqlite3.Connection) -> None:
    """Bring the schema up to date in one transaction. The version is read
    inside it: two tutors opening a new file at once must not both migrate
    (the second waits for the first, then finds nothing left to do)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        _refuse_newer(version)
        for n in range(version, len(MIGRATIONS)):
            for statement in _statements(MIGRATIONS[n]):
                conn.execute(statement)
        if version < len(MIGRATIONS):
            conn.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _check_tables(conn: sqlite3.Connection) -> None:
    """A file whose version promises tables it lacks is damaged (moved aside)."""
    want = set(re.findall(r"CREATE TABLE (\w+)", "".join(MIGRATIONS)))
    have = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if want - have:
        raise sqlite3.DatabaseError(f"malformed: tables {sorted(want - have)} are missing")


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
