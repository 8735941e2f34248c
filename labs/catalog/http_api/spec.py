"""The http-api lab as declared: its target and options (see labs.core.spec)."""

from __future__ import annotations

import re

from labs.core.spec import LabSpec, Option, Target
from labs.model.errors import BadInput

#: RFC 9110 §5.6.2: a method is a token.
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def method(text: str) -> str:
    if not _TOKEN.fullmatch(text):
        raise BadInput(f"{text!r} is not an HTTP method.", "For example: GET, POST, PUT, DELETE.")
    return text.upper()


def header(text: str) -> tuple[str, str]:
    name, colon, value = text.partition(":")
    if not colon or not _TOKEN.fullmatch(name.strip()):
        raise BadInput(
            f"--header {text!r} is not 'Name: value'.",
            "For example: --header 'Accept: application/json'.",
        )
    value = value.strip()
    # RFC 9110 §5.5: no control characters (a CR/LF would start another
    # header); HTTP sends header bytes as Latin-1, so nothing beyond it.
    bad = next((c for c in value if (ord(c) < 32 and c != "\t") or ord(c) == 127), None)
    if bad is not None or any(ord(c) > 255 for c in value):
        what = "a control character" if bad is not None else "characters beyond Latin-1"
        raise BadInput(
            f"--header {text!r}: its value has {what}, which a header cannot carry.",
            "Use plain text; encode anything else (e.g. percent-encoding).",
        )
    return name.strip(), value


SPEC = LabSpec(
    id="http-api",
    title="Call an API",
    module=6,
    summary="Calls to an API and what comes back: status codes, headers, JSON, credentials, "
    "not found (404), too many requests (429), redirects, caching with ETag (GET, POST...).",
    package=__package__ or "",
    target=Target("url", "http(s)://HOST[:PORT]/PATH"),
    # The embedded API's ten calls are fixed; these describe a call to yours.
    target_options=("method", "headers", "data"),
    options=(
        Option(
            "method",
            "--method",
            "method",
            "text",
            "the HTTP method (default GET, POST with --data)",
            suggest=("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"),
            metavar="M",
            placeholder="method (GET)",
            parse=method,
        ),
        Option(
            "headers",
            "--header",
            "header",
            "list",
            "a request header; repeatable",
            metavar="'NAME: VALUE'",
            placeholder="header (Name: value)",
            parse=header,
        ),
        Option(
            "data",
            "--data",
            "body",
            "text",
            "the request body",
            metavar="D",
            placeholder="request body",
        ),
        Option(
            "insecure",
            "--insecure",
            "accept an untrusted certificate",
            "flag",
            "do not verify the server's certificate",
        ),
    ),
)
