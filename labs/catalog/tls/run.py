"""The tls lab: one HTTPS request, and what of it anyone on the path can see.

With no target the lab starts its own HTTPS server (`labs.catalog.tls.server`,
certificate made on the spot for `shop.example`), connects to 127.0.0.1 and
asks for `shop.example` by name (SNI), trusting only that server's CA. With
`--target https://HOST[:PORT]/PATH` it talks to a live server, trusting the
system's CAs (or nothing, with `--insecure`).

The wire shows the TLS records (captured live, or recorded at the socket and
rebuilt); the HTTP request and response inside them are recorded from the
client's side and added as packets whose origin is "inside-tls", never
written to a pcap. The certificate comes from the client's end of the
connection: in TLS 1.3 its message is encrypted on the wire.
"""

from __future__ import annotations

import socket
import ssl
from contextlib import ExitStack, suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from labs.catalog.tls.explain import tls_facts, tls_sections
from labs.catalog.tls.result import Exchange, TlsResult
from labs.catalog.tls.server import SERVER_NAME, https_server
from labs.catalog.tls.steps import tls_steps
from labs.kit import (
    Capture,
    Endpoint,
    LabContext,
    LabError,
    LabRequest,
    Plan,
    Recording,
    Trace,
    capture_run,
    capture_where,
    keylog_file,
    make_trace,
    network_errors,
    parse_url,
    resolve,
    sender_ip,
)

LAB = "tls"
RESULT = TlsResult
DEFAULT_PORT = 443
#: The most response bytes the lab reads (it shows the exchange, not a download).
MAX_RESPONSE = 256 * 1024
WIRE = "https"
INSIDE = "inside the encrypted tunnel (not visible on the wire)"
USER_AGENT = "tutor-lab/0.1"


@dataclass(frozen=True)
class TlsTarget:
    """Where to connect and what name to ask for."""

    host: str
    port: int
    path: str

    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = "" if self.port == DEFAULT_PORT else f":{self.port}"
        return f"https://{host}{port}{self.path}"


def parse_target(text: str) -> TlsTarget:
    url = parse_url(
        text,
        "tls",
        "HTTPS",
        ("https",),
        "Use https://HOST[:PORT]/PATH (the http-api lab shows plain HTTP).",
        assume="https",
    )
    path = url.path or "/"
    if url.query:
        path += "?" + url.query
    return TlsTarget(url.hostname or "", url.port or DEFAULT_PORT, path)


def client_context(ca_pem: bytes | None, insecure: bool, keylog: str) -> ssl.SSLContext:
    """The client's TLS settings: trust `ca_pem` (else the system's CAs), or
    nothing with `insecure`; offer HTTP/1.1 by ALPN; write session keys."""
    context = ssl.create_default_context(cadata=ca_pem.decode() if ca_pem else None)
    if insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["http/1.1"])
    if keylog:
        context.keylog_filename = keylog
    return context


def _request(host: str, port: int, path: str) -> bytes:
    shown = host if port == DEFAULT_PORT else f"{host}:{port}"
    return (
        f"GET {path} HTTP/1.1\r\nHost: {shown}\r\nUser-Agent: {USER_AGENT}\r\n"
        "Accept: application/json\r\nConnection: close\r\n\r\n"
    ).encode()


class _Reader(Protocol):
    """The client's end of the tunnel (an SSL object, recorded by the capture)."""

    def recv(self, bufsize: int) -> bytes: ...


def _read_all(tls: _Reader) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while total < MAX_RESPONSE:
        try:
            data = tls.recv(65536)
        except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
            break
        if not data:
            break
        chunks.append(data)
        total += len(data)
    return b"".join(chunks)


def _handshake_error(exc: ssl.SSLError, name: str) -> LabError:
    if isinstance(exc, ssl.SSLCertVerificationError):
        reason = exc.verify_message or exc.reason or "verification failed"
        return LabError(
            f"The certificate of {name} could not be verified ({reason}).",
            "Add --insecure to look at the connection anyway (the lab then trusts any certificate).",
        )
    if exc.reason == "WRONG_VERSION_NUMBER":
        # Its first bytes were no TLS record: a clear-text server answering our hello.
        return LabError(
            f"{name} did not answer in TLS: this port answered in plain HTTP (or another "
            "clear-text protocol), not TLS.",
            "Try http:// (the http-api lab), or the port that serves TLS (usually 443).",
        )
    return LabError(f"The TLS handshake with {name} failed: {exc.reason or exc}.")


