"""The web-app-db lab's run: a client, a web application and a real
PostgreSQL server, both hops captured.

Without a target the lab starts PostgreSQL (`pg.PgServer`), loads the shop's
sample data and starts the web application (`app.ShopApp`), then asks for
the same customer page built two ways (N+1 queries, one JOIN), built on a
new database connection instead of the pooled one, and a shipment looked up
before and after an index exists (EXPLAIN ANALYZE of both, off the wire).
With `--sql` it runs only those queries, straight to the database as a
report would. With `--target postgresql://...` it does that against the
learner's own database on this machine (a short tour when no `--sql`).
"""

from __future__ import annotations

import os
import secrets
from contextlib import ExitStack
from typing import Any

from labs.kit import Capture, LabContext, LabError, LabRequest, Plan, Recording, capture_run

from .app import SHIPMENT_SQL, ShopApp
from .explain import explain
from .pg import PgServer, cleanup_leftovers
from .result import DbResult, Page, QueryResult
from .shop import DATABASE, INDEX, READER, TRACKING, load
from .target import PASSWORD_ENV, Target, parse_target

# `cleanup_leftovers` is exported for `tutor doctor --cleanup`: the servers and
# files of runs killed with -9.
__all__ = ["RESULT", "cleanup_leftovers", "explain", "record"]

LAB = "web-app-db"
RESULT = DbResult

#: The pages, in order: (label, path, what the client is doing).
PAGES = (
    ("n+1", "/customers/naive", "the customer page, built with one query per customer (N+1)"),
    ("join", "/customers", "the same page, built with one JOIN"),
    ("new-connection", "/customers?pool=off", "the same page on a new database connection"),
    ("scan", f"/shipments/{TRACKING}", "a shipment looked up with no index: a full scan"),
    ("index", f"/shipments/{TRACKING}", "the same lookup once an index exists"),
)

#: What the lab asks a database of the learner's when given no --sql.
TOUR = (
    "SELECT version()",
    "SELECT current_database(), current_user",
    "SELECT relname, n_live_tup FROM pg_stat_user_tables ORDER BY n_live_tup DESC LIMIT 5",
)


def record(request: LabRequest, ctx: LabContext) -> Recording[DbResult]:
    sqls: tuple[str, ...] = tuple(request.option("sql"))
    target = parse_target(request.target) if request.target else None
    # Filled by `setup` for `converse`.
    held: dict[str, Any] = {}

    def setup(stack: ExitStack) -> Plan:
        if target is not None:
            return Plan(target.shown, (target.port,), host=target.host)
        ctx.say("Starting PostgreSQL on 127.0.0.1 (a real server, from the pgserver package) ...")
        pg = held["pg"] = stack.enter_context(PgServer())
        held["reader"] = secrets.token_hex(16)
        app_password = secrets.token_hex(16)
        ctx.say("Loading the shop's sample data ...")
        admin = pg.admin()
        try:
            load(pg.admin, admin, app_password, held["reader"])
        finally:
            admin.close()
        ctx.check()
        if sqls:
            return Plan(f"postgresql://{READER}@127.0.0.1:{pg.port}/{DATABASE}", (pg.port,))
        app = held["app"] = stack.enter_context(ShopApp(pg.port, app_password, request.timeout))
        return Plan(f"http://127.0.0.1:{app.port}/customers", (app.port, pg.port))

    def converse(cap: Capture, plan: Plan) -> DbResult:
        ctx.say(f"Capturing ({cap.kind}) both hops ...")
        if target is not None:
            rows = _report(cap, ctx, target, sqls or TOUR, request.timeout)
            return DbResult(0, target.port, queries=rows, theirs=True)
        pg: PgServer = held["pg"]
        if sqls:
            mine = Target(READER, held["reader"], "127.0.0.1", pg.port, DATABASE, plan.target)
            return DbResult(0, pg.port, queries=_report(cap, ctx, mine, sqls, request.timeout))
        return _pages(cap, ctx, held["app"], pg, request.timeout)

    return capture_run(ctx, LAB, setup, converse)


