"""The http2 lab: the same API call over HTTP/1.1 and over HTTP/2.

With no target the lab starts its own server (`labs.catalog.http2.server`):
over TLS by default (certificate made on the spot for `shop.example`, the
client trusting only that CA), or in clear with `--h2c`. With `--target
https://HOST[:PORT]/PATH` it talks to a live server over TLS (the system's
CAs, or none with `--insecure`); `http://...` speaks HTTP/2 in clear by prior
knowledge, which only h2c servers understand.

Over TLS the wire shows the TLS records; the frames inside them are recorded
at the client's end (origin "inside-tls", never written to a pcap) and the
session keys are kept, so a saved pcap opens decrypted in Wireshark with
FILE.pcap.keys beside it.
"""

from __future__ import annotations

import socket
import ssl
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from labs.core.hostport import parse_url
from labs.kit import (
    BadInput,
    Capture,
    Endpoint,
    LabContext,
    LabRequest,
    Plan,
    Recording,
    capture_run,
    capture_where,
    keylog_file,
    resolve,
)

from .client import run_both
from .explain import explain
from .result import Http2Result
from .server import SERVER_NAME, h2_server

__all__ = ["RESULT", "explain", "record"]

LAB = "http2"
RESULT = Http2Result
#: The embedded API's calls: the one compared with HTTP/1.1, one more order,
#: and the list (big enough for several DATA frames and a WINDOW_UPDATE).
PATHS = ("/api/orders/42", "/api/orders/43", "/api/orders")
HINT = "Use https://HOST[:PORT]/PATH, or http://HOST:PORT/PATH for HTTP/2 in clear (h2c)."


@dataclass(frozen=True)
class _Where:
    """What `setup` decided for `converse`."""

    endpoint: Endpoint
    name: str
    authority: str
    paths: tuple[str, ...]
    contexts: tuple[ssl.SSLContext | None, ssl.SSLContext | None]
    keylog: str
    ours: bool
    embedded: bool


def _contexts(
    ca_pem: bytes | None, insecure: bool, keylog: str
) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """Two client TLS settings alike but for ALPN: the first offers only
    http/1.1, the second h2 first (what browsers send)."""
    out = []
    for alpn in (["http/1.1"], ["h2", "http/1.1"]):
        context = ssl.create_default_context(cadata=ca_pem.decode() if ca_pem else None)
        if insecure:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        context.set_alpn_protocols(alpn)
        context.keylog_filename = keylog
        out.append(context)
    return out[0], out[1]


def _target(text: str, h2c: bool) -> tuple[str, int, str, bool]:
    """(host, port, path, tls) of the learner's URL."""
    url = parse_url(text, LAB, "HTTP/2", ("https", "http"), HINT, assume="https")
    tls = url.scheme.lower() == "https"
    if h2c and tls:
        raise BadInput(
            f"--h2c asks for HTTP/2 in clear, and {text} is https://.",
            "Give an http:// URL for h2c, or drop --h2c.",
        )
    path = (url.path or "/") + (f"?{url.query}" if url.query else "")
    return url.hostname or "", url.port or (443 if tls else 80), path, tls


def record(req: LabRequest, ctx: LabContext) -> Recording[Http2Result]:
    h2c, insecure = bool(req.option("h2c")), bool(req.option("insecure"))
    given = _target(req.target, h2c) if req.target else None
    chosen: list[_Where] = []

    def setup(stack: ExitStack) -> Plan:
        if given is None:
            ctx.say(f"Starting the lab's own {'h2c' if h2c else 'HTTPS'} server on 127.0.0.1 ...")
            server = stack.enter_context(h2_server(tls=not h2c))
            endpoint = Endpoint(socket.AF_INET, server.host, server.port)
            name, paths, tls = SERVER_NAME, PATHS, server.tls
            ca: bytes | None = server.ca_pem
        else:
            host, port, path, tls = given
            endpoint = resolve(host, port, socket.SOCK_STREAM)
            name, paths, ca = host, (path, path, path), None
        default = 443 if tls else 80
        host_part = f"[{name}]" if ":" in name else name
        authority = host_part if endpoint.port == default else f"{host_part}:{endpoint.port}"
        keylog, ours = keylog_file(stack, LAB) if tls else ("", False)
        contexts = _contexts(ca, insecure, keylog) if tls else (None, None)
        chosen.append(
            _Where(endpoint, name, authority, paths, contexts, keylog, ours, given is None)
        )
        iface, only = capture_where(endpoint)
        scheme = "https" if tls else "http"
        shown = f"{scheme}://{authority}{paths[0]} ({endpoint.shown})"
        return Plan(shown, (endpoint.port,), iface=iface, host=only)

    def converse(cap: Capture, _plan: Plan) -> Http2Result:
        w = chosen[0]
        h1, h2 = run_both(
            cap, w.endpoint, w.name, w.authority, w.paths, w.contexts, req.timeout, ctx
        )
        return Http2Result(
            mode="h2c" if w.contexts[1] is None else "tls",
            port=w.endpoint.port,
            embedded=w.embedded,
            authority=w.authority,
            http1=h1,
            http2=h2,
            keylog=_read_text(w.keylog) if w.ours else "",
            keylog_path="" if w.ours else w.keylog,
        )

    return capture_run(ctx, LAB, setup, converse)


def _read_text(path: str) -> str:
    try:
        return Path(path).read_text(encoding="ascii", errors="replace")
    except OSError:
        return ""
