"""The oauth lab against real servers: its own authorization server and API
(client credentials, the code flow with PKCE, a stolen code, a tampered
token, expiry, refresh) in both capture modes, and a second authorization
server on 127.0.0.1 given as --target; every Wireshark field against
tshark; PKCE against oauthlib's client; every credential masked."""

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
from oauthlib.oauth2 import WebApplicationClient

from labs.api import BadInput
from labs.catalog.oauth.flows import pkce_pair, tamper
from labs.catalog.oauth.server import AuthServer
from labs.model.trace import mask_secrets

FACTS = {
    "code_challenge_method": "S256",
    "wrong_verifier_status": "400",
    "tampered_status": "401",
    "expired_status": "401",
    "jwt_parts": "3",
}
STATUSES = ["200", "200", "200", "302", "400", "200", "200", "401", "200", "401", "200", "200"]


@pytest.fixture(scope="module")
def embedded() -> Any:
    return run("oauth")


def statuses(trace: Any) -> list[str]:
    """The response codes in time order (live capture may list a connection late)."""
    return [
        p.field("http.response.code").value
        for p in sorted(trace.packets, key=lambda p: p.time)
        if p.field("http.response.code")
    ]


def test_embedded_run_reports_every_fact(mode) -> None:
    trace = run("oauth")
    assert trace.capture == mode
    assert {f.name: f.value for f in trace.facts} == FACTS
    assert statuses(trace) == STATUSES


def test_pkce_challenge_is_oauthlibs() -> None:
    verifier, challenge = pkce_pair()
    assert len(verifier) == 43
    assert WebApplicationClient("x").create_code_challenge(verifier, "S256") == challenge


def test_tampered_token_keeps_the_signature() -> None:
    token = "eyJhbGciOiJSUzI1NiJ9.eyJzY29wZSI6Im9yZGVyczpyZWFkIiwiZXhwIjoxfQ.c2ln"
    head, claims, sig = tamper(token).split(".")
    assert head == token.split(".")[0] and sig == "c2ln" and claims != token.split(".")[1]


def test_every_credential_is_masked(embedded) -> None:
    secrets = embedded.secret_values()
    tokens = [v for v in secrets if v.startswith("eyJ") and v.count(".") == 2]
    # the job's, the app's, the refreshed one, and the tampered one (sent as
    # `Authorization: Bearer ...`, whose credential alone is masked)
    assert len(tokens) == 4
    for token in tokens:  # each signature too: with it, the decoded parts rebuild the token
        assert token.rsplit(".", 1)[1] in secrets
    pkce = next(s.body for s in embedded.sections if s.title.startswith("PKCE"))
    verifier = pkce.split("never sent at first: ")[1].split("\n")[0]
    assert verifier in secrets and verifier not in mask_secrets(pkce, secrets)
    sections = {s.title for s in embedded.sections}
    assert "The access token is a JWT: decoded, then verified" in sections
    jwt = next(s.body for s in embedded.sections if s.title.startswith("The access token"))
    assert "this token: valid" in jwt and "the tampered one: NOT valid" in jwt


@pytest.mark.skipif(TSHARK is None, reason="tshark is not installed")
def test_every_field_equals_tsharks(embedded, tmp_path) -> None:
    port = int(embedded.packets[0].dst.rpartition(":")[2])
    assert check_with_tshark(embedded, tmp_path, (port,)) > 500


@pytest.fixture
def second() -> Iterator[AuthServer]:
    with AuthServer("second-secret", app_lifetime=60) as server:
        yield server


def test_your_server_client_credentials_and_pkce(second, mode) -> None:
    trace = run(
        "oauth",
        target=second.base_url,
        client_id="reports-job",
        client_secret="second-secret",
        scope="orders:read",
    )
    assert statuses(trace)[:2] == ["200", "200"]
    notes = next(s.body for s in trace.sections if s.title.startswith("What the lab could not"))
    assert "reports-job" not in notes  # the job cannot log a user in: the login answered 400
    basic = base64.b64encode(b"reports-job:second-secret").decode()  # Basic's credential
    assert "second-secret" in trace.secret_values() or basic in trace.secret_values()
    app = run("oauth", target=second.base_url, client_id="shop-app")
    assert statuses(app) == ["200", "302", "200"]
    assert {f.name: f.value for f in app.facts}["code_challenge_method"] == "S256"


@pytest.mark.parametrize(
    "given, why",
    [
        ({"target": "http://198.51.100.7:9000"}, "only to a server on this machine"),
        ({"target": "ftp://127.0.0.1"}, "speaks HTTP"),
        ({"scope": 'a "b"'}, "not a list of scopes"),
    ],
)
def test_bad_input_is_one_line(given, why) -> None:
    with pytest.raises(BadInput, match=why):
        run("oauth", **given)


class _Opaque(BaseHTTPRequestHandler):
    """Another kind of authorization server: OpenID Connect discovery only,
    opaque tokens, and a login page that wants a person."""

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, body: str, ctype: str = "application/json") -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        if self.path == "/.well-known/openid-configuration":
            meta = {"issuer": base, "authorization_endpoint": base + "/login",
                    "token_endpoint": base + "/oauth/token"}  # fmt: skip
            self._send(200, json.dumps(meta))
        elif self.path.startswith("/login"):
            self._send(200, "<form>user <input name=u> password <input name=p></form>", "text/html")
        else:
            self._send(404, "{}")

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers["Content-Length"]))
        good = "Basic " + base64.b64encode(b"partner:opaque-secret").decode()
        if self.headers.get("Authorization") != good:
            self._send(401, '{"error": "invalid_client"}')
            return
        self._send(
            200, '{"access_token": "opaque-7f0c2a9b", "token_type": "Bearer", "expires_in": 60}'
        )


@pytest.fixture
def opaque() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Opaque)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,))
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_another_kind_of_server(opaque, mode) -> None:
    trace = run("oauth", target=opaque, client_id="partner", client_secret="opaque-secret")
    # No RFC 8414 metadata (404), OpenID Connect's (200), the token (200), the login page (200).
    assert statuses(trace) == ["404", "200", "200", "200"]
    sections = {s.title: s.body for s in trace.sections}
    assert "opaque" in sections["The access token"]
    assert "wants a person to sign in" in sections["What the lab could not do there"]
    assert "opaque-7f0c2a9b" in trace.secret_values()