def _pages(cap: Capture, ctx: LabContext, app: ShopApp, pg: PgServer, timeout: float) -> DbResult:
    import requests

    where = ("127.0.0.1", pg.port)
    ctx.say("The web application connects to its database (its connection pool) ...")
    with _db_errors(f"127.0.0.1:{pg.port}", timeout):
        app.open_pool(lambda: cap.create_connection(where, timeout, conversation="database"))
    pages: list[Page] = []
    plans: list[str] = []
    session = requests.Session()
    adapter = cap.requests_adapter()
    session.mount("http://", adapter)
    try:
        for label, path, doing in PAGES:
            ctx.check()
            if label == "scan":
                plans.append(_explain(pg))
            if label == "index":
                ctx.say("Creating an index on shipments.tracking (off the wire) ...")
                _admin_run(pg, INDEX, "ANALYZE shipments")
                plans.append(_explain(pg))
            ctx.say(f"GET {path}: {doing} ...")
            try:
                answer = session.get(f"http://127.0.0.1:{app.port}{path}", timeout=timeout)
            except requests.RequestException as exc:
                raise LabError(f"The web application did not answer {path}: {exc}") from None
            if answer.status_code != 200:
                raise LabError(f"The web application answered {path} with {answer.status_code}.")
            pages.append(Page(label, path, answer.status_code))
    finally:
        # Hang up both hops now, so their closing handshakes are captured.
        session.close()
        app.close_pool()
    ctx.say("Waiting for the connections to close ...")
    return DbResult(app.port, pg.port, tuple(pages), tuple(plans))


def _admin_run(pg: PgServer, *statements: str) -> list[Any]:
    db = pg.admin(DATABASE)
    try:
        return [db.run(s) for s in statements]
    finally:
        db.close()


def _explain(pg: PgServer) -> str:
    """The plan and the server's own timing of the lookup (over the Unix socket)."""
    sql = SHIPMENT_SQL.format(tracking=TRACKING)
    (rows,) = _admin_run(pg, f"EXPLAIN (ANALYZE, COSTS OFF) {sql}")
    return "\n".join(str(r[0]) for r in rows)


def _report(
    cap: Capture, ctx: LabContext, target: Target, sqls: tuple[str, ...], timeout: float
) -> tuple[QueryResult, ...]:
    """Run `sqls` on one connection, read-only, the way a reporting tool would."""
    import pg8000.native
    from pg8000.exceptions import DatabaseError, InterfaceError

    where = f"{target.host}:{target.port}"
    ctx.say(f"Connecting to {target.shown} ...")
    out: list[QueryResult] = []
    with _db_errors(where, timeout):
        sock = cap.create_connection((target.host, target.port), timeout, conversation="database")
        try:
            db = pg8000.native.Connection(
                target.user,
                database=target.database,
                password=target.password or os.environ.get(PASSWORD_ENV) or None,
                sock=sock,
                ssl_context=False,
                timeout=timeout,
            )
        except (DatabaseError, InterfaceError) as exc:
            sock.close()
            raise LabError(f"{where} refused the session: {_message(exc)}") from None
        try:
            db.run("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            for sql in sqls:
                ctx.check()
                ctx.say(f"Running: {sql[:60]}")
                try:
                    rows = db.run(sql)
                except DatabaseError as exc:
                    out.append(QueryResult(sql, (), (), _message(exc)))
                    continue
                columns = tuple(str(c["name"]) for c in db.columns or ())
                values = tuple(tuple(_text(v) for v in row) for row in rows or ())
                out.append(QueryResult(sql, columns, values))
        finally:
            db.close()
    return tuple(out)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _message(exc: Exception) -> str:
    info = exc.args[0] if exc.args else exc
    if isinstance(info, dict):
        return str(info.get("M", info))
    return str(info)


def _db_errors(where: str, timeout: float) -> Any:
    from labs.kit import network_errors

    return network_errors(
        where,
        timeout,
        refused_hint="Is PostgreSQL listening there? Check the port, or run without --target.",
    )
