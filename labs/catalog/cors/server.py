"""The cors lab's two servers on 127.0.0.1, on two ports and so two origins
(an origin is scheme, host and port: the same host on another port is
another origin):

- the page: GET / is a shop page whose script makes the lab's fetch() calls
  to the API and POSTs what it saw back to /report (same origin: no CORS);
- the API: a small orders API with a CORS policy, like a real one: the
  page's origin may GET and POST JSON; DELETE is not allowed; an old
  /api/legacy/notes endpoint accepts plain text and forgets CORS headers.

The API notes every request it received, whatever the browser does with the
answer: that is the lesson of the blocked request.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .result import Received

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>shop</title></head>
<body><h1>Orders</h1><pre id="out">calling the API...</pre>
<script type="application/json" id="plan">%s</script>
<script>
(async () => {
  const plan = JSON.parse(document.getElementById('plan').textContent);
  const seen = [];
  for (const c of plan) {
    try {
      const r = await fetch(c.url, {method: c.method, headers: c.headers, body: c.body,
                                    mode: 'cors', cache: 'no-store'});
      seen.push({name: c.name, verdict: 'allowed', status: r.status, error: ''});
    } catch (e) {
      seen.push({name: c.name, verdict: 'blocked', status: 0, error: String(e)});
    }
  }
  document.getElementById('out').textContent = JSON.stringify(seen, null, 1);
  await fetch('/report', {method: 'POST', headers: {'Content-Type': 'application/json'},
                          body: JSON.stringify(seen)});
})();
</script></body></html>
"""


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a browser stopped mid-connection: expected when the lab closes it


class _Quiet(BaseHTTPRequestHandler):
    sys_version = ""
    timeout = 5
    protocol_version = "HTTP/1.1"

    def version_string(self) -> str:
        return self.server_version  # http.server would add a space and Python's version

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # the lab shows the traffic itself

    def _send(self, status: int, headers: dict[str, str], body: bytes = b"") -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self) -> bytes:
        return self.rfile.read(min(int(self.headers.get("Content-Length") or 0), 64 * 1024))


class _Page(_Quiet):
    server_version = "tutor-shop-page/1.0"
    owner: PageServer

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        if self.path == "/":
            page = (PAGE % json.dumps(self.owner.plan).replace("</", "<\\/")).encode()
            self._send(200, {"Content-Type": "text/html; charset=utf-8"}, page)
        else:
            self._send(404, {}, b"")

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self._body()
        if self.path == "/report":
            try:
                self.owner.report = json.loads(body)
            except ValueError:
                self.owner.report = []
            self.owner.reported.set()
        self._send(204, {})


class PageServer:
    """The page's origin; `plan` is what its script calls, `report` what it saw."""

    def __init__(self) -> None:
        self.plan: list[dict[str, Any]] = []
        self.report: list[dict[str, Any]] = []
        self.reported = threading.Event()
        handler = type("PageHandler", (_Page,), {"owner": self})
        self._server = _QuietServer(("127.0.0.1", 0), handler)
        self.port = self._server.server_address[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="cors-page"
        )

    def __enter__(self) -> PageServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class _Api(_Quiet):
    server_version = "tutor-orders/1.0"
    owner: ApiServer

    def _answer(
        self, status: int, cors: bool, extra: dict[str, str] | None = None, payload: Any = None
    ) -> None:
        origin = self.headers.get("Origin", "")
        self.owner.note(Received(self.command, self.path, origin, status))
        headers = {"Content-Type": "application/json"} if payload is not None else {}
        if cors and origin == self.owner.allowed:
            headers |= {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
        body = b"" if payload is None else json.dumps(payload).encode()
        self._send(status, headers | (extra or {}), body)

    def do_OPTIONS(self) -> None:  # noqa: N802 (http.server's name)
        # The preflight: the browser asks before a request a form could not send.
        self._answer(
            204,
            True,
            {
                "Access-Control-Allow-Methods": "GET, POST",
                "Access-Control-Allow-Headers": "Content-Type",
                "Access-Control-Max-Age": "60",
            },
        )

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        if self.path.startswith("/api/orders"):
            self._answer(200, True, payload={"orders": self.owner.orders})
        else:
            self._answer(404, True, payload={"error": "not found"})

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self._body().decode("utf-8", "replace")
        if self.path == "/api/orders":
            self.owner.orders.append({"id": len(self.owner.orders) + 1, "item": body[:80]})
            self._answer(201, True, payload=self.owner.orders[-1])
        elif self.path == "/api/legacy/notes":
            # Done, stored, answered: just without the CORS header.
            self.owner.orders.append({"id": len(self.owner.orders) + 1, "note": body[:80]})
            self._answer(201, False, payload=self.owner.orders[-1])
        else:
            self._answer(404, True, payload={"error": "not found"})

    def do_DELETE(self) -> None:  # noqa: N802 (http.server's name)
        self._answer(204, True)


class ApiServer:
    """The API's origin, allowing `allowed` (the page's origin); `cap` set by
    the lab wraps each accepted connection, so it is recorded when the
    capture is reconstructed (the browser's own sockets cannot be)."""

    def __init__(self) -> None:
        self.allowed = ""
        self.orders: list[dict[str, Any]] = [{"id": 1, "item": "oat milk"}]
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.cap: Any = None
        owner = self

        class Server(_QuietServer):
            def get_request(self) -> tuple[Any, Any]:
                conn, addr = super().get_request()
                return (owner.cap.wrap(conn, server_side=True) if owner.cap else conn), addr

        handler = type("ApiHandler", (_Api,), {"owner": self})
        self._server = Server(("127.0.0.1", 0), handler)
        self.port = self._server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="cors-api"
        )

    def note(self, received: Received) -> None:
        with self.lock:
            self.received.append(received)

    def __enter__(self) -> ApiServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
