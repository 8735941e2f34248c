"""The cors lab: a page on one origin calls an API on another.

The lab serves a page on 127.0.0.1 (one port: one origin) whose script
calls the API (another port: another origin) with fetch(), in headless
Chromium when it is installed, so the preflights are the browser's own.
Without Chromium, or with --no-browser, tutor sends the requests a browser
would send and applies the browser's rules itself: the trace says so in its
capture note and its sections. With --target URL the page calls your API.
"""

from __future__ import annotations

import ipaddress
from contextlib import ExitStack
from dataclasses import replace
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

from . import browser
from .explain import explain
from .result import Case, CorsResult
from .rules import needs_preflight
from .server import ApiServer, PageServer
from .standin import stand_in

__all__ = ["RESULT", "explain", "record"]

LAB = "cors"
RESULT = CorsResult
STAND_IN = (
    " No browser ran: tutor sent the requests a browser would send (Origin, and a preflight "
    "OPTIONS where a browser sends one) and applied the browser's CORS rules itself; the "
    "verdicts are tutor's, not Chromium's."
)


def check_target(text: str) -> tuple[str, str, int]:
    url = parse_url(text, LAB, "HTTP", ("http",), "For example: http://127.0.0.1:8000/api/orders")
    host = url.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise BadInput(
            f"The cors lab calls only an API on this machine, not {host}.",
            "Give http://127.0.0.1:PORT/PATH.",
        )
    return url.geturl(), "127.0.0.1" if host == "localhost" else host, url.port or 80


def plan_for(api: str, target: str | None) -> list[dict[str, Any]]:
    """The page script's calls: each meets one rule."""
    json_body = {"headers": {"Content-Type": "application/json"}, "body": '{"item": "tea"}'}
    if target is not None:
        return [
            {"name": "a simple GET", "method": "GET", "url": target, "headers": {}},
            {"name": "a POST of JSON (preflighted)", "method": "POST", "url": target, **json_body},
        ]
    return [
        {"name": "read the orders", "method": "GET", "url": api + "/api/orders", "headers": {}},
        {
            "name": "add an order as JSON",
            "method": "POST",
            "url": api + "/api/orders",
            **json_body,
        },
        {
            "name": "delete an order",
            "method": "DELETE",
            "url": api + "/api/orders/1",
            "headers": {},
        },
        {
            "name": "leave a note on the old endpoint",
            "method": "POST",
            "url": api + "/api/legacy/notes",
            "headers": {"Content-Type": "text/plain"},
            "body": "call me back",
        },
    ]


def record(req: LabRequest, ctx: LabContext) -> Recording[CorsResult]:
    target = check_target(req.target) if req.target else None
    use_browser = not req.option("no_browser") and browser.find() is not None
    parts: dict[str, Any] = {}

    def setup(stack: ExitStack) -> Plan:
        page = parts["page"] = stack.enter_context(PageServer())
        if target is None:
            ctx.say("Starting the page (one origin) and the API (another) on 127.0.0.1 ...")
            api = parts["api"] = stack.enter_context(ApiServer())
            api.allowed = page.origin
            base, port = api.base_url, api.port
        else:
            url, host, port = target
            if port_is_closed(host, port):
                raise LabError(
                    f"Nothing accepts connections at {url}.",
                    "Start your API first, or run without --target.",
                )
            base = f"http://{host}:{port}"
        page.plan = plan_for(base, target[0] if target else None)
        parts["stack"] = stack
        return Plan(target[0] if target else base + "/api/orders", (port,))

    def converse(cap: Capture, plan: Plan) -> CorsResult:
        page: PageServer = parts["page"]
        api: ApiServer | None = parts.get("api")
        port = plan.ports[0]
        if api is not None and cap.kind != "live":
            api.cap = cap  # the browser's sockets cannot be recorded: the server's can
        errors: list[str] = []
        if use_browser:
            ctx.say("Opening the page in headless Chromium ...")
            errors = browser.open_page(
                parts["stack"],
                page.origin + "/",
                ctx,
                req.timeout,
                page.reported,
                cap,
                port,
                lambda: sum(s.get("verdict") == "blocked" for s in page.report),
            )
            seen, name = page.report, browser.version(browser.find() or "chromium")
        else:
            import requests  # lazy: only a run needs it

            ctx.say("No browser: sending the requests a browser would send ...")
            session = requests.Session()
            session.trust_env = False
            session.mount("http://", cap.requests_adapter())
            try:
                with network_errors(plan.target, req.timeout):
                    seen = stand_in(session, page.origin, page.plan, req.timeout)
            finally:
                session.close()
            name = ""
        return CorsResult(
            cases=tuple(_case(c, s, errors) for c, s in zip(page.plan, seen, strict=False)),
            received=tuple(api.received) if api else (),
            page_origin=page.origin,
            api_port=port,
            browser=name,
            embedded=api is not None,
        )

    nothing = (
        "Nothing was captured: the browser's own packets to your server can only be captured live.",
        "Run as root for live capture, or add --no-browser.",
    )
    rec = capture_run(ctx, LAB, setup, converse, nothing=nothing)
    if not use_browser:
        rec = replace(rec, capture_note=rec.capture_note + STAND_IN)
    return rec


def _case(plan: dict[str, Any], seen: dict[str, Any], errors: list[str]) -> Case:
    headers = plan.get("headers", {})
    why = str(seen.get("error", ""))
    url = plan["url"]
    own = next((e for e in errors if f"'{url}'" in e), "")
    if seen.get("verdict") == "blocked" and own:
        why = "Chromium: " + own
    elif seen.get("verdict") == "allowed":
        kind = (
            "preflight allowed it" if needs_preflight(plan["method"], headers) else "no preflight"
        )
        why = f"{kind}; Access-Control-Allow-Origin names this origin"
    path = urlsplit(url).path or "/"
    return Case(
        name=str(plan["name"]),
        method=plan["method"],
        url=path,
        content_type=headers.get("Content-Type", ""),
        verdict=str(seen.get("verdict", "?")),
        status=int(seen.get("status") or 0),
        why=why,
    )
