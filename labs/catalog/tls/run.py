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

import os
import socket
import ssl
import tempfile
import time
from contextlib import ExitStack, suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from labs.base import LabContext, LabOptions, RawPacket
from labs.errors import BadInput, LabError
from labs.hostport import Endpoint, capture_where, resolve
from labs.trace import Trace

LAB = "tls"
DEFAULT_PORT = 443
#: The most response bytes the lab reads (it shows the exchange, not a download).
MAX_RESPONSE = 256 * 1024
WIRE = "https"
INSIDE = "inside the encrypted tunnel (not visible on the wire)"
USER_AGENT = "tutor-lab/0.1"
KEYLOG_ENV = "SSLKEYLOGFILE"


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
    hint = "Use https://HOST[:PORT]/PATH."
    raw = text.strip()
    if "://" not in raw:
        raw = "https://" + raw
    try:
        url = urlsplit(raw)
        port = url.port or DEFAULT_PORT
    except ValueError:
        raise BadInput(f"{text!r} is not a usable HTTPS address.", hint) from None
    if url.scheme != "https":
        raise BadInput(
            f"The tls lab looks at HTTPS, and {text} is {url.scheme}://.",
            "Use an https:// URL (the http-api lab shows plain HTTP).",
        )
    if not url.hostname:
        raise BadInput(f"{text!r} names no host.", hint)
    path = url.path or "/"
    if url.query:
        path += "?" + url.query
    return TlsTarget(url.hostname, port, path)


@dataclass(frozen=True)
class Exchange:
    """What the client learned from its end of the connection."""

    sni: str | None
    version: str
    cipher: str
    alpn: str | None
    cert_der: bytes
    verified: bool
    request: bytes
    response: bytes
    #: The session keys (SSLKEYLOGFILE format) when the lab wrote them itself ...
    keylog: str = ""
    #: ... or the learner's SSLKEYLOGFILE they were appended to.
    keylog_path: str = ""


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


def _read_all(tls: Any) -> bytes:
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


def _connect_error(exc: OSError, where: str, timeout: float) -> LabError:
    if isinstance(exc, ConnectionRefusedError):
        return LabError(
            f"Nothing accepted the connection at {where} (connection refused).",
            "Check the port, or run without --target to use the lab's own server.",
        )
    if isinstance(exc, TimeoutError):
        return LabError(f"No answer from {where} within {timeout:g} s.", "Check the address.")
    return LabError(f"Could not connect to {where}: {exc.strerror or exc}.")


def _handshake_error(exc: ssl.SSLError, name: str) -> LabError:
    if isinstance(exc, ssl.SSLCertVerificationError):
        reason = exc.verify_message or exc.reason or "verification failed"
        return LabError(
            f"The certificate of {name} could not be verified ({reason}).",
            "Add --insecure to look at the connection anyway (the lab then trusts any certificate).",
        )
    return LabError(f"The TLS handshake with {name} failed: {exc.reason or exc}.")


