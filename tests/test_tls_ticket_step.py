"""The tls lab's steps do not depend on when the client's own end recorded
its request: a real run (kept in tests/data/traces) where the request read
inside TLS was recorded before the server's session ticket reached the wire,
though the wire frame carrying it came after the ticket. The ticket answers
no request: it belongs to the TLS handshake step, as in the runs where the
recording came later."""

from __future__ import annotations

from pathlib import Path

from labs.catalog.tls.result import Exchange
from labs.catalog.tls.steps import tls_steps
from labs.model.trace import loads

RUN = Path(__file__).parent / "data" / "traces" / "tls-ticket-after-get.json"


def _steps() -> dict[str, list[int]]:
    trace = loads(RUN.read_text(encoding="utf-8"))
    inside = [p for p in trace.packets if p.origin != "wire"]
    request = next(p for p in inside if p.summary.startswith("HTTP GET"))
    raw = bytes.fromhex(request.hex)
    # The request's bytes: what follows the IP and TCP headers the recording wrote.
    start = (raw[0] & 0x0F) * 4
    start += (raw[start + 12] >> 4) * 4
    exchange = Exchange(
        sni="shop.example", version="TLSv1.3", cipher="", alpn=None, cert_der=b"",
        verified=True, request=raw[start:], response=b"",
    )  # fmt: skip
    return {s.name: list(s.packets) for s in tls_steps(trace.packets, exchange)}


def test_a_ticket_before_the_request_frame_is_part_of_the_handshake() -> None:
    trace = loads(RUN.read_text(encoding="utf-8"))
    ticket = trace.packets[9]
    assert ticket.origin == "wire" and ticket.src.endswith(":35225")  # the server
    assert trace.packets[8].origin == "inside-tls"  # the GET, recorded first
    steps = _steps()
    assert 9 in steps["tls"]
    assert steps["request"] == [8, 10]
    assert steps["response"] == [11, 12, 13]
