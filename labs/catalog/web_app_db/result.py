"""What the web-app-db lab's explanation needs besides the packets."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    """One page the client asked the web application for."""

    #: What the page shows in the lesson: "n+1", "join", "new-connection", "scan", "index".
    label: str
    path: str
    status: int


@dataclass(frozen=True)
class QueryResult:
    """One query run as a report would, and the rows it returned (values as text)."""

    sql: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str | None, ...], ...]
    error: str = ""


@dataclass(frozen=True)
class DbResult:
    """The ports of both hops, the pages asked for, the EXPLAIN output around
    the index, and the rows of the learner's own queries."""

    #: The web application's port (0: no app, only the database was queried).
    http_port: int
    db_port: int
    pages: tuple[Page, ...] = ()
    #: EXPLAIN ANALYZE of the shipment lookup without, then with, the index.
    plans: tuple[str, ...] = ()
    queries: tuple[QueryResult, ...] = ()
    #: True when the database was the learner's own (--target).
    theirs: bool = False