def fetch(
    cap: Any,
    endpoint: Endpoint,
    name: str,
    path: str,
    context: ssl.SSLContext,
    timeout: float,
    ctx: LabContext,
) -> Exchange:
    """Connect, handshake (SNI `name`), send one GET, read the response, close."""
    address = (endpoint.address, endpoint.port)
    try:
        raw = cap.create_connection(address, timeout, conversation=WIRE)
    except OSError as exc:
        raise _connect_error(exc, endpoint.shown, timeout) from None
    try:
        ctx.check()
        try:
            tls = cap.wrap_tls(raw, context, server_hostname=name, conversation=INSIDE)
        except ssl.SSLError as exc:
            raise _handshake_error(exc, name) from None
        # What the client's end knows once the handshake is done (asked now:
        # a closed TLS object no longer answers).
        sni = None if _is_address(name) else name
        cipher = tls.cipher()
        partial = Exchange(
            sni=sni,
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
        try:
            tls.close()
        except (OSError, ValueError):
            pass
        return replace(partial, response=response)
    except TimeoutError:
        raise LabError(f"{name} stopped answering for {timeout:g} s.") from None
    except OSError as exc:
        raise LabError(f"The connection to {name} broke: {exc.strerror or exc}.") from None
    finally:
        raw.close()


def _keylog_file(stack: ExitStack) -> tuple[str, bool]:
    """(path, ours): the learner's SSLKEYLOGFILE, else a temporary file we remove."""
    given = os.environ.get(KEYLOG_ENV, "").strip()
    if given:
        return given, False
    handle, path = tempfile.mkstemp(prefix="tutor-tls-", suffix=".keys")
    os.close(handle)
    stack.callback(_remove, path)
    return path, True


def _remove(path: str) -> None:
    with suppress(FileNotFoundError):
        os.remove(path)


def run(options: LabOptions, ctx: LabContext) -> Trace:
    from labs.capture.core import open_capture

    started = datetime.now(UTC).isoformat(timespec="seconds")
    clock = time.monotonic()
    given = parse_target(options.target) if options.target else None
    with ExitStack() as stack:
        if given is None:
            from labs.catalog.tls.server import SERVER_NAME, https_server

            ctx.say("Starting the lab's own HTTPS server on 127.0.0.1 (certificate made now) ...")
            server = stack.enter_context(https_server())
            endpoint = Endpoint(socket.AF_INET, server.host, server.port)
            target = TlsTarget(SERVER_NAME, server.port, server.path)
            ca_pem: bytes | None = server.ca_pem
        else:
            target, ca_pem = given, None
            endpoint = resolve(given.host, given.port, socket.SOCK_STREAM)
        keylog, ours = _keylog_file(stack)
        context = client_context(ca_pem, options.insecure, keylog)
        iface, host = capture_where(endpoint)
        with open_capture(ctx, ports=[endpoint.port], proto="tcp", iface=iface, host=host) as cap:
            ctx.say(f"Requesting {target.url()} from {endpoint.shown} ...")
            exchange = fetch(cap, endpoint, target.host, target.path, context, options.timeout, ctx)
            cap.settle()
        raws = [r for r in cap.packets() if r.conversation in (WIRE, INSIDE)]
        exchange = replace(
            exchange,
            keylog=_read_text(keylog) if ours else "",
            keylog_path="" if ours else keylog,
        )
    return assemble(
        raws,
        target=f"{target.url()} ({endpoint.shown})",
        kind=cap.kind,
        note=cap.note,
        port=endpoint.port,
        exchange=exchange,
        embedded=given is None,
        started=started,
        duration=round(time.monotonic() - clock, 3),
    )


def _is_address(host: str) -> bool:
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
    except OSError:
        return False
    return True


def _read_text(path: str) -> str:
    try:
        with open(path, encoding="ascii", errors="replace") as fh:
            return fh.read()
    except OSError:
        return ""


def assemble(
    raws: list[RawPacket],
    *,
    target: str,
    kind: str,
    note: str,
    port: int,
    exchange: Exchange,
    embedded: bool,
    started: str,
    duration: float,
) -> Trace:
    """The trace: wire packets read as TLS, the plaintext inside as HTTP
    (labs.dissect.core reads each origin in its own Session, though they share
    the same endpoints)."""
    from labs.catalog.tls.explain import tls_facts, tls_sections
    from labs.catalog.tls.steps import tls_steps
    from labs.dissect.core import dissect_all, sender_ip

    raws = sorted(raws, key=lambda r: r.time)
    packets = dissect_all(raws, {port: "tls"}, client=sender_ip(raws[0]) if raws else None)
    return Trace(
        lab=LAB,
        target=target,
        capture=kind,
        steps=tls_steps(packets, exchange),
        packets=packets,
        capture_note=note,
        link=raws[0].link if raws else "raw-ip",
        sections=tls_sections(packets, exchange, embedded),
        facts=tls_facts(packets, exchange),
        started=started,
        duration=duration,
    )
