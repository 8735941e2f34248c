"""The cors lab's words: two origins, each call and the rule that decided
it, the preflight read header by header, and the request that was blocked
yet received; the facts a lesson checks predictions by. Read from the
dissected packets (what crossed the wire) and the result (what the page's
script saw, and what the lab's API received)."""

from __future__ import annotations

from dataclasses import replace

from labs.kit import Recording, code_prose, header, make_trace, requests_of, titled_steps
from labs.model.numbers import number
from labs.model.trace import Fact, Packet, Section, Trace

from .result import CorsResult


def _method(p: Packet) -> str:
    f = p.field("http.request.method")
    return f.value if f else ""


def _uri(p: Packet) -> str:
    f = p.field("http.request.uri")
    return f.value if f else ""


def origins(res: CorsResult) -> Section:
    who = (
        f"The page ran in {res.browser} (headless): every request below is the browser's own."
        if res.browser
        else "No browser ran here (Chromium is not installed, or --no-browser): what follows "
        "are the requests a browser would send, sent by tutor, and the browser's rules "
        "applied by tutor. The packets are real; the verdicts are computed."
    )
    return Section(
        "Two origins",
        "\n".join(
            [
                f"The page came from {res.page_origin}; the API is at port {res.api_port}. An origin "
                "is scheme + host + port, so the same 127.0.0.1 on another port is another origin, "
                "and the browser applies its same-origin policy: a script may send requests "
                "elsewhere, but may read the answer only if the other origin says so, with "
                "Access-Control-Allow-Origin.",
                "",
                who,
            ]
        ),
    )


def cases(res: CorsResult) -> Section:
    title = (
        "Each call the page made"
        if res.browser
        else ("Each call, as a browser would make it (tutor standing in)")
    )
    rows = ["Call\tRequest\tWhat the script got\tWhy"]
    for c in res.cases:
        got = f"status {c.status}" if c.verdict == "allowed" else "blocked (TypeError)"
        rows.append(f"{c.name}\t{c.method} {c.url}\t{got}\t{c.why}")
    return Section(title, "\n".join(rows), "table")


def preflight(pairs: list[tuple[Packet, Packet | None]]) -> Section | None:
    found = next(((p, a) for p, a in pairs if _method(p) == "OPTIONS"), None)
    if found is None:
        return None
    p, a = found
    lines = [f"Packet {number(p.index)}: OPTIONS {_uri(p)}, sent before the real request:"]
    for name in ("origin", "access-control-request-method", "access-control-request-headers"):
        lines.append(f"  {name}: {header(p, name) or '(absent)'}")
    lines += [
        "",
        *code_prose("It asks: may a script from that origin send this method with these headers?"),
    ]
    if a is not None:
        code = a.field("http.response.code")
        lines += ["", f"Packet {number(a.index)}: the answer, {code.value if code else '?'}:"]
        for name in (
            "access-control-allow-origin",
            "access-control-allow-methods",
            "access-control-allow-headers",
            "access-control-max-age",
        ):
            lines.append(f"  {name}: {header(a, name) or '(absent)'}")
        lines += [
            "",
            *code_prose(
                "Only if these allow it does the browser send the real request; "
                "Access-Control-Max-Age lets it remember the answer that many seconds."
            ),
        ]
    return Section("The preflight, header by header", "\n".join(lines), "code")


def received(res: CorsResult) -> Section:
    blocked = [c for c in res.cases if c.verdict == "blocked"]
    lines = code_prose(
        "What the API received (its own log), whatever the browser did with the answers:"
    )
    lines += [
        f"  {r.method} {r.path} from {r.origin or '(no Origin)'} -> {r.status}"
        for r in res.received
    ]
    lines += [
        "",
        *code_prose(
            f"{len(blocked)} call(s) were blocked. A call blocked at its preflight never left the "
            "browser. But a request that needs no preflight (a form could send it) goes out at "
            "once: the server receives it, acts on it, and answers; only then does the browser "
            "refuse to show the answer to the script. CORS protects what a script may read in "
            "your browser, not the server from requests: curl, scripts and other servers ignore "
            "it entirely, so the server must still check who is asking."
        ),
    ]
    return Section("Blocked, yet received", "\n".join(lines), "code")


def facts(pairs: list[tuple[Packet, Packet | None]], res: CorsResult) -> tuple[Fact, ...]:
    out: list[Fact] = []
    opts = [p for p, _ in pairs if _method(p) == "OPTIONS"]
    if opts:
        out.append(
            Fact(
                "preflight_method",
                "OPTIONS",
                "The preflight is an OPTIONS request.",
                (opts[0].index,),
                "http.request.method",
                label="Method of the preflight request",
            )
        )
    gets = [p for p, _ in pairs if _method(p) == "GET"]
    if gets:
        before = [p for p in opts if p.index < gets[0].index and _uri(p) == _uri(gets[0])]
        out.append(
            Fact(
                "simple_get_preflight",
                "yes" if before else "no",
                "A plain GET is a request a form could send: no preflight before it.",
                (gets[0].index,),
                "http.request.method",
                label="Preflight before a plain GET",
            )
        )
    if res.embedded:
        legacy = [
            (p, a) for p, a in pairs if _uri(p) == "/api/legacy/notes" and _method(p) == "POST"
        ]
        p, a = legacy[0] if legacy else (None, None)
        if p is not None and a is not None:
            out.append(
                Fact(
                    "blocked_but_received",
                    "yes",
                    "The note the script was not allowed to read reached the server, "
                    "which stored it and answered.",
                    (p.index, a.index),
                    "http.response.code",
                    label="The blocked request reached the server anyway",
                )
            )
        sent = any(_method(p) == "DELETE" for p, _ in pairs)
        ask = [p for p in opts if header(p, "access-control-request-method") == "DELETE"]
        out.append(
            Fact(
                "delete_sent",
                "yes" if sent else "no",
                "The DELETE's preflight was refused, so the DELETE itself never left the browser.",
                tuple(p.index for p in ask),
                "http.request.method",
                label="DELETE sent after its preflight was refused",
            )
        )
    return tuple(out)


def explain(rec: Recording[CorsResult]) -> Trace:
    res = rec.result
    trace = make_trace(rec, decode_as={res.api_port: "http"})
    pairs = requests_of(trace.packets)
    sections = [origins(res), cases(res)]
    pre = preflight(pairs)
    if pre is not None:
        sections.append(pre)
    sections.append(
        received(res)
        if res.embedded
        else Section(
            "Blocked, yet received",
            "Your server's log shows every request that reached it, "
            "including those whose answers the browser then hid from the script.",
        )
    )
    names = {p.index: f"{_method(p)} {_uri(p)}" for p, _ in pairs}
    steps = titled_steps(trace.steps, trace.packets, names)
    return replace(trace, steps=steps, sections=tuple(sections), facts=facts(pairs, res))
