"""The progress database's schema, as the migrations that build it (see
`tutor.progress`): append a script to add tables; never edit one that shipped."""

from __future__ import annotations

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
    # 3: incident drills played (see tutor.progress_drill).
    """
    CREATE TABLE drill_run (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        drill_id TEXT NOT NULL,
        seed INTEGER NOT NULL,
        mode TEXT NOT NULL CHECK (mode IN ('live', 'simulated')),
        started REAL NOT NULL,
        seconds REAL NOT NULL,
        hints INTEGER NOT NULL,
        layer_ok INTEGER NOT NULL,
        fault_ok INTEGER NOT NULL,
        call_ok INTEGER NOT NULL,
        correct INTEGER NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        time REAL NOT NULL
    );
    CREATE INDEX drill_run_drill ON drill_run (drill_id);
    """,
]