def fetch(
    cap: Capture,
    endpoint: Endpoint,
    name: str,
    path: str,
    context: ssl.SSLContext,
    timeout: float,
    ctx: LabContext,
) -> Exchange:
    """Connect, handshake (SNI `name`), send one GET, read the response, close."""
    with network_errors(endpoint.shown, timeout):
        raw = cap.create_connection((endpoint.address, endpoint.port), timeout, conversation=WIRE)
        try:
            ctx.check()
            try:
                tls = cap.wrap_tls(raw, context, server_hostname=name, conversation=INSIDE)
            except ssl.SSLError as exc:
                raise _handshake_error(exc, name) from None
            # What the client's end knows once the handshake is done (asked now:
            # a closed TLS object no longer answers).
            cipher = tls.cipher()
            partial = Exchange(
                sni=None if _is_address(name) else name,
                version=str(tls.version()),
                cipher=str(cipher[0]) if cipher else "",
                alpn=tls.selected_alpn_protocol(),
                cert_der=tls.getpeercert(binary_form=True) or b"",
                verified=context.verify_mode != ssl.CERT_NONE,
                request=_request(name, endpoint.port, path),
                response=b"",
            )
            ctx.check()
            tls.sendall(partial.request)
            response = _read_all(tls)
            with suppress(OSError, ValueError):
                tls.close()
            return replace(partial, response=response)
        finally:
            raw.close()


@dataclass(frozen=True)
class _Client:
    """What `setup` decided for `converse`: where to connect, what to ask for,
    whom to trust, and where the session keys go."""

    endpoint: Endpoint
    target: TlsTarget
    context: ssl.SSLContext
    keylog: str
    #: True when `keylog` is the lab's own temporary file (read, then removed).
    ours: bool


def record(req: LabRequest, ctx: LabContext) -> Recording[TlsResult]:
    given = parse_target(req.target) if req.target else None
    insecure = bool(req.option("insecure"))
    chosen: list[_Client] = []

    def setup(stack: ExitStack) -> Plan:
        if given is None:
            ctx.say("Starting the lab's own HTTPS server on 127.0.0.1 (certificate made now) ...")
            server = stack.enter_context(https_server())
            endpoint = Endpoint(socket.AF_INET, server.host, server.port)
            target = TlsTarget(SERVER_NAME, server.port, server.path)
            ca_pem: bytes | None = server.ca_pem
        else:
            target, ca_pem = given, None
            endpoint = resolve(given.host, given.port, socket.SOCK_STREAM)
        keylog, ours = keylog_file(stack, LAB)
        context = client_context(ca_pem, insecure, keylog)
        chosen.append(_Client(endpoint, target, context, keylog, ours))
        iface, host = capture_where(endpoint)
        return Plan(f"{target.url()} ({endpoint.shown})", (endpoint.port,), iface=iface, host=host)

    def converse(cap: Capture, _plan: Plan) -> TlsResult:
        client = chosen[0]
        endpoint, target = client.endpoint, client.target
        ctx.say(f"Requesting {target.url()} from {endpoint.shown} ...")
        exchange = fetch(cap, endpoint, target.host, target.path, client.context, req.timeout, ctx)
        exchange = replace(
            exchange,
            keylog=_read_text(client.keylog) if client.ours else "",
            keylog_path="" if client.ours else client.keylog,
        )
        return TlsResult(
            exchange=exchange,
            port=endpoint.port,
            embedded=given is None,
            checked_at=datetime.now(UTC).isoformat(),
        )

    return capture_run(ctx, LAB, setup, converse)


def _is_address(host: str) -> bool:
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
    except OSError:
        return False
    return True


def _read_text(path: str) -> str:
    try:
        return Path(path).read_text(encoding="ascii", errors="replace")
    except OSError:
        return ""


def explain(rec: Recording[TlsResult]) -> Trace:
    """The trace: wire packets read as TLS, the plaintext inside as HTTP
    (dissection reads each origin in its own session, though they share the
    same endpoints)."""
    result, exchange = rec.result, rec.result.exchange
    raws = sorted((r for r in rec.raws if r.conversation in (WIRE, INSIDE)), key=lambda r: r.time)
    rec = replace(rec, raws=tuple(raws))
    trace = make_trace(
        rec,
        decode_as={result.port: "tls"},
        steps=lambda packets: tls_steps(packets, exchange),
        client=sender_ip(raws[0]) if raws else None,
        # The keys a saved pcap needs; the "TLS key log" section shows them too.
        keylog=exchange.keylog,
    )
    # The sections and facts read the dissected packets, so they join the
    # trace once it has them.
    now = datetime.fromisoformat(result.checked_at)
    return replace(
        trace,
        sections=tls_sections(trace.packets, exchange, result.embedded, now),
        facts=tls_facts(trace.packets, exchange),
    )
