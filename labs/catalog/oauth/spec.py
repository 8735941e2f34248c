"""The oauth lab as declared: an authorization server on this machine, and
the client it may use there (see labs.core.spec)."""

from __future__ import annotations

import re

from labs.core.spec import LabSpec, Option, Target
from labs.model.errors import BadInput

#: RFC 6749 appendix A: client ids and secrets are printable ASCII; scopes are
#: space-separated tokens without quotes or backslashes.
_PRINTABLE = re.compile(r"[\x20-\x7e]{1,200}")
_SCOPE = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*")


def printable(text: str) -> str:
    if not _PRINTABLE.fullmatch(text):
        raise BadInput("Client ids and secrets are 1 to 200 printable ASCII characters.")
    return text


def scope(text: str) -> str:
    if not _SCOPE.fullmatch(text):
        raise BadInput(f"--scope {text!r} is not a list of scopes.", "For example: 'orders:read'.")
    return text


SPEC = LabSpec(
    id="oauth",
    title="OAuth 2.0: tokens, PKCE and JWTs",
    module=6,
    summary="An authorization server: client credentials, the code flow with PKCE, the "
    "access token as a JWT decoded (not verified!), calling the API, expiry and refresh.",
    package=__package__ or "",
    target=Target("url", "http://127.0.0.1:PORT of your authorization server (its issuer)"),
    options=(
        Option(
            "client_id",
            "--client-id",
            "client id",
            "text",
            "with --target: the client to use there",
            metavar="ID",
            placeholder="client id",
            parse=printable,
        ),
        Option(
            "client_secret",
            "--client-secret",
            "client secret",
            "text",
            "with --target: that client's secret (for client credentials)",
            metavar="SECRET",
            placeholder="client secret",
            parse=printable,
        ),
        Option(
            "scope",
            "--scope",
            "scope",
            "text",
            "with --target: the scopes to ask for",
            metavar="'A B'",
            placeholder="scopes",
            parse=scope,
        ),
    ),
)
