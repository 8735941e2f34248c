"""The http-api lab's keep-alive server answers the later requests on a kept
connection at once: it writes its header and body as two sends, and with
Nagle's algorithm on, the body would wait for the client's delayed ACK
(40 ms on Linux) on every request after the first, so the lab would show
the reused connection slower than the new one, the opposite of the lesson."""

from __future__ import annotations

import http.client
import statistics
import time

from labs.catalog.http_api.handler import API_KEY
from labs.catalog.http_api.server import ApiServer


def test_later_requests_on_a_kept_connection_are_not_held_back():
    with ApiServer(keep_alive=True) as server:
        host, port = server.base_url.split("//")[1].split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=5)
        took = []
        try:
            for _ in range(7):
                start = time.perf_counter()
                conn.request("GET", "/orders/42", headers={"X-API-Key": API_KEY})
                response = conn.getresponse()
                response.read()
                took.append(time.perf_counter() - start)
                assert response.getheader("Connection") == "keep-alive"
        finally:
            conn.close()
    # Without TCP_NODELAY each later request takes a 40 ms delayed ACK or more.
    assert statistics.median(took[1:]) < 0.035, [round(t * 1000, 1) for t in took]
