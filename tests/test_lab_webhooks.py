"""The webhooks lab against real servers: its own shop API and receiver
(retries, backoff, a duplicate, a forged event) and a receiver of the
learner's (another program on 127.0.0.1), in both capture modes; every
Wireshark field against tshark; the signature against the library's."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from apilabs import TSHARK, check_with_tshark
from labrun import run
from standardwebhooks import Webhook

from labs.api import BadInput
from labs.catalog.webhooks.signature import recompute
from labs.model.trace import mask_secrets

SECRET = "whsec_" + base64.b64encode(bytes(range(1, 33))).decode()
FACTS = {
    "webhook_client": "the API",
    "signature_algorithm": "HMAC-SHA256",
    "paid_attempts": "3",
    "retry_same_id": "yes",
    "shipped_processed": "1",
    "forged_status": "401",
}


@pytest.fixture(scope="module")
def embedded() -> Any:
    return run("webhooks")


def test_embedded_run_reports_every_fact(embedded, mode) -> None:
    trace = run("webhooks")
    assert {f.name: f.value for f in trace.facts} == FACTS
    assert trace.capture == mode
    statuses = [
        p.field("http.response.code").value for p in trace.packets if p.field("http.response.code")
    ]
    # Live capture also shows the receiver's late answer to the attempt the sender gave up on.
    assert statuses.count("500") == 2 and statuses.count("401") == 1


def test_retries_wait_twice_as_long_each_time(embedded) -> None:
    paid = [a for a in embedded_result(embedded) if a["event"] == "order.paid"]
    assert [a["waited"] for a in paid] == [0.0, 0.25, 0.5]
    assert len({a["webhook_id"] for a in paid}) == 1


def embedded_result(trace: Any) -> list[dict[str, Any]]:
    rows = next(s for s in trace.sections if s.title.startswith("Every delivery")).body
    out = []
    for line in rows.splitlines()[1:]:
        event, number, waited, wid, _answer = line.split("\t")
        out.append(
            {"event": event, "number": int(number), "waited": float(waited), "webhook_id": wid}
        )
    return out


def test_the_secret_is_masked_everywhere(embedded) -> None:
    secrets = embedded.secret_values()
    assert any(s.startswith("whsec_") for s in secrets)
    text = "\n".join(s.body for s in embedded.sections)
    assert "whsec_" in text and not any(
        s in mask_secrets(text, secrets) for s in secrets if s.startswith("whsec_")
    )


def test_signature_matches_the_library() -> None:
    from datetime import UTC, datetime

    from labs.catalog.webhooks.result import Attempt

    body = json.dumps({"type": "order.paid", "data": {"id": 1}})
    when = datetime(2026, 12, 1, tzinfo=UTC)
    sig = Webhook(SECRET).sign("msg_1", when, body)
    attempt = Attempt(
        "order.paid",
        "msg_1",
        1,
        str(int(when.timestamp())),
        sig,
        body.encode(),
        200,
        0.0,
        "answered",
    )
    assert recompute(SECRET, attempt)[2] == sig


@pytest.mark.skipif(TSHARK is None, reason="tshark is not installed")
def test_every_field_equals_tsharks(embedded, tmp_path) -> None:
    ports = tuple(
        {int(p.dst.rpartition(":")[2]) for p in embedded.packets if p.field("http.request.method")}
    )
    assert check_with_tshark(embedded, tmp_path, ports) > 500


class _Learners(BaseHTTPRequestHandler):
    """A learner's receiver: verifies with the library, fails the first try."""

    got: list[tuple[str, int]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        try:
            Webhook(SECRET).verify(body, dict(self.headers.items()))
            status = 500 if not self.got else 204
        except Exception:
            status = 400
        self.got.append((self.headers.get("webhook-id", ""), status))
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def learners() -> Iterator[tuple[str, list[tuple[str, int]]]]:
    handler = type("H", (_Learners,), {"got": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,))
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", handler.got
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_your_receiver_with_your_secret(learners, mode) -> None:
    url, got = learners
    trace = run("webhooks", target=url, secret=SECRET)
    facts = {f.name: f.value for f in trace.facts}
    assert facts["webhook_client"] == "the API" and facts["forged_status"] == "400"
    # order.created failed once (500) and was retried with the same id; the rest verified.
    assert got[0][1] == 500 and got[1] == (got[0][0], 204)
    assert [s for _, s in got].count(400) == 1
    assert "shipped_processed" not in facts


@pytest.mark.parametrize(
    "target, why",
    [
        ("http://192.0.2.1/hook", "only to a receiver on this machine"),
        ("https://127.0.0.1/hook", "speaks HTTP"),
    ],
)
def test_bad_targets_are_one_line(target, why) -> None:
    with pytest.raises(BadInput, match=why):
        run("webhooks", target=target)


def test_bad_secret_is_one_line() -> None:
    with pytest.raises(BadInput, match="whsec_"):
        run("webhooks", secret="not-a-secret")
