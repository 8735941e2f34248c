"""The webhooks lab's words: who calls whom, the signature recomputed step
by step, the retries and their backoff, the duplicate the receiver ignored,
the forged event it refused; and the facts a lesson checks predictions by.

Everything about a delivery is read from the dissected packets (the
webhook-* headers, the status codes); the result adds what the wire cannot
show: the secret's use, the waits, and what the lab's receiver decided.
"""

from __future__ import annotations

from dataclasses import replace

from labs.kit import Recording, header, make_trace, requests_of, titled_steps
from labs.model.trace import Fact, Field, Packet, Section, Trace

from .result import Attempt, WebhookResult
from .signature import signature_section

CHECKLIST = """\
1. Read the raw body bytes and check the signature over them before parsing
   anything (re-encoding the JSON changes the bytes, and the check fails).
2. Compare in constant time (hmac.compare_digest), and refuse a timestamp
   more than a few minutes off: an old, validly signed event replayed later.
3. Keep each webhook-id you processed; a second delivery of the same id
   gets 2xx and nothing else (senders deliver at least once, so twice happens).
4. Answer 2xx quickly and do slow work afterwards: a slow answer is a failed
   delivery to the sender, however well the work went.
5. Never let a sender choose where it posts inside your network: a webhook
   URL is a request your server makes on someone else's say (SSRF)."""


def with_secret(packets: tuple[Packet, ...], secret: str) -> tuple[Packet, ...]:
    """The packets with the signing secret marked where it crosses the wire
    (registering the endpoint), so every renderer masks it everywhere."""
    needle = secret.encode()
    out = []
    for p in packets:
        at = p.data.find(needle)
        if at < 0 or not p.layers:
            out.append(p)
            continue
        f = Field(
            "signing secret",
            None,
            secret,
            secret,
            at,
            len(needle),
            "The key both sides sign with; whoever has it can forge events.",
            True,
        )
        last = p.layers[-1]
        out.append(replace(p, layers=(*p.layers[:-1], replace(last, fields=(*last.fields, f)))))
    return tuple(out)


def _who(port: int, res: WebhookResult, p: Packet, to: bool) -> str:
    if to:
        return "the shop API" if port == res.api_port else "the receiver"
    if header(p, "webhook-id") == "msg_forged":
        return "the lab, as an attacker"
    return "the shop's sender" if header(p, "webhook-id") else "the lab (you)"


def _port(addr: str) -> int:
    return int(addr.rpartition(":")[2])


def overview(pairs: list[tuple[Packet, Packet | None]], res: WebhookResult) -> Section:
    rows = ["#\tFrom\tTo\tRequest\tAnswer"]
    late = {(a.webhook_id, a.number) for a in res.attempts if a.outcome == "timed out"}
    tries: dict[str, int] = {}
    for n, (p, answer) in enumerate(pairs, start=1):
        event = header(p, "webhook-id")
        what = f"{p.field('http.request.method').value} {p.field('http.request.uri').value}"  # type: ignore[union-attr]
        if event:
            what += f" ({event})"
            tries[event] = tries.get(event, 0) + 1
        code = answer.field("http.response.code").value if answer else "none"  # type: ignore[union-attr]
        if (event, tries.get(event, 0)) in late:
            code = f"{code}, too late: the sender had given up" if answer else "none in time"
        rows.append(
            f"{n}\t{_who(0, res, p, False)}\t{_who(_port(p.dst), res, p, True)}\t{what}\t{code}"
        )
    return Section("Who calls whom", "\n".join(rows), "table")


def retries(res: WebhookResult) -> Section:
    rows = ["Event\tAttempt\tWaited before (s)\twebhook-id\tAnswer"]
    for a in res.attempts:
        if a.forged:
            continue
        answer = str(a.status) if a.status else f"none ({a.outcome})"
        rows.append(f"{a.event}\t{a.number}\t{a.waited:g}\t{a.webhook_id}\t{answer}")
    return Section("Every delivery attempt, with its backoff", "\n".join(rows), "table")


def story(res: WebhookResult) -> Section:
    lines = [
        "A normal API call goes from your program to the API. A webhook is the other way "
        "round: when something happens on the API's side (an order is paid), the API opens a "
        "connection to a URL you registered and POSTs the event. Your receiver is the server; "
        "the API is the client.",
        "",
        f"The sender waits {res.sender_timeout:g} s for an answer. Anything but a 2xx in time "
        "is a failure, and it tries again later, waiting twice as long each time (exponential "
        "backoff: a struggling receiver is not hammered). Real senders space their attempts "
        "over minutes to days; the lab compresses that to fractions of a second.",
        "",
        "Every attempt of an event carries the same webhook-id. That id is the idempotency "
        "key: a receiver that remembers the ids it processed can take a retry calmly.",
    ]
    if res.embedded:
        shipped = [h for h in res.handled if h.event == "order.shipped"]
        lines += [
            "",
            f"order.shipped reached the lab's receiver {len(shipped)} times and was processed "
            f"{sum(1 for h in shipped if not h.duplicate)} time(s): the first answer came too "
            "late for the sender, which retried, and the receiver knew the id.",
        ]
    else:
        lines += ["", f"The receiver was yours ({res.receiver_url}): its answers are above."]
    return Section("Roles reversed", "\n".join(lines))


def receiver_log(res: WebhookResult) -> Section:
    rows = ["webhook-id\tEvent\tSignature\tAlready seen\tAnswer"]
    for h in res.handled:
        seen = "yes: not processed again" if h.duplicate else "no"
        rows.append(f"{h.webhook_id}\t{h.event or '?'}\t{h.verdict}\t{seen}\t{h.status}")
    return Section(
        "What the lab's receiver decided (scripted to misbehave like a real one)",
        "\n".join(rows),
        "table",
    )


