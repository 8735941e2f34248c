"""The http-api lab: real API calls with requests, captured and explained.

Without a target it starts the embedded orders API (`labs.catalog.http_api.server`) and
runs a short scenario that meets each thing the lessons teach: 401 without a
key, a page of JSON, 201 + Location, ETag then 304, a 301 hop, a 404 and a
429, each on a connection of its own (the server answers `Connection:
close`); then three requests on one kept-alive connection to a copy of the
API that keeps connections open (`labs.catalog.http_api.keepalive` compares
the two). With `--target URL` it makes the one request the learner describes
(`--method`, `--header`, `--data`), following redirects hop by hop.

Each exchange is read from the bytes the client really sent and received
(`labs.catalog.http_api.explain`); for https the wire shows TLS records only, and the
HTTP inside the tunnel is added as packets marked "inside-tls".
"""

from __future__ import annotations

import ipaddress
import json
import socket
from contextlib import ExitStack
from dataclasses import replace
from urllib.parse import urljoin

from labs.catalog.http_api.calls import Caller, check_url, friendly_errors, hide_password
from labs.catalog.http_api.explain import (
    Exchange,
    curl_section,
    exchange_section,
    exchanges,
    overview_section,
)
from labs.catalog.http_api.facts import facts_for, tunnel_section
from labs.catalog.http_api.keepalive import connection_facts, connections_section
from labs.catalog.http_api.result import ApiResult
from labs.catalog.http_api.server import API_KEY, ApiServer
from labs.kit import (
    Capture,
    LabContext,
    LabRequest,
    Packet,
    Plan,
    Recording,
    Step,
    Trace,
    capture_run,
    capture_where,
    make_trace,
    resolve,
    sender_ip,
)

LAB = "http-api"
RESULT = ApiResult


#: The kept-alive part: three reads on one connection to the keep-alive copy.
KEPT_ALIVE = (
    ("keep-alive: read order 42 (this first request opens the connection)", "/orders/42"),
    ("keep-alive: the first page of orders, on the same connection", "/orders?page=1&per_page=3"),
    ("keep-alive: order 42 again, still the same connection", "/orders/42"),
)


def _kept_alive(call: Caller, base: str) -> None:
    """The same API from a server that keeps connections open: requests
    reuses the one connection its pool holds for that address."""
    for why, path in KEPT_ALIVE:
        call(why, "GET", base + path, {"X-API-Key": API_KEY})


def _embedded(call: Caller, base: str) -> None:
    """The scenario against the embedded API, one lesson point per request."""
    key = {"X-API-Key": API_KEY}
    call("ask for the orders without any credentials", "GET", base + "/orders", {},
         fact="status_without_key")  # fmt: skip
    call("ask again with the API key: the first page of orders", "GET",
         base + "/orders?page=1&per_page=3", key)  # fmt: skip
    created = call(
        "create an order: a JSON body, the key sent as a Bearer token this time",
        "POST",
        base + "/orders",
        {"Authorization": f"Bearer {API_KEY}"},
        json_body={"item": "oat milk", "quantity": 2},
        fact="status_created",
    )
    where = urljoin(base + "/", created.get("Location", "/orders/43"))
    first = call("read the new order: the response carries a version tag (ETag)", "GET", where, key)
    tag = first.get("ETag", '"none"')
    call("ask again, sending the tag back: has it changed?", "GET", where,
         {**key, "If-None-Match": tag}, fact="status_revalidated")  # fmt: skip
    call("use an old address (/v1): the server redirects to the new one", "GET",
         base + "/v1/orders/42", key)  # fmt: skip
    call("ask for an order that does not exist", "GET", base + "/orders/999", key)
    call("run a report (limited to one a minute per key)", "GET", base + "/reports", key)
    call("run the report again straight away", "GET", base + "/reports", key,
         fact="status_rate_limited")  # fmt: skip


def _yours(call: Caller, url: str, req: LabRequest) -> None:
    """The one request the learner described."""
    headers = dict(req.option("headers"))
    chosen = tuple(k.lower() for k in headers)
    text: str | None = req.option("data")
    data = text.encode() if text is not None else None
    method = (req.option("method") or ("POST" if data is not None else "GET")).upper()
    kind = ""
    if data is not None and not any(k.lower() == "content-type" for k in headers):
        try:
            json.loads(data)
        except ValueError:
            pass
        else:
            headers["Content-Type"] = "application/json"
            kind = "data"
    call("your request", method, url, headers, data=data, body_kind=kind, setter="you",
         set_here=chosen)  # fmt: skip


