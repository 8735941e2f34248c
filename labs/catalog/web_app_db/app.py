"""The lab's web application: a small real shop back end on 127.0.0.1.

A browser (here, the lab's client) asks it for pages over HTTP; to build
each page it asks its PostgreSQL database over another TCP connection. It
serves the same customer page two ways (one query per customer, the N+1
pattern, and one JOIN), can take a pooled connection or open a new one per
request, and looks shipments up by tracking number.

The queries are sent as simple-protocol text (`run` without parameters):
the SQL reads on the wire exactly as written here. The values put into SQL
are the database's own integers and a tracking number checked against a
pattern, so no learner text ever becomes SQL in the app.
"""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Callable
from decimal import Decimal
from http.server import BaseHTTPRequestHandler
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from labs.kit.serve import LabHTTPServer

from .shop import APP_USER, DATABASE

#: The page's SQL, as the lessons quote it.
CUSTOMERS_SQL = "SELECT id, name FROM customers ORDER BY id"
PER_CUSTOMER_SQL = "SELECT count(*), coalesce(sum(total), 0) FROM orders WHERE customer_id = {id}"
JOINED_SQL = (
    "SELECT c.name, count(o.id) AS orders, coalesce(sum(o.total), 0) AS spent "
    "FROM customers c LEFT JOIN orders o ON o.customer_id = c.id "
    "GROUP BY c.id, c.name ORDER BY c.id"
)
SHIPMENT_SQL = "SELECT tracking, carrier, status FROM shipments WHERE tracking = '{tracking}'"
_TRACKING = re.compile(r"TRK\d{7}")

#: Makes a connected TCP socket to the database (the capture's, so it is recorded).
Connector = Callable[[], socket.socket]


class ShopApp:
    """The web application and its one pooled database connection."""

    def __init__(self, db_port: int, password: str, timeout: float) -> None:
        self.db_port = db_port
        self.password = password
        self.timeout = timeout
        self.connector: Connector | None = None
        self.pooled: Any = None
        self.pool_lock = threading.Lock()
        app = self

        class Handler(_Handler):
            shop = app

        self.server = LabHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])

    def connect(self) -> Any:
        """A new database connection: TCP, startup, SCRAM authentication."""
        import pg8000.native

        if self.connector is None:
            raise RuntimeError("the app has no way to reach its database yet")
        return pg8000.native.Connection(
            APP_USER,
            database=DATABASE,
            password=self.password,
            sock=self.connector(),
            ssl_context=False,
            timeout=self.timeout,
        )

    def open_pool(self, connector: Connector) -> None:
        """Connect once at start, as an application with a connection pool does,
        and warm the connection up. A server process reads the tables' and
        functions' definitions on a session's first use of them; an app that
        has been running for a while has long done so, and without this the
        first page measured would pay for it alone."""
        self.connector = connector
        self.pooled = self.connect()
        self.pooled.run(JOINED_SQL)
        self.pooled.run(PER_CUSTOMER_SQL.format(id=0))

    def close_pool(self) -> None:
        with self.pool_lock:
            if self.pooled is not None:
                try:
                    self.pooled.close()  # Terminate (X), then FIN
                finally:
                    self.pooled = None

    def __enter__(self) -> ShopApp:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close_pool()
        self.server.shutdown()
        self.server.server_close()

    # -- the pages ------------------------------------------------------------------

    def page(self, path: str) -> dict[str, Any] | None:
        """The page at `path` as JSON-ready data, or None for an unknown path."""
        url = urlsplit(path)
        pooled = parse_qs(url.query).get("pool", ["on"])[0] != "off"
        if url.path == "/customers/naive":
            return self._with_db(pooled, _naive)
        if url.path == "/customers":
            return self._with_db(pooled, _joined)
        found = re.fullmatch(r"/shipments/(\w+)", url.path)
        if found and _TRACKING.fullmatch(found.group(1)):
            return self._with_db(pooled, lambda db: _shipment(db, found.group(1)))
        return None

    def _with_db(self, pooled: bool, build: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
        if pooled:
            with self.pool_lock:
                return build(self.pooled)
        db = self.connect()
        try:
            return build(db)
        finally:
            db.close()


def _money(value: Any) -> str:
    return f"{Decimal(value):.2f}"


def _naive(db: Any) -> dict[str, Any]:
    """The N+1 pattern: one query for the list, then one per customer."""
    rows = []
    for cid, name in db.run(CUSTOMERS_SQL):
        ((count, spent),) = db.run(PER_CUSTOMER_SQL.format(id=int(cid)))
        rows.append({"name": name, "orders": count, "spent": _money(spent)})
    return {"customers": rows}


def _joined(db: Any) -> dict[str, Any]:
    """The same page from one query: the database joins and counts."""
    rows = db.run(JOINED_SQL)
    return {"customers": [{"name": n, "orders": c, "spent": _money(s)} for n, c, s in rows]}


def _shipment(db: Any, tracking: str) -> dict[str, Any]:
    rows = db.run(SHIPMENT_SQL.format(tracking=tracking))
    return {"shipments": [{"tracking": t, "carrier": c, "status": s} for t, c, s in rows]}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "shop/1.0"
    shop: ShopApp

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        try:
            data = self.shop.page(self.path)
            status = 200 if data is not None else 404
            body = data if data is not None else {"error": "no such page"}
        except Exception as exc:  # the database failed: the page does too
            status, body = 500, {"error": f"the database failed: {exc}"}
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # the lab explains each request itself
