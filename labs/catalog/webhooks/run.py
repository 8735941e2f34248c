"""The webhooks lab: the roles of an API call reversed, captured and explained.

The lab registers a webhook endpoint with its embedded shop API, then makes
three orders' worth of changes; for each, the API's sender POSTs a signed
event to the receiver. Without --target the receiver is the lab's own
(`receiver.py`), which answers 500 twice and once too slowly, so retries,
backoff and duplicate ids all appear; last, the lab poses as an attacker and
sends the receiver an event with a made-up signature. With --target URL the
events go to the learner's receiver on this machine instead.
"""

from __future__ import annotations

import ipaddress
import json
import time
from contextlib import ExitStack
from typing import Any

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

from .api import SENDER_TIMEOUT, ShopApi
from .explain import explain
from .receiver import Receiver
from .result import Attempt, Call, WebhookResult

__all__ = ["RESULT", "explain", "record"]

LAB = "webhooks"
RESULT = WebhookResult
#: The most the lab waits for the sender to finish an event's attempts.
DELIVERY_WAIT = 10.0


def check_target(text: str) -> tuple[str, str, int]:
    """The learner's receiver URL, which must be on this machine: a sender
    that posts wherever it is told is how webhooks are abused to reach
    internal services (SSRF), and the capture listens on loopback."""
    url = parse_url(text, LAB, "HTTP", ("http",), "For example: http://127.0.0.1:9000/hooks")
    host = url.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise BadInput(
            f"The webhooks lab delivers only to a receiver on this machine, not {host}.",
            "Start your receiver on 127.0.0.1 and give http://127.0.0.1:PORT/PATH.",
        )
    # localhost is this machine by definition (RFC 6761): no resolver asked.
    return url.geturl(), "127.0.0.1" if host == "localhost" else host, url.port or 80


def record(req: LabRequest, ctx: LabContext) -> Recording[WebhookResult]:
    target = check_target(req.target) if req.target else None
    given: str | None = req.option("secret")
    parts: dict[str, Any] = {}

    def setup(stack: ExitStack) -> Plan:
        ctx.say("Starting the lab's shop API (the webhook sender) on 127.0.0.1 ...")
        api = parts["api"] = stack.enter_context(ShopApi())
        if target is None:
            ctx.say("Starting the lab's webhook receiver on 127.0.0.1 ...")
            receiver = parts["receiver"] = stack.enter_context(Receiver(""))
            url, port = receiver.url, receiver.port
        else:
            url, host, port = target
            if port_is_closed(host, port):
                raise LabError(
                    f"Nothing accepts connections at {url}.",
                    "Start your receiver first, or run without --target.",
                )
        parts["url"] = url
        return Plan(url, (api.port, port))

    def converse(cap: Capture, plan: Plan) -> WebhookResult:
        import requests  # lazy: only a run needs it

        api: ShopApi = parts["api"]
        receiver: Receiver | None = parts.get("receiver")
        api.use(cap.requests_adapter())
        you = requests.Session()
        you.trust_env = False
        you.mount("http://", cap.requests_adapter())
        calls: list[Call] = []
        forged: list[Attempt] = []

        def call(why: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
            ctx.check()
            ctx.say(f"POST {path}: {why}")
            with network_errors(api.base_url, req.timeout):
                resp = you.post(api.base_url + path, json=body, timeout=req.timeout)
            calls.append(Call(why, "POST", path, resp.status_code))
            answer: dict[str, Any] = resp.json()
            return answer

        def settle_deliveries() -> None:
            deadline = time.monotonic() + DELIVERY_WAIT
            while not api.idle():
                ctx.check()
                if time.monotonic() > deadline:
                    raise LabError("The shop's sender was still retrying after 10 s.")
                time.sleep(0.02)

        try:
            sub = {"url": parts["url"], **({"secret": given} if given else {})}
            endpoint = call("register the receiver's URL for the shop's events", "/webhooks", sub)
            if receiver is not None:
                receiver.secret = endpoint["secret"]  # as a developer pastes it into config
            order = call(
                "create an order: the shop will send order.created", "/orders", {"item": "oat milk"}
            )
            settle_deliveries()
            for action in ("pay", "ship"):
                call(
                    f"{action} the order: the shop will send order.{action}",
                    f"/orders/{order['id']}/{action}",
                    {},
                )
                settle_deliveries()
            forged.append(_forge(you, parts["url"], req.timeout, ctx))
        except requests.RequestException as exc:
            raise LabError(f"A request failed: {exc}.") from None
        finally:
            you.close()
        ctx.say("Waiting for the connections to close ...")
        return WebhookResult(
            calls=tuple(calls),
            attempts=(*api.attempts, *forged),
            handled=tuple(receiver.handled) if receiver else (),
            secret=str(endpoint["secret"]),
            secret_given=given is not None,
            receiver_url=parts["url"],
            api_port=api.port,
            receiver_port=plan.ports[1],
            embedded=receiver is not None,
            sender_timeout=SENDER_TIMEOUT,
        )

    return capture_run(ctx, LAB, setup, converse)


def _forge(session: Any, url: str, timeout: float, ctx: LabContext) -> Attempt:
    """An event sent by someone who does not know the secret: the receiver's
    signature check is all that stops it."""
    ctx.say("POST a forged order.refunded to the receiver (a made-up signature) ...")
    body = json.dumps({"type": "order.refunded", "data": {"id": 1, "amount": "all of it"}})
    stamp = str(int(time.time()))
    signature = "v1,Zm9yZ2VkLXNpZ25hdHVyZS1ub3QtYW4taG1hYy0wMDA="
    headers = {
        "Content-Type": "application/json",
        "webhook-id": "msg_forged",
        "webhook-timestamp": stamp,
        "webhook-signature": signature,
    }
    with network_errors(url, timeout):
        resp = session.post(url, data=body.encode(), headers=headers, timeout=timeout)
    return Attempt(
        "order.refunded",
        "msg_forged",
        1,
        stamp,
        signature,
        body.encode(),
        resp.status_code,
        0.0,
        "answered",
        forged=True,
    )
