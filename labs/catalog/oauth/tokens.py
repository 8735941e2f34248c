"""The oauth lab's three worked examples: PKCE's challenge recomputed from
the verifier, an access token taken apart (and checked against the server's
public key: decoding is not verifying), and a token's expiry and refresh."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from labs.kit import Section, code_prose

from .result import OAuthResult


def _b64url(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _json(part: str) -> dict[str, Any]:
    try:
        data = json.loads(_b64url(part))
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def pkce_section(res: OAuthResult) -> Section:
    digest = hashlib.sha256(res.verifier.encode("ascii")).digest()
    again = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    got = "" if not res.codes else res.codes[0]
    sent = f"never sent at first: {res.verifier}"
    same = f"the same: {'yes' if again == res.challenge else 'NO'}"
    step = "   "  # a numbered step's later lines sit under its words
    lines = [
        *code_prose(
            "An app on a phone or in a browser cannot keep a client secret: anyone can unpack "
            "it. PKCE (RFC 7636) replaces the secret with a one-time proof, made fresh for "
            "each login:"
        ),
        "",
        *code_prose(
            f"1. code_verifier: 32 random bytes in base64url, {len(res.verifier)} characters, "
            f"kept by the app and {sent}",
            hang=step,
            keep=sent,
        ),
        *code_prose(f"2. SHA-256 of it: {digest.hex()}", hang=step),
        *code_prose(f"3. In base64url without '=' padding, the code_challenge: {again}", hang=step),
        *code_prose(f"(the one the app sent: {res.challenge}; {same})", step, keep=same),
        *code_prose(
            "4. The login request (GET /authorize) carries the challenge and "
            "code_challenge_method=S256, plus a random state the app checks on return "
            f"(against forged redirects): {res.state}",
            hang=step,
        ),
        *code_prose(
            "5. The server answers with a redirect (302) to the app's redirect_uri, with the "
            f"authorization code in the Location header: {got or '(none came back)'}",
            hang=step,
        ),
        *code_prose(
            "6. The app sends the code with the verifier to the token endpoint; the server "
            "hashes the verifier and compares it with the challenge it kept.",
            hang=step,
        ),
        "",
        *code_prose(
            "Whoever intercepts the code (a malicious app registered for the same redirect, a "
            "log) lacks the verifier: the server answers 400 invalid_grant, as the stolen try "
            "above shows. The challenge alone does not help: SHA-256 cannot be run backwards."
        ),
    ]
    # "code": the values (verifier, hash, challenge, code) are shown whole, each
    # where it can be copied; the sentences around them are broken by `_wrap`.
    return Section("PKCE, step by step", "\n".join(lines), "code")


def _when(value: Any) -> str:
    try:
        return datetime.fromtimestamp(int(value), UTC).isoformat(timespec="seconds")
    except (TypeError, ValueError, OverflowError):
        return "?"


def verified(token: str, jwks: str) -> str:
    """Whether the token's signature checks out against the server's public
    key (the expiry is not judged: a stored run is explained later)."""
    import jwt  # lazy: PyJWT

    try:
        keys = jwt.PyJWKSet.from_json(jwks)
        kid = jwt.get_unverified_header(token).get("kid")
        key = next((k for k in keys.keys if k.key_id == kid), keys.keys[0])
        jwt.decode(
            token, key.key, algorithms=["RS256"], options={"verify_exp": False, "verify_aud": False}
        )
    except (jwt.PyJWTError, IndexError, ValueError) as exc:
        return f"NOT valid ({exc})"
    return "valid"


def jwt_section(res: OAuthResult) -> Section:
    token = res.tokens[-1] if len(res.tokens) < 2 else res.tokens[1]
    if token.count(".") != 2:
        return Section(
            "The access token",
            "This server's token is not a JWT: it is opaque, "
            "a reference only the server can look up. Nothing to decode.",
        )
    head, body, sig = token.split(".")
    claims = _json(body)
    lines = [
        "A JWT is three base64url parts joined by dots: header.claims.signature.",
        "",
        "Header, decoded:",
        "  " + json.dumps(_json(head)),
        "Claims, decoded:",
        *(
            f"  {k}: {json.dumps(v)}" + (f"  ({_when(v)})" if k in ("iat", "exp") else "")
            for k, v in claims.items()
        ),
        # The signature on a line of its own, whole, however long: the words fit.
        f"Signature: {len(_b64url(sig))} bytes:",
        f"  {sig}",
        "",
        *code_prose(
            "Decoding is not verifying. The lab read those claims without any key: so can "
            "anyone holding the token, so never put a secret in a claim. And anyone can write "
            "new claims: the lab changed scope and exp, kept the signature, and called the API "
            "with it; the API refused it (401), because the signature no longer matches."
        ),
    ]
    if res.jwks:
        lines += [
            "",
            *code_prose(
                "Verifying: check the signature with the server's public key (from jwks_uri), "
                "then iss, aud and exp:"
            ),
            f"  this token: {verified(token, res.jwks)}",
            f"  the tampered one: {verified(res.tampered, res.jwks)}",
        ]
    return Section("The access token is a JWT: decoded, then verified", "\n".join(lines), "code")


def refresh_section(res: OAuthResult) -> Section:
    first = _json(res.tokens[1].split(".")[1]) if len(res.tokens) > 1 else {}
    life = int(first.get("exp", 0)) - int(first.get("iat", 0))
    rotated = len(res.refresh_tokens) > 1 and res.refresh_tokens[0] != res.refresh_tokens[1]
    lines = [
        f"The app's access token lived {life} s (the lab's server makes them short so you "
        "can watch one die; real ones live minutes to an hour). A short life limits what a "
        "stolen token is worth.",
        f"The lab waited {res.waited:g} s and called again: 401, with a WWW-Authenticate "
        'header saying error="invalid_token". The token did not change; the clock did.',
        "Instead of sending the user to log in again, the app sent its refresh token to the "
        "token endpoint (grant_type=refresh_token) and got a new access token"
        + (
            ", and a new refresh token: the old one is spent (rotation), so a stolen copy "
            "stops working once either side uses it."
            if rotated
            else "."
        ),
    ]
    return Section("Expiry and refresh", "\n".join(lines))
