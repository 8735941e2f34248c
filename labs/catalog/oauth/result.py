"""What a run of the oauth lab knows besides the packets: each request and
why it was made, and the values the explanation recomputes or decodes (the
PKCE verifier and challenge, the tokens) or must mask wherever they appear."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Call:
    why: str
    method: str
    #: The path and query (the host is the server's).
    path: str
    status: int
    #: The flow it belongs to: "discovery", "client credentials", "code + PKCE", "API", "refresh".
    flow: str
    #: The FACTS.md fact its status answers, if any.
    fact: str = ""


@dataclass(frozen=True)
class OAuthResult:
    calls: tuple[Call, ...]
    issuer: str
    port: int
    #: The lab's own server (scripted: expiry, a wrong verifier, a tampered token).
    embedded: bool
    verifier: str
    challenge: str
    state: str
    #: Every access token issued, in order (all JWTs on the embedded server).
    tokens: tuple[str, ...]
    refresh_tokens: tuple[str, ...]
    codes: tuple[str, ...]
    client_secret: str
    #: The token with its claims changed and its signature kept.
    tampered: str
    #: The server's public keys (jwks_uri), to check signatures with.
    jwks: str
    #: Seconds the lab waited for a token to expire.
    waited: float
    #: What could not be done against a learner's server, and why.
    notes: tuple[str, ...] = ()
