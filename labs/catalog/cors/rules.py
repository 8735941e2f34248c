"""The browser's CORS rules (the Fetch standard), as far as the lab needs
them: which requests go out without asking (the ones an HTML form could
always send), what a preflight must answer, and whether the script may read
a response. Used to explain what Chromium did, and to stand in for it when
there is no browser: then tutor sends the requests a browser would send and
applies these rules itself, and says so."""

from __future__ import annotations

from typing import Any

SIMPLE_METHODS = ("GET", "HEAD", "POST")
SIMPLE_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain")


def needs_preflight(method: str, headers: dict[str, str]) -> bool:
    """A request a form could not send: another method, another content type,
    or a header of the script's own."""
    if method not in SIMPLE_METHODS:
        return True
    for name, value in headers.items():
        low = name.lower()
        if low == "content-type" and value.split(";")[0].strip().lower() in SIMPLE_TYPES:
            continue
        if low in ("accept", "accept-language", "content-language"):
            continue
        return True
    return False


def origin_ok(answer: dict[str, str], origin: str) -> bool:
    allowed = answer.get("access-control-allow-origin", "")
    return allowed in (origin, "*")


def preflight_ok(
    answer: dict[str, str], status: int, origin: str, method: str, headers: dict[str, str]
) -> str:
    """ "" when the preflight allows the request, else why not."""
    if not 200 <= status < 300:
        return f"the preflight was answered {status}, not 2xx"
    if not origin_ok(answer, origin):
        return "the preflight answer has no Access-Control-Allow-Origin for this origin"
    methods = [m.strip().upper() for m in answer.get("access-control-allow-methods", "").split(",")]
    if method not in SIMPLE_METHODS and method not in methods and "*" not in methods:
        return f"{method} is not in Access-Control-Allow-Methods"
    allowed = [h.strip().lower() for h in answer.get("access-control-allow-headers", "").split(",")]
    for name in headers:
        if (
            name.lower() not in allowed
            and "*" not in allowed
            and needs_preflight("GET", {name: ""})
        ):
            return f"the header {name} is not in Access-Control-Allow-Headers"
    return ""


def lower(headers: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}
