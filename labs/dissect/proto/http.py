"""HTTP/1.x: request and status lines, each header line, and the body.

The message is read line by line here rather than with scapy's
`HTTPRequest`/`HTTPResponse`: those keep headers in a dict with no byte
positions (and lose repeated headers), so the lines had to be split anyway
to find each field's bytes, and building a scapy HTTP packet (over a hundred
declared header fields) cost more than the rest of a packet's dissection. A body that continues in later TCP segments is followed with the
direction's `Stream` (Content-Length), so those segments read as "HTTP body"
instead of unknown bytes.
"""

from __future__ import annotations

import re
from functools import lru_cache

from labs.dissect.proto.base import App, Stream, app
from labs.trace import Field, Layer

# match() anchors at its start position; the URI may be long, so no length cap.
_REQUEST_LINE = re.compile(rb"(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|CONNECT|TRACE) \S+ HTTP/\d")

#: Header name (lower case) -> (Wireshark filter, what it means for a learner).
HEADERS: dict[str, tuple[str | None, str]] = {
    "host": ("http.host", "Which site the request is for (one server can host many names)."),
    "user-agent": ("http.user_agent", "Which program made the request."),
    "accept": ("http.accept", "Which kinds of content the client can use."),
    "accept-encoding": ("http.accept_encoding", "Which compressions the client can undo."),
    "accept-language": ("http.accept_language", "Which languages the client prefers."),
    "connection": ("http.connection", "Whether to keep the connection open for more requests."),
    "content-type": ("http.content_type", "What kind of data the body holds."),
    "content-length": ("http.content_length", "How many bytes the body has."),
    "content-encoding": ("http.content_encoding", "How the body is compressed."),
    "transfer-encoding": (
        "http.transfer_encoding",
        "How the body is cut up for sending (chunked: in pieces of announced size).",
    ),
    "authorization": ("http.authorization", "Credentials proving who is asking (a secret)."),
    "proxy-authorization": ("http.proxy_authorization", "Credentials for a proxy (a secret)."),
    "www-authenticate": (
        "http.www_authenticate",
        "How the server wants the client to prove who it is.",
    ),
    "cookie": ("http.cookie", "Cookies the client sends back (often a session: a secret)."),
    "set-cookie": (
        "http.set_cookie",
        "The server asks the client to store a cookie and send it back.",
    ),
    "location": (
        "http.location",
        "Where to go instead (redirects) or where the new resource lives (201).",
    ),
    "server": ("http.server", "Which server software answered."),
    "date": ("http.date", "When the server sent the response."),
    "cache-control": (
        "http.cache_control",
        "Whether and how long the response may be reused from a cache.",
    ),
    "last-modified": ("http.last_modified", "When the resource last changed."),
    "referer": ("http.referer", "The page the request came from."),
    "upgrade": ("http.upgrade", "The client asks to switch protocols."),
    "x-forwarded-for": ("http.x_forwarded_for", "The original client address, added by a proxy."),
    "etag": (
        None,
        "A version tag of the resource; send it back in If-None-Match to ask 'has it changed?'.",
    ),
    "if-none-match": (
        None,
        "'Only send the resource if its version tag is not this one' (else 304).",
    ),
    "retry-after": (None, "How long to wait before trying again."),
    "x-api-key": (None, "An API key identifying the caller (a secret)."),
    "x-ratelimit-limit": (None, "How many requests are allowed in the current window."),
    "x-ratelimit-remaining": (None, "How many requests are left in the current window."),
}
SECRET = {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"}

STATUS = {
    200: "OK: it worked",
    201: "Created: a new resource was made",
    204: "No Content: it worked, nothing to send back",
    301: "Moved Permanently: use the new address from now on",
    302: "Found: look at another address for now",
    304: "Not Modified: your cached copy is still good",
    307: "Temporary Redirect: repeat the request at another address",
    308: "Permanent Redirect: repeat the request at the new address from now on",
    400: "Bad Request: the server could not understand the request",
    401: "Unauthorized: credentials are missing or wrong",
    403: "Forbidden: the server knows who you are, and the answer is no",
    404: "Not Found: nothing at this address",
    405: "Method Not Allowed",
    409: "Conflict: the request clashes with the current state",
    422: "Unprocessable: the data did not pass validation",
    429: "Too Many Requests: slow down (see Retry-After)",
    500: "Internal Server Error: the server failed",
    502: "Bad Gateway: a proxy got a bad answer from the server behind it",
    503: "Service Unavailable: try again later",
}
_CLASSES = {1: "informational", 2: "success", 3: "redirect", 4: "client error", 5: "server error"}

#: Longest body shown as a field value; longer bodies are shown cut, with their size.
BODY_SHOWN = 2048


def status_meaning(code: int) -> str:
    return STATUS.get(code) or f"a {_CLASSES.get(code // 100, 'non-standard')} status"


def is_start(payload: bytes) -> bool:
    return bool(_REQUEST_LINE.match(payload)) or payload.startswith((b"HTTP/1.", b"HTTP/2"))


def _text(b: bytes) -> str:
    return b.decode("latin-1")


@lru_cache(maxsize=4096)
def _line_fields(line: bytes, at: int, request: bool) -> tuple[Field, ...]:
    """The request line (method, URI, version) or status line (version, code,
    phrase). Remembered: the same status line and headers recur in a capture."""
    parts = line.split(b" ", 2)
    spans: list[tuple[bytes, int]] = []
    pos = at
    for part in parts:
        spans.append((part, pos))
        pos += len(part) + 1
    out: list[Field] = []
    if request and len(parts) == 3:
        (m, mo), (u, uo), (v, vo) = spans
        out.append(
            Field(
                "Method",
                "http.request.method",
                _text(m),
                _text(m),
                mo,
                len(m),
                _method_explain(_text(m)),
            )
        )
        out.append(
            Field(
                "URI",
                "http.request.uri",
                _text(u),
                _text(u),
                uo,
                len(u),
                "The path of the resource on the server (and any ?query).",
            )
        )
        out.append(Field("Version", "http.request.version", _text(v), _text(v), vo, len(v)))
    elif not request and len(parts) >= 2:
        (v, vo), (c, co) = spans[:2]
        out.append(Field("Version", "http.response.version", _text(v), _text(v), vo, len(v)))
        code = int(c) if c.isdigit() else 0
        out.append(
            Field(
                "Status code",
                "http.response.code",
                _text(c),
                status_meaning(code),
                co,
                len(c),
                f"{code}: {status_meaning(code)}.",
            )
        )
        if len(spans) == 3:
            ph, po = spans[2]
            out.append(
                Field("Reason phrase", "http.response.phrase", _text(ph), _text(ph), po, len(ph))
            )
    return tuple(out)


def _method_explain(m: str) -> str:
    return {
        "GET": "GET: read a resource, change nothing.",
        "POST": "POST: send data to create something or trigger an action.",
        "PUT": "PUT: replace the resource with the data sent.",
        "PATCH": "PATCH: change part of the resource.",
        "DELETE": "DELETE: remove the resource.",
        "HEAD": "HEAD: like GET, but only the headers come back.",
    }.get(m, f"{m}: what to do with the resource.")


@lru_cache(maxsize=4096)
def _header_field(line: bytes, at: int, request: bool) -> Field:
    name, colon, value = line.partition(b":")
    if not colon:
        text = _text(line)
        return Field(
            "Malformed header line",
            None,
            text,
            text,
            at,
            len(line),
            "A header line without a colon: not valid HTTP, so its meaning is unknown.",
        )
    key = _text(name).strip().lower()
    val = _text(value.strip())
    filt, meaning = HEADERS.get(key, (None, ""))
    secret = key in SECRET
    value_at = at + len(name) + 1 + (len(value) - len(value.lstrip()))
    return Field(
        _text(name).strip(),
        filt,
        val,
        val,
        value_at if filt or secret else at,
        len(val.encode("latin-1")) if filt or secret else len(line),
        meaning,
        secret,
    )


def _message(payload: bytes, start: int, offset: int, stream: Stream) -> tuple[Layer, int]:
    """One HTTP message starting at payload[start:]; returns it and its end."""
    request = bool(_REQUEST_LINE.match(payload, start))
    end_head = payload.find(b"\r\n\r\n", start)
    head_end = len(payload) if end_head < 0 else end_head + 4
    fields: list[Field] = []
    headers: dict[str, str] = {}
    pos = start
    for i, line in enumerate(payload[start:head_end].split(b"\r\n")):
        if i == 0:
            fields.extend(_line_fields(line, offset + pos, request))
        elif line:
            f = _header_field(line, offset + pos, request)
            fields.append(f)
            headers[f.name.lower()] = f.value
        pos += len(line) + 2
    want = _body_length(request, fields, headers, len(payload) - head_end)
    body = payload[head_end : head_end + want]
    if body:
        fields.append(_body_field(body, offset + head_end, headers.get("content-type", "")))
    stream.state["body_left"] = max(want - len(body), 0)
    end = head_end + len(body)
    return Layer("HTTP", offset + start, end - start, tuple(fields)), end


def _body_length(request: bool, fields: list[Field], headers: dict[str, str], rest: int) -> int:
    """How many bytes of body follow the head (RFC 9112 section 6.3)."""
    code = next((f.value for f in fields if f.filter == "http.response.code"), "")
    if not request and (code.startswith("1") or code in ("204", "304")):
        return 0
    length = headers.get("content-length", "").strip()
    if length.isdigit():
        return int(length)
    if "chunked" in headers.get("transfer-encoding", "").lower() or not request:
        return rest  # chunked, or a response read until the connection closes
    return 0


def _body_field(body: bytes, at: int, content_type: str) -> Field:
    kind = content_type.split(";")[0].strip()
    if _is_text(body):
        shown = body[:BODY_SHOWN].decode("utf-8", "replace")
    else:
        shown = body[:64].hex(":")
    if len(body) > BODY_SHOWN or (not _is_text(body) and len(body) > 64):
        shown += f" … ({len(body)} bytes)"
    what = f"The body ({len(body)} bytes" + (f", {kind}" if kind else "") + ")."
    return Field("Body", "http.file_data", shown, f"{len(body)} bytes", at, len(body), what)


def _is_text(b: bytes) -> bool:
    sample = b[:256]
    return not sample or all(c >= 0x20 or c in (9, 10, 13) for c in sample)


def dissect(payload: bytes, offset: int, stream: Stream) -> list[Layer]:
    layers: list[Layer] = []
    pos = 0
    left = int(stream.state.get("body_left", 0))
    if left and not is_start(payload):
        take = payload[:left]
        stream.state["body_left"] = left - len(take)
        layers.append(Layer("HTTP body", offset, len(take), (_body_field(take, offset, ""),)))
        pos = len(take)
    elif not is_start(payload):
        return [
            Layer(
                "HTTP continuation",
                offset,
                len(payload),
                (
                    Field(
                        "Data",
                        "data.data",
                        payload[:64].hex(":"),
                        f"{len(payload)} bytes",
                        offset,
                        len(payload),
                        "More bytes of an HTTP message that started in an earlier segment.",
                    ),
                ),
            )
        ]
    while pos < len(payload) and is_start(payload[pos:]):
        layer, pos = _message(payload, pos, offset, stream)
        layers.append(layer)
    if pos < len(payload):
        rest = payload[pos:]
        layers.append(
            Layer(
                "HTTP continuation",
                offset + pos,
                len(rest),
                (
                    Field(
                        "Data",
                        "data.data",
                        rest[:64].hex(":"),
                        f"{len(rest)} bytes",
                        offset + pos,
                        len(rest),
                    ),
                ),
            )
        )
    return layers


def _get(layers: tuple[Layer, ...], filt: str) -> str | None:
    for layer in layers:
        for f in layer.fields:
            if f.filter == filt:
                return f.value
    return None


def summarize(layers: tuple[Layer, ...]) -> str:
    method, uri = _get(layers, "http.request.method"), _get(layers, "http.request.uri")
    if method:
        return f"HTTP {method} {uri}"
    code = _get(layers, "http.response.code")
    if code:
        return f"HTTP {code} {_get(layers, 'http.response.phrase') or ''}".rstrip()
    n = sum(layer.length for layer in layers if layer.name.startswith("HTTP"))
    return f"HTTP body ({n} bytes)" if n else ""


def describe(layers: tuple[Layer, ...]) -> str:
    method, uri = _get(layers, "http.request.method"), _get(layers, "http.request.uri")
    if method:
        host = _get(layers, "http.host")
        where = f" on {host}" if host else ""
        return f"an HTTP request, {method} {uri}{where}"
    code = _get(layers, "http.response.code")
    if code:
        return (
            f"the HTTP response {code} {_get(layers, 'http.response.phrase') or ''}".rstrip()
            + f" ({status_meaning(int(code))})"
        )
    if any(layer.name == "HTTP body" for layer in layers):
        return "more of the HTTP body"
    return "more of an HTTP message begun in an earlier segment"


app(App("http", ("tcp",), (80, 8080, 8000), dissect, describe, is_start, summarize))
