"""The plumbing of the embedded orders API (`labs.catalog.http_api.server`):
JSON responses that carry a request id and always close the connection,
JSON request bodies checked as public APIs do (413, 415, 400), and API keys
with scopes answered with RFC 6750 challenges (401, 403). The endpoints
themselves live in the server module; this is how they speak HTTP.
"""

from __future__ import annotations

import hashlib
import json
from http.server import BaseHTTPRequestHandler
from typing import Any

from labs.catalog.http_api.orders import Store

API_KEY = "demo-key-7f3a9c"
READ_ONLY_KEY = "read-only-key-51d2"
KEYS = {API_KEY: "read write", READ_ONLY_KEY: "read"}
MAX_BODY = 64 * 1024
REALM = "orders"


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:16] + '"'


def dump(value: Any) -> bytes:
    return json.dumps(value).encode() + b"\n"


class JsonHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "tutor-api/1.0"
    sys_version = ""
    #: Seconds a connection may stall mid-request before its thread gives up.
    timeout = 5
    store: Store  # set on the subclass made for each server
    #: Whether this server keeps connections open between requests.
    keep_alive = False
    #: TCP_NODELAY: the header and the body go out as two sends, and with
    #: Nagle's algorithm the body would wait for the client's delayed ACK
    #: (40 ms) on every request after the first on a kept connection.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # the lab shows the traffic; a log on stderr would only get in the way

    def _send(
        self,
        status: int,
        payload: Any = None,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> None:
        if body is None:
            body = b"" if payload is None else dump(payload)
        self.send_response(status)
        with self.store.lock:
            self.store.requests += 1
            request_id = f"req-{self.store.requests:04d}"
        if body or status not in (204, 304):
            self.send_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("X-Request-Id", request_id)
        if status not in (204, 304):
            self.send_header("Content-Length", str(len(body)))
        # HTTP/1.1 keeps a connection open unless a side says `Connection:
        # close` (RFC 9112 section 9.3). The lab's main server always says it,
        # so each exchange is its own connection; the keep-alive server
        # keeps it open unless the client asked to close.
        asked_close = "close" in (self.headers.get("Connection") or "").lower()
        keep = self.keep_alive and not asked_close
        self.send_header("Connection", "keep-alive" if keep else "close")
        self.end_headers()
        self.close_connection = not keep
        if self.command != "HEAD" and status not in (204, 304):
            self.wfile.write(body)

    def _error(self, status: int, code: str, message: str, **headers: str) -> None:
        self._send(status, {"error": code, "message": message}, dict(headers))

    def _body(self) -> dict[str, Any] | None:
        """The JSON object in the request body, or None after answering 4xx."""
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._error(413, "too_large", f"Bodies are limited to {MAX_BODY} bytes.")
            return None
        raw = self.rfile.read(length) if length else b""
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/json":
            self._error(
                415,
                "unsupported_media_type",
                "Send the order as JSON with Content-Type: application/json.",
            )
            return None
        try:
            value = json.loads(raw or b"null")
        except (ValueError, UnicodeDecodeError) as exc:
            self._error(400, "bad_json", f"The body is not valid JSON: {exc}.")
            return None
        if not isinstance(value, dict):
            self._error(400, "bad_json", "The body must be a JSON object.")
            return None
        return value

    def _key(self, scope: str) -> str | None:
        """The caller's key if it may do `scope`; otherwise answer 401/403, None."""
        key = self.headers.get("X-API-Key")
        auth = self.headers.get("Authorization") or ""
        if key is None and auth.lower().startswith("bearer "):
            key = auth[7:].strip()
        challenge = f'Bearer realm="{REALM}"'
        if not key:
            self._error(
                401,
                "missing_credentials",
                "Send your API key in X-API-Key or as Authorization: Bearer KEY.",
                **{"WWW-Authenticate": challenge},
            )
            return None
        if key not in KEYS:
            self._error(
                401,
                "invalid_token",
                "This API key is not known.",
                **{"WWW-Authenticate": f'{challenge}, error="invalid_token"'},
            )
            return None
        if scope not in KEYS[key].split():
            self._error(
                403,
                "insufficient_scope",
                f"This key may not {scope}.",
                **{"WWW-Authenticate": f'{challenge}, error="insufficient_scope", scope="{scope}"'},
            )
            return None
        return key
