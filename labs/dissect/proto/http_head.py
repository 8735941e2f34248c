"""HTTP/1.x heads: the request or status line and each header line, as
Wireshark names them (`labs.dissect.proto.http` frames and reassembles the
messages; this module reads the lines of one head).

The message is read line by line here rather than with scapy's
`HTTPRequest`/`HTTPResponse`: those keep headers in a dict with no byte
positions (and lose repeated headers), so the lines had to be split anyway
to find each field's bytes, and building a scapy HTTP packet (over a hundred
declared header fields) cost more than the rest of a packet's dissection.
"""

from __future__ import annotations

import re
from functools import lru_cache

from labs.model.trace import Field

# match() anchors at its start position; the URI may be long, so no length cap.
# M-SEARCH and NOTIFY: SSDP (HTTP over UDP multicast, labs.dissect.proto.ssdp).
REQUEST_LINE = re.compile(
    rb"(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|CONNECT|TRACE|M-SEARCH|NOTIFY) \S+ HTTP/\d"
)

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


def status_meaning(code: int) -> str:
    return STATUS.get(code) or f"a {_CLASSES.get(code // 100, 'non-standard')} status"


def is_start(payload: bytes) -> bool:
    return bool(REQUEST_LINE.match(payload)) or payload.startswith((b"HTTP/1.", b"HTTP/2"))


def _text(b: bytes) -> str:
    return b.decode("latin-1")


#: Lines remembered (least recently used go first): the lines that recur
#: (a status line, the usual headers) stay; a request line with its own URI
#: never comes again, and 4096 of them held ~4 MB (`tutor explain --json`
#: grew with the capture until it was full).
_LINES_KEPT = 256


@lru_cache(maxsize=_LINES_KEPT)
def line_fields(line: bytes, at: int, request: bool) -> tuple[Field, ...]:
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


@lru_cache(maxsize=_LINES_KEPT)
def header_field(line: bytes, at: int, request: bool) -> Field:
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
