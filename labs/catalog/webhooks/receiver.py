"""The webhooks lab's own receiver: what a learner's service would run to
accept the shop's events. It checks each signature with the
`standardwebhooks` library, remembers each webhook-id so a retried event is
processed once, and is scripted to misbehave the way real receivers do:

- order.paid: answers 500 twice (its database is "down"), so the sender retries;
- order.shipped: processes the event but answers too slowly the first time,
  so the sender gives up on that attempt and retries the same id.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler
from typing import Any

from labs.kit.serve import LabHTTPServer

from .result import Handled

#: Failed answers the receiver gives order.paid before it copes.
PAID_FAILURES = 2
#: The most the slow answer waits for the retry to arrive, in seconds.
SLOW_FOR = 2.0


class _Handler(BaseHTTPRequestHandler):
    server_version = "tutor-receiver/1.0"
    sys_version = ""
    timeout = 5
    receiver: Receiver  # set on the subclass made for each server

    def version_string(self) -> str:
        return self.server_version  # http.server would add a space and Python's version

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # the lab shows the traffic itself

    def _reply(self, status: int, payload: Any) -> None:
        body = json.dumps(payload).encode() + b"\n"
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the sender hung up before the answer: what the lab shows

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        from standardwebhooks import Webhook, WebhookVerificationError  # lazy: a run's

        size = min(int(self.headers.get("Content-Length") or 0), 64 * 1024)
        body = self.rfile.read(size)
        rec = self.receiver
        wid = self.headers.get("webhook-id") or ""
        try:
            event = Webhook(rec.secret).verify(body, dict(self.headers.items()))
        except (WebhookVerificationError, ValueError) as exc:
            rec.note(Handled(wid, "", f"rejected: {exc}", False, 401))
            self._reply(401, {"error": "bad signature"})
            return
        kind = str(event.get("type", ""))
        with rec.lock:
            seen = wid in rec.processed
            failures = rec.failures.get(kind, 0)
        if seen:
            # The id is the idempotency key: this event was already processed.
            rec.note(Handled(wid, kind, "valid", True, 200))
            rec.retried.set()
            self._reply(200, {"status": "already processed"})
            return
        if kind == "order.paid" and failures < PAID_FAILURES:
            with rec.lock:
                rec.failures[kind] = failures + 1
            rec.note(Handled(wid, kind, "valid", False, 500))
            self._reply(500, {"error": "database unavailable, try again later"})
            return
        with rec.lock:
            rec.processed.add(wid)
        rec.note(Handled(wid, kind, "valid", False, 200))
        if kind == "order.shipped" and not rec.slowed:
            rec.slowed = True
            # Processed, but the answer is late: the sender has given up on
            # this attempt by the time it is sent, and retries the same id.
            rec.retried.wait(SLOW_FOR)
        self._reply(200, {"status": "processed"})


class Receiver:
    """The receiver on 127.0.0.1 at an ephemeral port; a context manager
    that always stops it (a held answer is released first)."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.lock = threading.Lock()
        self.processed: set[str] = set()
        self.failures: dict[str, int] = {}
        self.handled: list[Handled] = []
        self.slowed = False
        self.retried = threading.Event()
        handler = type("ReceiverHandler", (_Handler,), {"receiver": self})
        self._server = LabHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks/shop"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="webhook-receiver"
        )

    def note(self, handled: Handled) -> None:
        with self.lock:
            self.handled.append(handled)

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.retried.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
