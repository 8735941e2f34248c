"""A fetch's outcome says whether the server said yes: an HTTP answer of 4xx
or 5xx (the load balancer's 503, the rate limiter's 429) is an `http-error`,
never `ok`, both in the live client and the simulator, one call or several
(the probe history shows only this key)."""

from __future__ import annotations

import pytest

from labs import api
from labs.drills import client, registry
from labs.drills.servers.loadbalancer import Site


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        ("HTTP/1.1 200 OK", "ok"),
        ("HTTP/1.1 301 Moved Permanently", "ok"),
        ("HTTP/1.1 429 Too Many Requests", "http-error"),
        ("HTTP/1.1 503 Service Unavailable", "http-error"),
        ("", "error"),
    ],
)
def test_status_line_to_outcome(status, outcome):
    assert client.http_outcome(status) == outcome


def test_live_client_counts_a_503_among_several_calls_as_an_error():
    with Site(alive="app-1", dead="app-2") as site:
        url = f"http://127.0.0.1:{site.port}/"
        args = {"url": url, "resolver": "127.0.0.1", "ca_pem": ""}
        one = client.fetch(dict(args))  # the first call goes to the live backend
        two = client.fetch(dict(args))  # the second to the dead one: 503
        four = client.fetch(dict(args, count=4))
    assert one["outcome"] == "ok"
    assert two["outcome"] == "http-error" and "503" in two["words"]
    assert four["outcome"] == "http-error"
    assert [v for k, v in four["details"] if k.startswith("call ")].count(
        "HTTP/1.1 503 Service Unavailable"
    ) == 2


@pytest.mark.parametrize(("drill", "count"), [("backend-down", 4), ("rate-limit", 8)])
def test_simulated_history_does_not_call_an_error_answer_ok(drill, count, tutor_home, monkeypatch):
    monkeypatch.setenv("TUTOR_SIMULATE", "1")
    v = registry.get(drill).variant(1)
    api.drill_start(tutor_home, drill, 1)
    result = api.drill_probe(tutor_home, "fetch", f"{v.url} count={count}")
    assert result.outcome == "http-error", result.words
    header = {"backend-down": "header x-backend", "rate-limit": "header retry-after"}[drill]
    assert header in dict(result.details), result.details  # as the live probe shows it
    state = api.drill_state(tutor_home)
    assert state is not None and [p.outcome for p in state.probes] == ["http-error"]
    api.drill_stop(tutor_home)
