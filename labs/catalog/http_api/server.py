"""The http-api lab's embedded server: a small REST API of orders on 127.0.0.1.

A real HTTP/1.1 server (http.server, one thread per connection) that speaks
the way public APIs do, so every status a learner meets in the lessons can be
produced on demand:

    GET  /                          public index of the endpoints
    GET  /orders?page=&per_page=    a page of orders; Link header and "next"
    POST /orders                    201 Created + Location (JSON body)
    GET|PUT|PATCH|DELETE /orders/N  read (ETag), replace, change, remove (204)
    GET  /reports                   an "expensive" endpoint: 1 call per minute
                                    per key, then 429 + Retry-After
    /v1/...                         301 Moved Permanently to the same path without /v1

Credentials: `X-API-Key: KEY` or `Authorization: Bearer KEY`. None -> 401 with
WWW-Authenticate; an unknown key -> 401 (error="invalid_token"); the
read-only key on a write -> 403 (error="insufficient_scope"), as RFC 6750
says. GET with a matching If-None-Match -> 304. Unknown ids -> 404; a body
that is not JSON -> 415 or 400; missing fields -> 422; other methods -> 405.

Every response says `Connection: close`, so each exchange is its own TCP
connection: handshake, request, response, close — the easiest trace to read.
With `keep_alive=True` it answers `Connection: keep-alive` instead (unless
the client asked to close) and serves the next request on the same
connection, as most HTTP/1.1 servers do.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

from labs.catalog.http_api.handler import API_KEY, READ_ONLY_KEY, JsonHandler, dump, etag_of
from labs.catalog.http_api.orders import STATUSES, Store, order_fields, order_problems
from labs.kit import HTTPService

#: The server, and the keys it accepts (defined with the plumbing in handler.py).
__all__ = ["API_KEY", "READ_ONLY_KEY", "ApiServer", "etag_of"]

PER_PAGE = 3
MAX_PER_PAGE = 50
REPORT_LIMIT = 1
REPORT_WINDOW = 60


class _Handler(JsonHandler):
    # -- routing --------------------------------------------------------------

    def _route(self) -> None:
        url = urlsplit(self.path)
        path = url.path.rstrip("/") or "/"
        if path == "/v1" or path.startswith("/v1/"):
            target = path[3:] or "/"
            if url.query:
                target += "?" + url.query
            self._error(301, "moved", f"This API moved to {target}.", Location=target)
            return
        parts = path.strip("/").split("/")
        if path == "/":
            self._dispatch({"GET": self._index})
        elif parts == ["orders"]:
            self._dispatch({"GET": lambda: self._list(url.query), "POST": self._create})
        elif len(parts) == 2 and parts[0] == "orders":
            oid = int(parts[1]) if parts[1].isdigit() else -1
            self._dispatch(
                {
                    "GET": lambda: self._get(oid),
                    "PUT": lambda: self._update(oid, replace=True),
                    "PATCH": lambda: self._update(oid, replace=False),
                    "DELETE": lambda: self._delete(oid),
                }
            )
        elif path == "/reports":
            self._dispatch({"GET": self._report})
        else:
            self._error(404, "not_found", f"There is nothing at {url.path}.")

    def _dispatch(self, methods: dict[str, Any]) -> None:
        allow = ", ".join(
            [*methods, "HEAD", "OPTIONS"] if "GET" in methods else [*methods, "OPTIONS"]
        )
        if self.command == "OPTIONS":
            self._send(204, headers={"Allow": allow})
        elif self.command in methods or (self.command == "HEAD" and "GET" in methods):
            methods["GET" if self.command == "HEAD" else self.command]()
        else:
            self._error(405, "method_not_allowed", f"Use one of: {allow}.", Allow=allow)

    # -- endpoints ------------------------------------------------------------

    def _index(self) -> None:
        self._send(
            200,
            {
                "name": "tutor orders API",
                "auth": "X-API-Key: KEY or Authorization: Bearer KEY",
                "endpoints": [
                    "GET /orders?page=1&per_page=3",
                    "POST /orders",
                    "GET /orders/{id}",
                    "PUT /orders/{id}",
                    "PATCH /orders/{id}",
                    "DELETE /orders/{id}",
                    f"GET /reports (limited to {REPORT_LIMIT} per {REPORT_WINDOW} s)",
                ],
            },
        )

    def _cached(self, payload: Any, headers: dict[str, str] | None = None) -> None:
        """200 with an ETag, or 304 when the client's copy is still current."""
        body = dump(payload)
        tag = etag_of(body)
        headers = {**(headers or {}), "ETag": tag, "Cache-Control": "private, no-cache"}
        wanted = [t.strip() for t in (self.headers.get("If-None-Match") or "").split(",")]
        if tag in wanted or "*" in wanted:
            self._send(304, headers=headers)
        else:
            self._send(200, headers=headers, body=body)

    def _list(self, query: str) -> None:
        if self._key("read") is None:
            return
        params = parse_qs(query)
        try:
            page = int(params.get("page", ["1"])[0])
            per_page = int(params.get("per_page", [str(PER_PAGE)])[0])
        except ValueError:
            self._error(400, "bad_query", "page and per_page must be whole numbers.")
            return
        if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
            self._error(400, "bad_query", f"page >= 1 and 1 <= per_page <= {MAX_PER_PAGE}.")
            return
        with self.store.lock:
            orders = [self.store.orders[k] for k in sorted(self.store.orders)]
        pages = max(1, -(-len(orders) // per_page))
        shown = orders[(page - 1) * per_page : page * per_page]
        link = lambda n: f"/orders?page={n}&per_page={per_page}"  # noqa: E731
        payload = {
            "orders": shown,
            "page": page,
            "per_page": per_page,
            "total": len(orders),
            "next": link(page + 1) if page < pages else None,
        }
        rels = [(link(page + 1), "next")] if page < pages else []
        rels += [(link(page - 1), "prev")] if page > 1 else []
        rels += [(link(1), "first"), (link(pages), "last")]
        self._cached(payload, {"Link": ", ".join(f'<{u}>; rel="{r}"' for u, r in rels)})

    def _find(self, oid: int) -> dict[str, Any] | None:
        with self.store.lock:
            order = self.store.orders.get(oid)
        if order is None:
            self._error(
                404,
                "not_found",
                f"There is no order {oid}." if oid >= 0 else "Order ids are numbers.",
            )
        return order

    def _get(self, oid: int) -> None:
        if self._key("read") is None:
            return
        order = self._find(oid)
        if order is not None:
            self._cached(order)

    def _checked(self, body: dict[str, Any], partial: bool) -> dict[str, Any] | None:
        problems = order_problems(body, partial)
        if problems:
            self._send(422, {"error": "invalid_order", "problems": problems})
            return None
        return order_fields(body)

    def _create(self) -> None:
        if self._key("write") is None:
            return
        body = self._body()
        fields = None if body is None else self._checked(body, partial=False)
        if fields is None:
            return
        with self.store.lock:
            oid = self.store.next_id
            self.store.next_id += 1
            order = {"id": oid, "status": "open", **fields}
            self.store.orders[oid] = order
        self._send(201, order, {"Location": f"/orders/{oid}"})

    def _update(self, oid: int, replace: bool) -> None:
        if self._key("write") is None or self._find(oid) is None:
            return
        body = self._body()
        fields = None if body is None else self._checked(body, partial=not replace)
        if fields is None:
            return
        with self.store.lock:
            order = self.store.orders[oid]
            if replace:
                order = {"id": oid, "status": "open", **fields}
            else:
                order = {**order, **fields}
            self.store.orders[oid] = order
        self._send(200, order)

    def _delete(self, oid: int) -> None:
        if self._key("write") is None or self._find(oid) is None:
            return
        with self.store.lock:
            self.store.orders.pop(oid, None)
        self._send(204)

    def _report(self) -> None:
        key = self._key("read")
        if key is None:
            return
        now = time.time()
        with self.store.lock:
            calls = [t for t in self.store.report_calls.get(key, []) if now - t < REPORT_WINDOW]
            allowed = len(calls) < REPORT_LIMIT
            if allowed:
                calls.append(now)
            self.store.report_calls[key] = calls
        reset = int(calls[0] + REPORT_WINDOW)
        headers = {
            "X-RateLimit-Limit": str(REPORT_LIMIT),
            "X-RateLimit-Remaining": str(max(0, REPORT_LIMIT - len(calls))),
            "X-RateLimit-Reset": str(reset),
        }
        if not allowed:
            headers["Retry-After"] = str(max(1, reset - int(now)))
            self._send(
                429,
                {
                    "error": "rate_limited",
                    "message": f"Reports are limited to {REPORT_LIMIT} per {REPORT_WINDOW} s.",
                },
                headers,
            )
            return
        with self.store.lock:
            statuses = [o["status"] for o in self.store.orders.values()]
        summary = {s: statuses.count(s) for s in STATUSES if s in statuses}
        self._send(200, {"orders": len(statuses), "by_status": summary}, headers)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _route  # noqa: N815


class ApiServer(HTTPService):
    """The orders API on 127.0.0.1 at an ephemeral port; a context manager
    that always stops the server and its threads."""

    def __init__(self, host: str = "127.0.0.1", keep_alive: bool = False) -> None:
        self.keep_alive = keep_alive
        self.store = Store()
        handler = type("ApiHandler", (_Handler,), {"store": self.store, "keep_alive": keep_alive})
        super().__init__(host, 0, handler, name="api-server")

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"
