"""The embedded orders API, spoken to over real HTTP on 127.0.0.1."""

from __future__ import annotations

import socket

import pytest
import requests

from labs.catalog.http_api.server import API_KEY, READ_ONLY_KEY, REPORT_WINDOW, ApiServer, etag_of

AUTH = {"X-API-Key": API_KEY}


@pytest.fixture
def api():
    with ApiServer() as server:
        yield server


def test_without_key_401_with_challenge(api):
    r = requests.get(api.url("/orders"), timeout=5)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="orders"'
    assert r.json()["error"] == "missing_credentials"
    assert r.headers["Connection"] == "close"


def test_unknown_key_401_read_only_key_403(api):
    r = requests.get(api.url("/orders"), headers={"X-API-Key": "nope"}, timeout=5)
    assert r.status_code == 401 and 'error="invalid_token"' in r.headers["WWW-Authenticate"]
    r = requests.post(
        api.url("/orders"),
        json={"item": "mug", "quantity": 1},
        headers={"Authorization": f"Bearer {READ_ONLY_KEY}"},
        timeout=5,
    )
    assert r.status_code == 403
    assert 'error="insufficient_scope"' in r.headers["WWW-Authenticate"]


def test_pagination_link_and_next(api):
    first = requests.get(api.url("/orders?per_page=3"), headers=AUTH, timeout=5)
    assert first.status_code == 200
    body = first.json()
    assert [o["id"] for o in body["orders"]] == [36, 37, 38]
    assert body["next"] == "/orders?page=2&per_page=3" and body["total"] == 7
    assert first.links["next"]["url"] == "/orders?page=2&per_page=3"
    assert first.links["last"]["url"] == "/orders?page=3&per_page=3"
    last = requests.get(api.url(first.links["last"]["url"]), headers=AUTH, timeout=5).json()
    assert [o["id"] for o in last["orders"]] == [42] and last["next"] is None
    bad = requests.get(api.url("/orders?page=zero"), headers=AUTH, timeout=5)
    assert bad.status_code == 400


def test_create_read_update_delete(api):
    r = requests.post(
        api.url("/orders"), json={"item": "kettle", "quantity": 2}, headers=AUTH, timeout=5
    )
    assert r.status_code == 201
    assert r.headers["Location"] == "/orders/43"
    assert r.json() == {"id": 43, "status": "open", "item": "kettle", "quantity": 2}
    r = requests.patch(api.url("/orders/43"), json={"status": "shipped"}, headers=AUTH, timeout=5)
    assert r.status_code == 200 and r.json()["status"] == "shipped" and r.json()["item"] == "kettle"
    r = requests.put(
        api.url("/orders/43"), json={"item": "pot", "quantity": 1}, headers=AUTH, timeout=5
    )
    assert r.json() == {"id": 43, "status": "open", "item": "pot", "quantity": 1}
    r = requests.delete(api.url("/orders/43"), headers=AUTH, timeout=5)
    assert r.status_code == 204 and r.content == b""
    assert requests.get(api.url("/orders/43"), headers=AUTH, timeout=5).status_code == 404


def test_bad_bodies(api):
    r = requests.post(api.url("/orders"), data="item=mug", headers=AUTH, timeout=5)
    assert r.status_code == 415
    r = requests.post(
        api.url("/orders"),
        data="{not json",
        headers={**AUTH, "Content-Type": "application/json"},
        timeout=5,
    )
    assert r.status_code == 400
    r = requests.post(api.url("/orders"), json={"item": "mug"}, headers=AUTH, timeout=5)
    assert r.status_code == 422 and "quantity is required" in r.json()["problems"]


def test_etag_and_if_none_match(api):
    r = requests.get(api.url("/orders/42"), headers=AUTH, timeout=5)
    assert r.status_code == 200
    assert r.headers["ETag"] == etag_of(r.content)
    assert r.headers["Cache-Control"] == "private, no-cache"
    again = requests.get(
        api.url("/orders/42"), headers={**AUTH, "If-None-Match": r.headers["ETag"]}, timeout=5
    )
    assert again.status_code == 304 and again.content == b""
    assert again.headers["ETag"] == r.headers["ETag"]
    stale = requests.get(api.url("/orders/42"), headers={**AUTH, "If-None-Match": '"x"'}, timeout=5)
    assert stale.status_code == 200


def test_redirect_v1(api):
    r = requests.get(api.url("/v1/orders/42?x=1"), headers=AUTH, timeout=5)
    assert r.status_code == 200
    assert [h.status_code for h in r.history] == [301]
    assert r.history[0].headers["Location"] == "/orders/42?x=1"


def test_rate_limit_429(api):
    first = requests.get(api.url("/reports"), headers=AUTH, timeout=5)
    assert first.status_code == 200 and first.headers["X-RateLimit-Remaining"] == "0"
    second = requests.get(api.url("/reports"), headers=AUTH, timeout=5)
    assert second.status_code == 429
    assert 1 <= int(second.headers["Retry-After"]) <= REPORT_WINDOW
    # The window is per key: the other key still has its call.
    other = requests.get(api.url("/reports"), headers={"X-API-Key": READ_ONLY_KEY}, timeout=5)
    assert other.status_code == 200


def test_head_options_405_404(api):
    head = requests.head(api.url("/orders/42"), headers=AUTH, timeout=5)
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["Content-Length"]) > 0
    opts = requests.options(api.url("/orders"), timeout=5)
    assert opts.status_code == 204 and "POST" in opts.headers["Allow"]
    r = requests.delete(api.url("/orders"), headers=AUTH, timeout=5)
    assert r.status_code == 405 and "GET" in r.headers["Allow"]
    assert requests.get(api.url("/nowhere"), timeout=5).status_code == 404
    assert requests.get(api.url("/orders/abc"), headers=AUTH, timeout=5).status_code == 404


def test_stop_closes_the_port():
    with ApiServer() as server:
        port = server.port
        assert requests.get(server.url("/"), timeout=5).status_code == 200
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2)