def forged(res: WebhookResult) -> Section:
    fake = next((a for a in res.attempts if a.forged), None)
    if fake is None:
        return Section("A forged event", "The lab sent no forged event.")
    verdict = (
        "refused it: the signature did not match, so the event was never believed"
        if fake.status in (400, 401, 403)
        else f"answered {fake.status}: a receiver that accepts an unsigned or wrongly "
        "signed event lets anyone who finds its URL fake a payment or a refund"
    )
    return Section(
        "A forged event",
        "Anyone who learns the receiver's URL can POST to it. The lab posed as such a "
        f"stranger and sent {fake.event} with a made-up signature ({fake.signature}). "
        f"The receiver {verdict}.",
    )


def facts(pairs: list[tuple[Packet, Packet | None]], res: WebhookResult) -> tuple[Fact, ...]:
    out: list[Fact] = []
    hooks = [(p, a) for p, a in pairs if header(p, "webhook-id")]
    sent = [(p, a) for p, a in hooks if header(p, "webhook-id") != "msg_forged"]
    if sent:
        first = sent[0][0]
        out.append(
            Fact(
                "webhook_client",
                "the API",
                "The connection that carries the event is opened by the shop API "
                f"({first.src}) to the receiver ({first.dst}): for a webhook the API is "
                "the client.",
                (first.index,),
                "tcp.dstport",
                label="Who opens the webhook's connection",
            )
        )
        out.append(
            Fact(
                "signature_algorithm",
                "HMAC-SHA256",
                "webhook-signature v1 is an HMAC with SHA-256 over id.timestamp.body.",
                (first.index,),
                label="Signature algorithm",
            )
        )
    for event, fact in (("order.paid", "paid_attempts"),):
        ids = {a.webhook_id for a in res.attempts if a.event == event}
        tries = [(p, a) for p, a in sent if header(p, "webhook-id") in ids]
        if tries:
            out.append(
                Fact(
                    fact,
                    str(len(tries)),
                    f"{event} was POSTed {len(tries)} times before a 2xx came back.",
                    tuple(p.index for p, _ in tries),
                    "http.request.method",
                    label=f"Attempts to deliver {event}",
                )
            )
            same = len({header(p, "webhook-id") for p, _ in tries}) == 1
            out.append(
                Fact(
                    "retry_same_id",
                    "yes" if same else "no",
                    "Every attempt of the event carried the same webhook-id.",
                    tuple(p.index for p, _ in tries),
                    label="Retries carry the same webhook-id",
                )
            )
    out += _embedded_facts(res, sent, hooks)
    return tuple(out)


def _embedded_facts(
    res: WebhookResult,
    sent: list[tuple[Packet, Packet | None]],
    hooks: list[tuple[Packet, Packet | None]],
) -> list[Fact]:
    out: list[Fact] = []
    if res.embedded:
        shipped = [h for h in res.handled if h.event == "order.shipped"]
        ids = {h.webhook_id for h in shipped}
        evidence = tuple(p.index for p, _ in sent if header(p, "webhook-id") in ids)
        if shipped:
            out.append(
                Fact(
                    "shipped_processed",
                    str(sum(1 for h in shipped if not h.duplicate)),
                    f"order.shipped arrived {len(evidence)} times (same webhook-id) and "
                    "was processed once.",
                    evidence,
                    label="Times the twice-sent order.shipped was processed",
                )
            )
    fake = [(p, a) for p, a in hooks if header(p, "webhook-id") == "msg_forged"]
    if fake and fake[0][1] is not None:
        answer = fake[0][1]
        code = answer.field("http.response.code").value  # type: ignore[union-attr]
        out.append(
            Fact(
                "forged_status",
                code,
                "The forged event's answer.",
                (answer.index,),
                "http.response.code",
                label="Status for a forged event",
            )
        )
    return out


def labels(pairs: list[tuple[Packet, Packet | None]], res: WebhookResult) -> dict[int, str]:
    """A short name for each request, by its packet index, for the step titles."""
    events = {a.webhook_id: a.event for a in res.attempts}
    tries: dict[str, int] = {}
    out = {}
    for p, _ in pairs:
        wid = header(p, "webhook-id")
        if wid == "msg_forged":
            name = "forged event -> receiver"
        elif wid:
            tries[wid] = tries.get(wid, 0) + 1
            name = f"{events.get(wid, 'event')} attempt {tries[wid]} -> receiver"
        else:
            name = f"you -> API: {p.field('http.request.uri').value}"  # type: ignore[union-attr]
        out[p.index] = name
    return out


def explain(rec: Recording[WebhookResult]) -> Trace:
    res = rec.result
    trace = make_trace(rec, decode_as={res.api_port: "http", res.receiver_port: "http"})
    packets = with_secret(trace.packets, res.secret)
    pairs = requests_of(packets)
    first: Attempt | None = next((a for a in res.attempts if not a.forged), None)
    sections = [overview(pairs, res), story(res)]
    if first is not None:
        sections.append(signature_section(first, res.secret, res.secret_given))
    sections.append(retries(res))
    if res.embedded:
        sections.append(receiver_log(res))
    sections += [forged(res), Section("What a receiver must do", CHECKLIST, "code")]
    names = labels(pairs, res)
    steps = titled_steps(trace.steps, packets, names)
    return replace(
        trace, packets=packets, steps=steps, sections=tuple(sections), facts=facts(pairs, res)
    )
