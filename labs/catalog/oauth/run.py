"""The oauth lab: getting and using access tokens, captured and explained.

Without --target the lab starts its own authorization server and API
(`server.py`) and plays two clients: a backend job (client credentials),
and a shop app that signs its user in (authorization code with PKCE: a
stolen code tried without the verifier, then the real exchange), then calls
the API with a tampered token, the real one, the real one once expired, and
a refreshed one. With --target URL it reads that server's metadata and runs
what the given client allows there.
"""

from __future__ import annotations

import ipaddress
import secrets
from contextlib import ExitStack
from typing import Any
from urllib.parse import urlsplit

from labs.kit import (
    BadInput,
    Capture,
    LabContext,
    LabError,
    LabRequest,
    Plan,
    Recording,
    capture_run,
    network_errors,
    parse_url,
    port_is_closed,
)

from .explain import explain
from .flows import Client, claims_of, pkce_pair, tamper, wait_until
from .result import OAuthResult
from .server import AuthServer
from .validator import REDIRECT_URI

__all__ = ["RESULT", "explain", "record"]

LAB = "oauth"
RESULT = OAuthResult


def check_target(text: str) -> tuple[str, str, int]:
    """The learner's authorization server, which must be on this machine
    (the capture listens on loopback; the lab sends it credentials)."""
    url = parse_url(text, LAB, "HTTP", ("http",), "For example: http://127.0.0.1:9000")
    host = url.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise BadInput(
            f"The oauth lab talks only to a server on this machine, not {host}.",
            "Start your authorization server on 127.0.0.1 and give http://127.0.0.1:PORT.",
        )
    return url.geturl().rstrip("/"), "127.0.0.1" if host == "localhost" else host, url.port or 80


def record(req: LabRequest, ctx: LabContext) -> Recording[OAuthResult]:
    target = check_target(req.target) if req.target else None
    job_secret = secrets.token_urlsafe(18)
    parts: dict[str, Any] = {}

    def setup(stack: ExitStack) -> Plan:
        if target is None:
            ctx.say("Starting the lab's authorization server and API on 127.0.0.1 ...")
            server = stack.enter_context(AuthServer(job_secret))
            parts["base"] = server.base_url
            return Plan(server.base_url, (server.port,))
        base, host, port = target
        if port_is_closed(host, port):
            raise LabError(
                f"Nothing accepts connections at {base}.",
                "Start your server first, or run without --target.",
            )
        parts["base"] = base
        return Plan(base, (port,))

    def converse(cap: Capture, plan: Plan) -> OAuthResult:
        import requests  # lazy: only a run needs it

        client = Client(cap.requests_adapter(), parts["base"], req.timeout, ctx)
        try:
            with network_errors(parts["base"], req.timeout):
                if target is None:
                    return _embedded(client, job_secret, plan.ports[0], ctx)
                return _yours(client, req, plan.ports[0])
        except requests.RequestException as exc:
            raise LabError(f"A request to {parts['base']} failed: {exc}.") from None
        finally:
            client.close()

    return capture_run(ctx, LAB, setup, converse)


def _embedded(c: Client, job_secret: str, port: int, ctx: LabContext) -> OAuthResult:
    meta = c(
        "discovery",
        "read where the server's endpoints are",
        "GET",
        c.base + "/.well-known/oauth-authorization-server",
    ).json()
    token_url, api = meta["token_endpoint"], c.base + "/api/orders"
    job = c.token(
        "client credentials",
        "the backend job asks for a token with its own id and secret",
        token_url,
        {"grant_type": "client_credentials", "scope": "orders:read"},
        auth=("reports-job", job_secret),
    )
    tokens = [job["access_token"]]
    c(
        "API",
        "the job calls the API with its token",
        "GET",
        api,
        headers={"Authorization": f"Bearer {tokens[0]}"},
    )
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(12)
    _status, code = c.authorize(
        meta["authorization_endpoint"], "shop-app", REDIRECT_URI, "orders:read", challenge, state
    )
    exchange = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "client_id": "shop-app",
    }
    wrong, _ = pkce_pair()
    c.token(
        "code + PKCE",
        "someone who intercepted the code tries it, without the verifier",
        token_url,
        {**exchange, "code_verifier": wrong},
        fact="wrong_verifier_status",
    )
    app = c.token(
        "code + PKCE",
        "the app exchanges the code, proving it with the verifier",
        token_url,
        {**exchange, "code_verifier": verifier},
    )
    if "access_token" not in app:
        raise LabError(f"The server refused the code exchange ({app.get('error')}).")
    tokens.append(app["access_token"])
    jwks = c(
        "API", "fetch the server's public keys, to check token signatures", "GET", meta["jwks_uri"]
    ).text
    forged = tamper(tokens[1])
    bearer = {"Authorization": f"Bearer {forged}"}
    c(
        "API",
        "call the API with the token's claims changed (more scope, a later expiry)",
        "GET",
        api,
        headers=bearer,
        fact="tampered_status",
    )
    bearer = {"Authorization": f"Bearer {tokens[1]}"}
    c("API", "the app calls the API with its token", "GET", api, headers=bearer)
    ctx.say("Waiting for the app's token to expire ...")
    waited = wait_until(int(claims_of(tokens[1]).get("exp", 0)), ctx)
    c(
        "API",
        "the same token, now past its expiry",
        "GET",
        api,
        headers=bearer,
        fact="expired_status",
    )
    fresh = c.token(
        "refresh",
        "the app swaps its refresh token for a new access token",
        token_url,
        {
            "grant_type": "refresh_token",
            "client_id": "shop-app",
            "refresh_token": app["refresh_token"],
        },
    )
    if "access_token" not in fresh:
        raise LabError(f"The server refused the refresh ({fresh.get('error')}).")
    tokens.append(fresh["access_token"])
    c(
        "API",
        "the app calls the API with the new token",
        "GET",
        api,
        headers={"Authorization": f"Bearer {tokens[2]}"},
    )
    return OAuthResult(
        calls=tuple(c.calls),
        issuer=c.base,
        port=port,
        embedded=True,
        verifier=verifier,
        challenge=challenge,
        state=state,
        tokens=tuple(tokens),
        refresh_tokens=(app["refresh_token"], fresh.get("refresh_token", "")),
        codes=(code,),
        client_secret=job_secret,
        tampered=forged,
        jwks=jwks,
        waited=waited,
    )