def _is_ip(host: str) -> bool:
    """An IP literal: getaddrinfo reads it as it is, with no DNS query."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def record(req: LabRequest, ctx: LabContext) -> Recording[ApiResult]:
    target = check_url(req.target) if req.target else None
    insecure = bool(req.option("insecure"))
    # Filled by `setup` for `converse`: the URL to call ("url"), the embedded API's base ("base").
    where: dict[str, str] = {}

    def setup(stack: ExitStack) -> Plan:
        if target is None:
            ctx.say("Starting the lab's own orders API on 127.0.0.1 ...")
            api = stack.enter_context(ApiServer())
            kept = stack.enter_context(ApiServer(keep_alive=True))
            where["url"], where["base"] = api.url("/orders"), api.base_url
            where["kept"] = kept.base_url
            return Plan(where["url"], (api.port, kept.port))
        where["url"] = target.geturl()
        port = target.port or (443 if target.scheme == "https" else 80)
        name = target.hostname or ""
        ctx.say(
            f"{name} is an address: no DNS lookup needed."
            if _is_ip(name)
            else f"Looking up {name} ..."
        )
        iface, host = capture_where(resolve(name, port, socket.SOCK_STREAM))
        return Plan(hide_password(where["url"]), (port,), iface=iface, host=host)

    def converse(cap: Capture, plan: Plan) -> ApiResult:
        ctx.say(f"Capturing ({cap.kind}) on {plan.iface} ...")
        call = Caller(cap, insecure, req.timeout, ctx)
        try:
            with friendly_errors(req.timeout):
                if target is None:
                    _embedded(call, where["base"])
                    _kept_alive(call, where["kept"])
                else:
                    _yours(call, where["url"], req)
        finally:
            # Hang up pooled keep-alive connections now, so the closing
            # handshakes are on the wire before the capture settles.
            call.close()
        ctx.say("Waiting for the connections to close ...")
        return ApiResult(
            hops=tuple(call.hops),
            port=plan.ports[0],
            tls=target is not None and target.scheme == "https",
            insecure=insecure,
            host=(target.hostname or "") if target else "",
            keepalive_port=plan.ports[1] if len(plan.ports) > 1 else 0,
        )

    return capture_run(ctx, LAB, setup, converse)


def _steps(
    packets: tuple[Packet, ...], steps: tuple[Step, ...], found: list[Exchange]
) -> tuple[Step, ...]:
    """The default phases, each titled with the exchange it belongs to."""
    by_client = {ex.client: ex for ex in found}
    out = []
    for step in steps:
        first = packets[step.packets[0]]
        ex = by_client.get(first.src) or by_client.get(first.dst)
        title = f"{step.title} ({ex.number}. {ex.method})" if ex else step.title
        out.append(replace(step, title=title))
    return tuple(out)


def explain(rec: Recording[ApiResult]) -> Trace:
    result = rec.result
    found = exchanges(result, rec.conversations)
    # The plaintext recorded inside the tunnel is read as HTTP on its own
    # (dissection gives each origin its own session).
    decode = {result.port: "tls" if result.tls else "http"}
    if result.keepalive_port:
        decode[result.keepalive_port] = "http"
    trace = make_trace(rec, decode_as=decode, client=sender_ip(rec.raws[0]))
    # The sections, facts and step titles read the dissected packets, so
    # they join the trace once it has them.
    packets = trace.packets
    sections = [overview_section(found), *map(exchange_section, found)]
    if result.tls:
        sections.insert(0, tunnel_section(packets, result.host))
    sections.append(curl_section(found, result.insecure))
    facts = facts_for(packets, found)
    if result.keepalive_port:
        sections[1:1] = connections_section(packets, result)
        facts += connection_facts(packets, result)
    return replace(
        trace,
        steps=_steps(packets, trace.steps, found),
        sections=tuple(sections),
        facts=facts,
    )
