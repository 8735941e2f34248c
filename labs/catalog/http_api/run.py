"""The http-api lab: real API calls with requests, captured and explained.

Without a target it starts the embedded orders API (`labs.catalog.http_api.server`) and
runs a short scenario that meets each thing the lessons teach: 401 without a
key, a page of JSON, 201 + Location, ETag then 304, a 301 hop, a 404 and a
429. With `--target URL` it makes the one request the learner describes
(`--method`, `--header`, `--data`), following redirects hop by hop.

Each exchange is read from the bytes the client really sent and received
(`labs.catalog.http_api.explain`); for https the wire shows TLS records only, and the
HTTP inside the tunnel is added as packets marked "inside-tls".
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from urllib.parse import urljoin

from labs.base import LabContext, LabOptions
from labs.capture.recorder import ConversationLog
from labs.catalog.http_api.calls import Caller, Hop, check_url, friendly_errors, hide_password
from labs.catalog.http_api.explain import Exchange, curl_section, exchange_section, overview_section
from labs.catalog.http_api.facts import facts_for, tunnel_section
from labs.errors import BadInput, LabError
from labs.trace import Packet, Step, Trace

LAB = "http-api"


def _embedded(call: Caller, base: str) -> None:
    """The scenario against the embedded API, one lesson point per request."""
    from labs.catalog.http_api.server import API_KEY

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
    where = urljoin(base + "/", created.headers.get("Location", "/orders/43"))
    first = call("read the new order: the response carries a version tag (ETag)", "GET", where, key)
    tag = first.headers.get("ETag", '"none"')
    call("ask again, sending the tag back: has it changed?", "GET", where,
         {**key, "If-None-Match": tag}, fact="status_revalidated")  # fmt: skip
    call("use an old address (/v1): the server redirects to the new one", "GET",
         base + "/v1/orders/42", key)  # fmt: skip
    call("ask for an order that does not exist", "GET", base + "/orders/999", key)
    call("run a report (limited to one a minute per key)", "GET", base + "/reports", key)
    call("run the report again straight away", "GET", base + "/reports", key,
         fact="status_rate_limited")  # fmt: skip


def _live(call: Caller, url: str, options: LabOptions) -> None:
    headers = dict(options.headers)
    chosen = tuple(k.lower() for k in headers)
    data = options.data.encode() if options.data is not None else None
    method = (options.method or ("POST" if data is not None else "GET")).upper()
    kind = ""
    if data is not None and not any(k.lower() == "content-type" for k in headers):
        try:
            json.loads(data)
        except ValueError:
            pass
        else:
            headers["Content-Type"] = "application/json"
            kind = "data"
    call(
        "your request",
        method,
        url,
        headers,
        data=data,
        body_kind=kind,
        setter="you",
        set_here=chosen,
    )


def _pair(
    hops: list[Hop], logs: list[ConversationLog]
) -> list[tuple[Hop, ConversationLog, bytes, bytes]]:
    """Match each hop with the bytes of its request and response, in order."""
    turns = []
    for log in logs:
        runs = log.runs()
        for i, (sender, data, start) in enumerate(runs):
            if sender == "client":
                reply = runs[i + 1][1] if i + 1 < len(runs) and runs[i + 1][0] == "server" else b""
                turns.append((start, log, data, reply))
    turns.sort(key=lambda t: t[0])
    out = []
    it: Iterator[tuple[float, ConversationLog, bytes, bytes]] = iter(turns)
    for hop in hops:
        for _start, log, request, reply in it:
            if request.startswith(hop.method.encode() + b" ") and reply:
                out.append((hop, log, request, reply))
                break
    return out


def _shown(addr: tuple[str, int]) -> str:
    """An endpoint written the way packets show it (127.0.0.1:80, [::1]:80)."""
    return f"[{addr[0]}]:{addr[1]}" if ":" in addr[0] else f"{addr[0]}:{addr[1]}"


def _exchanges(
    hops: list[Hop], logs: list[ConversationLog], tls: bool, note: str
) -> list[Exchange]:
    out = []
    for n, (hop, log, request, reply) in enumerate(_pair(hops, logs), start=1):
        head = reply.partition(b"\r\n\r\n")[0] + b"\r\n\r\n"
        out.append(
            Exchange(
                number=n,
                why=hop.why,
                url=hop.url,
                request=request,
                response_head=head,
                body=hop.body,
                truncated=hop.truncated,
                set_here=hop.set_here,
                setter=hop.setter,
                body_kind=hop.body_kind,
                client=_shown(log.client),
                server=_shown(log.server),
                inside_tls=tls,
                note=note if hop.truncated else "",
                fact=hop.fact,
            )
        )
    return out


def _steps(packets: tuple[Packet, ...], exchanges: list[Exchange]) -> tuple[Step, ...]:
    """The default phases, each titled with the exchange it belongs to."""
    from dataclasses import replace

    from labs.dissect.steps import default_steps

    by_client = {ex.client: ex for ex in exchanges}
    out = []
    for step in default_steps(packets):
        first = packets[step.packets[0]]
        ex = by_client.get(first.src) or by_client.get(first.dst)
        title = f"{step.title} ({ex.number}. {ex.method})" if ex else step.title
        out.append(replace(step, title=title))
    return tuple(out)


def run(options: LabOptions, ctx: LabContext) -> Trace:
    from labs.capture.core import open_capture
    from labs.hostport import capture_where, resolve

    started = datetime.now(UTC).isoformat(timespec="seconds")
    clock = time.monotonic()
    target = check_url(options.target) if options.target else None
    if options.timeout <= 0:
        raise BadInput("--timeout must be more than 0 seconds.")
    hops: list[Hop] = []
    with ExitStack() as stack:
        if target is None:
            from labs.catalog.http_api.server import ApiServer

            ctx.say("Starting the lab's own orders API on 127.0.0.1 ...")
            api = stack.enter_context(ApiServer())
            url, port, tls = api.url("/orders"), api.port, False
            iface, host = "lo", None
        else:
            url, tls = target.geturl(), target.scheme == "https"
            port = target.port or (443 if tls else 80)
            ctx.say(f"Looking up {target.hostname} ...")
            endpoint = resolve(target.hostname or "", port, 1)
            iface, host = capture_where(endpoint)
        cap = stack.enter_context(open_capture(ctx, ports=[port], iface=iface, host=host))
        ctx.say(f"Capturing ({cap.kind}) on {iface} ...")
        call = Caller(cap, options, ctx, hops)
        stack.callback(call.close)
        with friendly_errors(options):
            if target is None:
                _embedded(call, api.base_url)
            else:
                _live(call, url, options)
        # Hang up pooled keep-alive connections now, so the closing
        # handshakes are on the wire before the capture settles.
        call.close()
        ctx.say("Waiting for the connections to close ...")
        cap.settle()
    raws = cap.packets()
    if not raws:
        raise LabError("Nothing was captured.", "Run the lab again.")
    note = f"The lab read the first {call.cap_bytes // 1024} KiB of the body and then hung up."
    logs = cap.conversations("inside-tls" if tls else "wire")
    exchanges = _exchanges(hops, logs, tls, note)
    from labs.dissect.core import dissect_all, sender_ip

    # The plaintext recorded inside the tunnel is read as HTTP on its own
    # (labs.dissect.core gives each origin its own Session).
    packets = dissect_all(raws, {port: "tls" if tls else "http"}, client=sender_ip(raws[0]))
    sections = [overview_section(exchanges), *map(exchange_section, exchanges)]
    if tls:
        sections.insert(0, tunnel_section(packets, (target.hostname or "") if target else ""))
    sections.append(curl_section(exchanges, options.insecure))
    return Trace(
        lab=LAB,
        target=hide_password(url),
        capture=cap.kind,
        steps=_steps(packets, exchanges),
        packets=packets,
        capture_note=cap.note,
        link=raws[0].link,
        sections=tuple(sections),
        facts=facts_for(packets, exchanges),
        started=started,
        duration=round(time.monotonic() - clock, 3),
    )
