"""One HTTP exchange read for a learner: the request line, every header (and
who put it there), what the status means, the response headers that matter,
the body, and the same request as a `curl` command.

Everything is read from the bytes the client actually sent and received
(recorded at the socket, or inside TLS); the only outside knowledge is which
headers the caller set itself, so the others can be labelled as added by
requests or by the HTTP library underneath it.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from labs.catalog.http_api.calls import BODY_CAP
from labs.catalog.http_api.result import ApiResult, Hop
from labs.kit import HEADERS, ConversationLog, Section, code_prose, status_meaning

#: Characters of a body shown in the text; the rest is summarised.
BODY_SHOWN = 1500
#: Bytes of a binary body shown as hex.
HEX_SHOWN = 128
#: Response headers worth a sentence of their own (the others are listed).
RESPONSE_NOTES = {
    "content-type": "what kind of data the body is",
    "content-length": "how many bytes the body has",
    "etag": "a version tag: send it back in If-None-Match to ask 'has it changed?'",
    "cache-control": "whether and how long a copy may be reused without asking again",
    "location": "where to go next (a redirect) or where the new resource lives (201)",
    "retry-after": "how many seconds to wait before trying again",
    "www-authenticate": "how the server wants you to prove who you are",
    "link": "addresses of related pages (next, last...): how this API paginates",
    "x-ratelimit-limit": "how many calls the rate limit allows in its window",
    "x-ratelimit-remaining": "how many calls are left in the window",
    "x-ratelimit-reset": "when the window starts again (seconds since 1970)",
    "set-cookie": "a cookie the client should store and send back",
    "content-encoding": "how the body was compressed for the trip",
    "transfer-encoding": "how the body was cut up for sending",
    "connection": "whether the connection stays open after this response",
    "x-request-id": "the server's name for this request: quote it when asking its support",
}

#: Headers requests puts on every request unless told otherwise.
REQUESTS_DEFAULTS = ("user-agent", "accept-encoding", "accept", "connection")


@dataclass(frozen=True)
class Exchange:
    """One request and its response as the client saw them, with what the
    caller itself asked for (so the rest can be attributed)."""

    number: int
    #: Why this request is in the lab ("ask without a key").
    why: str
    url: str
    #: The request exactly as sent: head and body.
    request: bytes
    #: The status line and headers exactly as received.
    response_head: bytes
    #: The body as the client got it (decompressed), at most the read cap.
    body: bytes
    truncated: bool = False
    #: Header names (lower case) the caller set itself.
    set_here: tuple[str, ...] = ()
    #: Who "the caller" is, for labels: "the lab" or "you".
    setter: str = "the lab"
    #: How the request body was given: "json", "data" or "".
    body_kind: str = ""
    client: str = ""
    server: str = ""
    inside_tls: bool = False
    #: Anything else the learner should know about this exchange.
    note: str = ""
    #: The FACTS.md fact this exchange's status answers, if any.
    fact: str = ""

    @property
    def request_line(self) -> str:
        return split_head(self.request)[0]

    @property
    def method(self) -> str:
        return self.request_line.split(" ", 1)[0]

    @property
    def status(self) -> int:
        parts = split_head(self.response_head)[0].split(" ", 2)
        return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0

    @property
    def title(self) -> str:
        line = split_head(self.response_head)[0]
        reason = line.split(" ", 2)[2] if line.count(" ") >= 2 else ""
        target = self.request_line.split(" ")[1] if " " in self.request_line else ""
        return f"{self.number}. {self.method} {target} -> {self.status} {reason}".rstrip()


def _pair(
    hops: Iterable[Hop], logs: Iterable[ConversationLog]
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


def exchanges(result: ApiResult, conversations: Iterable[ConversationLog]) -> list[Exchange]:
    """Each hop read from the bytes its connection carried (inside TLS for https)."""
    origin = "inside-tls" if result.tls else "wire"
    logs = [c for c in conversations if c.origin == origin]
    note = f"The lab read the first {BODY_CAP // 1024} KiB of the body and then hung up."
    out = []
    for n, (hop, log, request, reply) in enumerate(_pair(result.hops, logs), start=1):
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
                inside_tls=result.tls,
                note=note if hop.truncated else "",
                fact=hop.fact,
            )
        )
    return out


def split_head(message: bytes) -> tuple[str, list[tuple[str, str]], bytes]:
    """(start line, [(name, value)...], the bytes after the blank line)."""
    head, _sep, rest = message.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = []
    for line in lines[1:]:
        name, _colon, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    return lines[0], headers, rest


def who_added(name: str, ex: Exchange) -> str:
    """Who put a request header there, from what the caller asked for."""
    low = name.lower()
    if low in ex.set_here:
        return f"set by {ex.setter}"
    if low == "host":
        return "added by http.client (the HTTP library under requests), from the URL"
    if low in REQUESTS_DEFAULTS:
        return "added by requests on its own"
    if low == "content-length":
        return "added by requests: it counted the body"
    if low == "content-type" and ex.body_kind == "json":
        return "added by requests because the body was given as JSON"
    if low == "content-type" and ex.body_kind == "data":
        return "added by tutor because --data looked like JSON"
    if low == "authorization":
        return "added by requests, from the user name and password in the URL (Basic)"
    if low == "cookie":
        return "added by the session from a cookie the server set earlier"
    return "added by requests"


def _header_lines(headers: list[tuple[str, str]], label: dict[str, str]) -> list[str]:
    """Each header as sent (whole, however long), with lines under it saying
    what it is."""
    out = []
    for name, value in headers:
        out.append(f"  {name}: {value}")
        if label.get(name.lower()):
            out += code_prose(label[name.lower()], "      ")
    return out


def _meaning(name: str, request: bool = False) -> str:
    low = name.lower()
    if request:
        text = header_explain(low).rstrip(".")
    else:
        text = RESPONSE_NOTES.get(low) or header_explain(low).rstrip(".")
    return text[:1].lower() + text[1:] if text else ""


def request_label(name: str, ex: Exchange) -> str:
    meaning = _meaning(name, request=True)
    return f"{who_added(name, ex)}: {meaning}" if meaning else who_added(name, ex)


def body_text(body: bytes, content_type: str, truncated: bool) -> str:
    """The body for reading: JSON pretty-printed, text as text, anything
    else as hex; cut past a cap with a note saying so."""
    if not body:
        return "  (no body)"
    ctype = content_type.split(";")[0].strip().lower()
    more = " (the rest was not read: the lab stops reading at its cap)" if truncated else ""
    if not truncated and ("json" in ctype or body[:1] in (b"{", b"[")):
        try:
            pretty = json.dumps(json.loads(body), indent=2, ensure_ascii=False)
        except ValueError:
            pretty = ""
        if pretty:
            return _cut(f"JSON, {len(body)} bytes, shown indented:", pretty)
    try:
        text = body.decode("utf-8")
        if "\x00" in text:
            raise UnicodeDecodeError("utf-8", body, 0, 1, "NUL byte")
    except UnicodeDecodeError:
        rows = [
            f"  {i:04x}  {body[i : i + 16].hex(' ')}"
            for i in range(0, min(len(body), HEX_SHOWN), 16)
        ]
        rest = f"\n  ... {len(body) - HEX_SHOWN} more bytes" if len(body) > HEX_SHOWN else ""
        kind = ctype or "no Content-Type"
        return (
            f"Binary ({kind}), {len(body)} bytes{more}; not text, so shown as hex:\n"
            + "\n".join(rows)
            + rest
        )
    return _cut(f"Text ({ctype or 'no Content-Type'}), {len(body)} bytes{more}:", text)


def _cut(intro: str, text: str) -> str:
    if len(text) > BODY_SHOWN:
        text = text[:BODY_SHOWN] + f"\n... ({len(text) - BODY_SHOWN} more characters not shown)"
    return intro + "\n" + "\n".join("  " + line for line in text.splitlines())


def exchange_section(ex: Exchange) -> Section:
    line, req_headers, req_body = split_head(ex.request)
    status_line, resp_headers, _ = split_head(ex.response_head)
    method, _, rest = line.partition(" ")
    target, _, version = rest.rpartition(" ")
    parts = [
        *code_prose(f"Why: {ex.why}", hang="  "),
        *code_prose(
            f"Connection: {ex.client} -> {ex.server}"
            + (" (inside TLS: none of this is readable on the wire)" if ex.inside_tls else ""),
            hang="  ",
        ),
        "",
        f"Request line: {line}",
        *code_prose(
            f"{method} is the method, {target} the path the server is asked for, "
            f"{version} the protocol.",
            "  ",
        ),
        "",
        "Request headers (each on its own line, in the order sent):",
        *_header_lines(req_headers, {n.lower(): request_label(n, ex) for n, _ in req_headers}),
    ]
    if req_body:
        ctype = next((v for n, v in req_headers if n.lower() == "content-type"), "")
        parts += ["", *_titled("Request body: ", body_text(req_body, ctype, False))]
    notes = {n.lower(): _meaning(n) for n, _ in resp_headers}
    resp_ctype = next((v for n, v in resp_headers if n.lower() == "content-type"), "")
    parts += [
        "",
        f"Status line: {status_line}",
        *code_prose(f"{ex.status} means {status_meaning(ex.status)}.", "  "),
        "",
        "Response headers:",
        *_header_lines(resp_headers, notes),
        "",
        *_titled("Response body: ", body_text(ex.body, resp_ctype, ex.truncated)),
    ]
    if ex.note:
        parts += ["", *code_prose(ex.note)]
    # "code": the lines are laid out (a header, its note under it) and must stay
    # so; the sentences among them are broken to fit by `prose`.
    return Section(ex.title, "\n".join(parts), "code")


def _titled(title: str, body: str) -> list[str]:
    """`body_text` under its title: the first line says what the body is (in
    words, broken to fit), the lines after it are the body as it was."""
    first, _, rest = body.partition("\n")
    return (
        [*code_prose(title + first, hang="  "), *rest.split("\n")]
        if rest
        else code_prose(title + first)
    )


def curl_command(ex: Exchange, insecure: bool = False) -> str:
    """The same request with curl: the method, the URL, the headers the
    caller set (curl adds its own defaults, as requests did) and the body."""
    _line, headers, body = split_head(ex.request)
    args = ["curl", "-i"]
    if ex.method == "HEAD":
        args = ["curl", "-I"]
    elif ex.method != "GET" and not (ex.method == "POST" and body):
        args += ["-X", ex.method]
    if insecure:
        args.append("-k")
    for name, value in headers:
        if name.lower() in ex.set_here or (
            name.lower() == "content-type" and ex.body_kind in ("json", "data")
        ):
            args += ["-H", f"{name}: {value}"]
    if body:
        args += ["--data-raw", body.decode("utf-8", "replace")]
    args.append(ex.url)
    return " ".join(shlex.quote(a) for a in args)


def curl_section(exchanges: list[Exchange], insecure: bool = False) -> Section:
    lines = []
    for ex in exchanges:
        lines += [f"# {ex.number}. {ex.why}", curl_command(ex, insecure), ""]
    return Section("The same requests with curl", "\n".join(lines).rstrip(), "code")


def overview_section(exchanges: list[Exchange]) -> Section:
    # "Call", not "#": a "#" column read as packet numbers next to the packet list.
    rows = ["Call\tRequest\tStatus\tWhy"]
    for ex in exchanges:
        rows.append(f"{ex.number}\t{ex.request_line.rsplit(' ', 1)[0]}\t{ex.status}\t{ex.why}")
    return Section("The exchanges, in order", "\n".join(rows), "table")


def header_explain(name: str) -> str:
    """What a header means, from the HTTP dissector's own table."""
    entry = HEADERS.get(name.lower())
    return entry[1] if entry else ""
