"""The oauth lab's client: the requests an app and a backend job make, each
noted with why. PKCE's verifier and challenge are computed here by hand
(RFC 7636 section 4: two lines) so the explanation can show each step; the
tests check them against oauthlib's own client."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from labs.kit import LabContext, LabError

from .result import Call


def pkce_pair() -> tuple[str, str]:
    """A code_verifier (43 characters of base64url from 32 random bytes) and
    its S256 code_challenge: BASE64URL(SHA256(verifier)), without padding."""
    verifier = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def tamper(token: str) -> str:
    """The token with more rights written into its claims, signature kept:
    what anyone can do, since the claims are only base64url."""
    head, claims, sig = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    data.update(scope="orders:read orders:write", exp=int(data.get("exp", 0)) + 86400)
    raw = json.dumps(data, separators=(",", ":")).encode()
    return f"{head}.{base64.urlsafe_b64encode(raw).rstrip(b'=').decode()}.{sig}"


class Client:
    """Makes the lab's requests through a session on the capture's adapter."""

    def __init__(self, adapter: Any, base: str, timeout: float, ctx: LabContext) -> None:
        import requests  # lazy: only a run needs it

        self.session = requests.Session()
        self.session.trust_env = False  # no proxy, no ~/.netrc: exactly what is shown
        self.session.mount("http://", adapter)
        self.base = base
        self.timeout = timeout
        self.ctx = ctx
        self.calls: list[Call] = []

    def close(self) -> None:
        self.session.close()

    def __call__(
        self, flow: str, why: str, method: str, url: str, fact: str = "", **kw: Any
    ) -> Any:
        self.ctx.check()
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        self.ctx.say(f"{method} {parts.path}: {why}")
        resp = self.session.request(method, url, timeout=self.timeout, allow_redirects=False, **kw)
        self.calls.append(Call(why, method, path, resp.status_code, flow, fact))
        return resp

    def token(
        self,
        flow: str,
        why: str,
        url: str,
        form: dict[str, str],
        auth: tuple[str, str] | None = None,
        fact: str = "",
    ) -> dict[str, Any]:
        resp = self(flow, why, "POST", url, fact=fact, data=form, auth=auth)
        try:
            answer: dict[str, Any] = resp.json()
        except ValueError:
            answer = {}
        return (
            answer if resp.status_code == 200 else {"error": answer.get("error", resp.status_code)}
        )

    def authorize(
        self, url: str, client_id: str, redirect: str, scope: str, challenge: str, state: str
    ) -> tuple[int, str]:
        """The request a browser makes when the app sends the user to log in;
        (status, the code in the redirect or "")."""
        query = urlencode(
            {
                "response_type": "code",
                "client_id": client_id,
                "redirect_uri": redirect,
                **({"scope": scope} if scope else {}),
                "state": state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        resp = self(
            "code + PKCE", "the browser asks the server to log the user in", "GET", f"{url}?{query}"
        )
        where = urlsplit(resp.headers.get("Location", ""))
        got = parse_qs(where.query)
        if resp.status_code not in (302, 303) or "code" not in got:
            return resp.status_code, ""
        if got.get("state", [""])[0] != state:
            raise LabError("The redirect came back with another state: refusing the code (CSRF).")
        return resp.status_code, got["code"][0]


def wait_until(exp: int, ctx: LabContext) -> float:
    """Sleep past `exp` (seconds since 1970), checking for cancel; the wait."""
    start = time.monotonic()
    while time.time() < exp + 0.05:
        ctx.check()
        time.sleep(0.05)
    return round(time.monotonic() - start, 1)


def claims_of(token: str) -> dict[str, Any]:
    """The claims of a JWT, decoded and NOT verified (that is the point shown)."""
    import jwt  # lazy: PyJWT

    try:
        out: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        return {}
    return out
