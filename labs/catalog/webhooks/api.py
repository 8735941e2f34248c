"""The webhooks lab's embedded API: a small shop on 127.0.0.1 that, like a
payment or commerce API, lets a client register a webhook endpoint and then
POSTs each event to it, signed the Standard Webhooks way (the
`standardwebhooks` library signs), retried with exponential backoff.

    POST /webhooks          {"url": ..., "secret"?: ...} -> 201 with the signing secret
    POST /orders            {"item": ...} -> 201, then event order.created
    POST /orders/N/pay      -> 200, then event order.paid
    POST /orders/N/ship     -> 200, then event order.shipped

Deliveries run on the API's own worker thread, as a real sender queues them;
its requests go through the session the lab hands it (`use`), so they are
recorded like any other lab traffic.
"""

from __future__ import annotations

import base64
import json
import queue
import secrets
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any

from labs.kit.serve import LabHTTPServer

from .result import Attempt

#: Seconds the sender waits for a receiver's answer (real senders: 5-30 s).
SENDER_TIMEOUT = 0.5
#: Attempts per event before the sender gives up (real senders: days of them).
MAX_ATTEMPTS = 4
#: The first retry waits this long; each later one twice as long as the one before.
BACKOFF = 0.25


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


class _Handler(BaseHTTPRequestHandler):
    server_version = "tutor-shop/1.0"
    sys_version = ""
    timeout = 5
    api: ShopApi  # set on the subclass made for each server

    def version_string(self) -> str:
        return self.server_version  # http.server would add a space and Python's version

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # the lab shows the traffic itself

    def _reply(self, status: int, payload: Any) -> None:
        body = json.dumps(payload).encode() + b"\n"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        size = min(int(self.headers.get("Content-Length") or 0), 64 * 1024)
        try:
            data = json.loads(self.rfile.read(size) or b"{}")
        except ValueError:
            self._reply(400, {"error": "the body is not JSON"})
            return
        parts = self.path.strip("/").split("/")
        api = self.api
        if parts == ["webhooks"] and isinstance(data.get("url"), str):
            endpoint = {
                "id": "ep_1",
                "url": data["url"],
                "secret": data.get("secret") or new_secret(),
            }
            api.endpoint = endpoint
            self._reply(201, endpoint)
        elif parts == ["orders"]:
            order = {"id": len(api.orders) + 1, "item": str(data.get("item", "")), "status": "open"}
            api.orders.append(order)
            # Queued before the answer, as an API commits then enqueues: the
            # caller may wait for the delivery as soon as it has the 201.
            api.emit("order.created", order)
            self._reply(201, order)
        elif len(parts) == 3 and parts[0] == "orders" and parts[2] in ("pay", "ship"):
            if not parts[1].isdigit() or not 0 < int(parts[1]) <= len(api.orders):
                self._reply(404, {"error": "no such order"})
                return
            order = api.orders[int(parts[1]) - 1]
            order["status"] = "paid" if parts[2] == "pay" else "shipped"
            api.emit(f"order.{order['status']}", dict(order))
            self._reply(200, order)
        else:
            self._reply(404, {"error": f"nothing at {self.path}"})


class ShopApi:
    """The shop API and its webhook sender; a context manager that always
    stops the server, the sender thread and the sender's connections."""

    def __init__(self) -> None:
        self.orders: list[dict[str, Any]] = []
        self.endpoint: dict[str, str] | None = None
        self.attempts: list[Attempt] = []
        self.session: Any = None
        self._queue: queue.Queue[tuple[str, dict[str, Any]] | None] = queue.Queue()
        #: Events emitted and not yet delivered or given up on.
        self._pending = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        handler = type("ShopHandler", (_Handler,), {"api": self})
        self._server = LabHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._threads = [
            threading.Thread(target=self._server.serve_forever, args=(0.05,), name="shop-api"),
            threading.Thread(target=self._send_loop, name="shop-webhooks"),
        ]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ShopApi:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._queue.put(None)
        self._server.shutdown()
        self._server.server_close()
        for t in self._threads:
            t.join(timeout=5)
        if self.session is not None:
            self.session.close()

    def use(self, adapter: Any) -> None:
        """Send the webhooks through `adapter` (the capture's)."""
        import requests  # lazy: only a run needs it

        session = requests.Session()
        session.trust_env = False  # never a proxy from the environment
        session.mount("http://", adapter)
        self.session = session

    def emit(self, event: str, data: dict[str, Any]) -> None:
        with self._lock:
            self._pending += 1
        self._queue.put((event, data))

    def idle(self) -> bool:
        """Every event emitted so far has been delivered or given up on."""
        with self._lock:
            return self._pending == 0

    def _send_loop(self) -> None:
        while not self._stop.is_set():
            item = self._queue.get()
            if item is None:
                return
            try:
                self._deliver(*item)
            finally:
                with self._lock:
                    self._pending -= 1

    def _deliver(self, event: str, data: dict[str, Any]) -> None:
        from standardwebhooks import Webhook  # lazy: only a run needs it

        endpoint = self.endpoint
        if endpoint is None or self.session is None:
            return
        # One id for the event, kept on every retry: it is what lets the
        # receiver see that a retry is the same event (its idempotency key).
        webhook_id = "msg_" + secrets.token_hex(8)
        body = json.dumps(
            {
                "type": event,
                "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
                "data": data,
            }
        )
        signer = Webhook(endpoint["secret"])
        waited = 0.0
        for number in range(1, MAX_ATTEMPTS + 1):
            if number > 1:
                waited = BACKOFF * 2 ** (number - 2)
                if self._stop.wait(waited):
                    return
            now = datetime.now(UTC)
            signature = signer.sign(webhook_id, now, body)
            stamp = str(int(now.timestamp()))
            status, outcome = self._post(endpoint["url"], webhook_id, stamp, signature, body)
            self.attempts.append(
                Attempt(
                    event,
                    webhook_id,
                    number,
                    stamp,
                    signature,
                    body.encode(),
                    status,
                    waited,
                    outcome,
                )
            )
            if 200 <= status < 300 or self._stop.is_set():
                return

    def _post(self, url: str, webhook_id: str, stamp: str, sig: str, body: str) -> tuple[int, str]:
        import requests  # lazy: only a run needs it

        headers = {
            "Content-Type": "application/json",
            "User-Agent": "tutor-shop-webhooks/1.0",
            "webhook-id": webhook_id,
            "webhook-timestamp": stamp,
            "webhook-signature": sig,
        }
        try:
            resp = self.session.post(
                url,
                data=body.encode(),
                headers=headers,
                timeout=SENDER_TIMEOUT,
                allow_redirects=False,
            )
        except requests.Timeout:
            return 0, "timed out"
        except requests.RequestException:
            return 0, "refused"
        resp.close()
        # Any answer but 2xx counts as failed, and is retried (Standard Webhooks).
        return resp.status_code, "answered"