def _same_server(url: str, base: str) -> bool:
    a, b = urlsplit(url), urlsplit(base)
    return (a.hostname, a.port or 80) == (b.hostname, b.port or 80)


def _yours(c: Client, req: LabRequest, port: int) -> OAuthResult:
    """Against the learner's server: what its metadata and the given client allow."""
    notes: list[str] = []
    resp = c(
        "discovery",
        "read where the server's endpoints are (RFC 8414)",
        "GET",
        c.base + "/.well-known/oauth-authorization-server",
    )
    if resp.status_code != 200:
        resp = c(
            "discovery",
            "no RFC 8414 metadata: try OpenID Connect's",
            "GET",
            c.base + "/.well-known/openid-configuration",
        )
    try:
        meta: dict[str, Any] = resp.json() if resp.status_code == 200 else {}
    except ValueError:
        meta = {}
    client_id: str = req.option("client_id") or ""
    secret: str = req.option("client_secret") or ""
    scope: str = req.option("scope") or ""
    tokens: list[str] = []
    refresh: list[str] = []
    codes: list[str] = []
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(12)
    token_url, auth_url = meta.get("token_endpoint", ""), meta.get("authorization_endpoint", "")
    for name, url in (("token", token_url), ("authorization", auth_url)):
        if url and not _same_server(url, c.base):
            notes.append(
                f"The {name} endpoint {url} is on another server: the lab stays on "
                f"{c.base}, so it skipped that step."
            )
    if not meta:
        notes.append("No metadata at /.well-known/: the lab cannot know the endpoints.")
    ok_token = bool(token_url) and _same_server(token_url, c.base)
    if ok_token and client_id and secret:
        form = {"grant_type": "client_credentials", **({"scope": scope} if scope else {})}
        got = c.token(
            "client credentials",
            "ask for a token with the client's id and secret",
            token_url,
            form,
            auth=(client_id, secret),
        )
        tokens += [got["access_token"]] if "access_token" in got else []
    elif not secret:
        notes.append("No --client-secret: client credentials skipped.")
    if ok_token and client_id and auth_url and _same_server(auth_url, c.base):
        status, code = c.authorize(auth_url, client_id, REDIRECT_URI, scope, challenge, state)
        if code:
            codes.append(code)
            got = c.token(
                "code + PKCE",
                "exchange the code, proving it with the verifier",
                token_url,
                {
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": REDIRECT_URI,
                    "client_id": client_id,
                    "code_verifier": verifier,
                },
            )
            tokens += [got["access_token"]] if "access_token" in got else []
            refresh += [got["refresh_token"]] if "refresh_token" in got else []
        else:
            notes.append(
                f"The login answered {status}, not a redirect with a code: it wants a "
                "person to sign in (or refused the request), so the code flow stops "
                "there. The lab's own server signs its demo user in at once."
            )
    return OAuthResult(
        calls=tuple(c.calls),
        issuer=str(meta.get("issuer", c.base)),
        port=port,
        embedded=False,
        verifier=verifier,
        challenge=challenge,
        state=state,
        tokens=tuple(tokens),
        refresh_tokens=tuple(refresh),
        codes=tuple(codes),
        client_secret=secret,
        tampered="",
        jwks="",
        waited=0.0,
        notes=tuple(notes),
    )
