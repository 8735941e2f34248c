"""A small HTTP API behind a rate limiter: the first `limit` requests a client
makes in a `window` of seconds are answered 200, the rest 429 Too Many
Requests with `Retry-After` until the window ends.

What a learner should see on the wire: every request gets a full, quick
answer (so the network, DNS and TCP are fine); the status line turns from
`HTTP/1.1 200 OK` to `HTTP/1.1 429 Too Many Requests` after N requests, and
that answer carries `Retry-After: S` (whole seconds to wait, RFC 9110
§10.2.3) and `X-RateLimit-Limit` / `X-RateLimit-Remaining: 0`. 429 is
RFC 6585 §4; the X-RateLimit-* names are a common convention, not a
standard. Waiting S seconds makes requests succeed again: nothing is broken,
the caller is too fast — the fix is in the caller's retry logic or a higher
quota from the API's owner.

The window is fixed and per client address (the simplest limiter to
explain); the clock can be injected so tests move time without sleeping.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from labs.drills.servers.background import (
    OneLineParser,
    QuietHandler,
    host_port,
    run_in_foreground,
)
from labs.kit import HTTPService

SERVER_NAME = "quotes-api/1.0"


@dataclass(frozen=True)
class Served:
    """One answer the API gave: to whom, which status, and Retry-After if any."""

    client: str
    path: str
    status: int
    retry_after: int | None


class _Handler(QuietHandler):
    server_version = SERVER_NAME

    def _answer(self) -> None:
        self.read_body()
        api: RateLimitedAPI = self.server.service  # type: ignore[attr-defined]
        client = self.client_address[0]
        allowed, remaining, retry_after = api.admit(client)
        headers = {"X-RateLimit-Limit": str(api.limit), "X-RateLimit-Remaining": str(remaining)}
        if allowed:
            api.record(Served(client, self.path, 200, None))
            self.send_json(
                200, {"quote": "Be liberal in what you accept.", "path": self.path}, headers
            )
            return
        headers["Retry-After"] = str(retry_after)
        api.record(Served(client, self.path, 429, retry_after))
        message = f"Rate limit of {api.limit} requests per {api.window:g} s exceeded."
        self.send_json(429, {"error": "rate_limited", "message": message}, headers)

    do_GET = do_HEAD = do_POST = _answer  # noqa: N815


class RateLimitedAPI(HTTPService):
    """The API on (host, port); `limit` requests per `window` seconds per client.

    Facts for a drill: `limit`, `window`, and `served` (every answer, in order).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        limit: int = 5,
        window: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("limit must be at least 1 and window more than 0 seconds")
        super().__init__(host, port, _Handler)
        self.limit = limit
        self.window = window
        self.served: list[Served] = []
        self._clock = clock
        self._windows: dict[str, tuple[float, int]] = {}  # client -> (window start, count)
        self._lock = threading.Lock()

    def admit(self, client: str) -> tuple[bool, int, int]:
        """Count one request from `client`: (allowed, remaining, Retry-After seconds)."""
        now = self._clock()
        with self._lock:
            start, count = self._windows.get(client, (now, 0))
            if now - start >= self.window:
                start, count = now, 0
            count += 1
            self._windows[client] = (start, count)
        remaining = max(0, self.limit - count)
        # Whole seconds, rounded up and at least 1: waiting that long always works.
        retry_after = max(1, math.ceil(start + self.window - now))
        return count <= self.limit, remaining, retry_after

    def record(self, served: Served) -> None:
        with self._lock:
            self.served.append(served)


def main(argv: Sequence[str] | None = None) -> int:
    parser = OneLineParser(prog="ratelimit", description="An HTTP API behind a rate limiter.")
    parser.add_argument("--listen", type=host_port, default=("127.0.0.1", 0))
    parser.add_argument("--limit", type=int, default=5)
    parser.add_argument("--window", type=float, default=10.0)
    return run_in_foreground(
        parser,
        lambda a: RateLimitedAPI(*a.listen, limit=a.limit, window=a.window),
        argv,
    )


if __name__ == "__main__":
    raise SystemExit(main())
