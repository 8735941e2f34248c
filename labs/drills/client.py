"""The probes themselves, as a program on the laptop would run them (inside
the laptop's namespace, started by `labs.drills.agent probe`): resolve like
dig, connect like nc, fetch like curl -w, trace like traceroute. Each
returns a plain dict: outcome, words, details, timings (seconds, from the
program's own clock; the trace measures them again from the packets)."""

from __future__ import annotations

import errno
import socket
import ssl
import time
from typing import Any
from urllib.parse import urlsplit

from labs.model.timewords import took as words_for

DNS_TIMEOUT = 3.0
CONNECT_TIMEOUT = 2.0
READ_TIMEOUT = 3.0


def _is_address(host: str) -> bool:
    try:
        socket.inet_aton(host)
    except OSError:
        return False
    return host.count(".") == 3


def resolve(name: str, server: str) -> dict[str, Any]:
    from dnslib import QTYPE, RCODE, DNSRecord

    started = time.perf_counter()
    try:
        raw = DNSRecord.question(name, "A").send(server, 53, timeout=DNS_TIMEOUT)
    except TimeoutError:
        return {"outcome": "timeout", "words": f"No DNS answer from {server} in "
                f"{DNS_TIMEOUT:g} s.", "details": [["server", server]], "address": None}  # fmt: skip
    took = time.perf_counter() - started
    reply = DNSRecord.parse(raw)
    rcode = RCODE.get(reply.header.rcode)
    answers = [(str(rr.rdata), rr.ttl) for rr in reply.rr if rr.rtype == QTYPE.A]
    details = [["server", server], ["rcode", str(rcode)], ["time", words_for(took)]]
    details += [["answer", f"{a} (TTL {ttl} s)"] for a, ttl in answers]
    if reply.header.rcode == 3:
        words = f"{server} says {name} does not exist (NXDOMAIN): there is no such name."
        return {"outcome": "nxdomain", "words": words, "details": details, "address": None,
                "dns": took}  # fmt: skip
    if not answers:
        words = f"{server} knows {name} but gave no IPv4 address for it ({rcode})."
        return {"outcome": "no-answer", "words": words, "details": details, "address": None,
                "dns": took}  # fmt: skip
    address, ttl = answers[0]
    words = (
        f"{name} is {address}, says {server}, after {words_for(took)}; it may be kept "
        f"(cached) for {ttl} more seconds."
    )
    return {"outcome": "answer", "words": words, "details": details, "address": address,
            "dns": took}  # fmt: skip


def _connect(address: str, port: int) -> tuple[str, str, socket.socket | None, float]:
    started = time.perf_counter()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(CONNECT_TIMEOUT)
    where = f"{address}:{port}"
    try:
        sock.connect((address, port))
    except ConnectionRefusedError:
        sock.close()
        return (
            "refused",
            f"{where} refused the connection at once (a TCP reset came back).",
            None,
            0,
        )
    except TimeoutError:
        sock.close()
        return "timeout", (f"No answer from {where} in {CONNECT_TIMEOUT:g} s: the connection "
                           "attempts went unanswered."), None, 0  # fmt: skip
    except OSError as err:
        sock.close()
        if err.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
            return "unreachable", (f"{where} cannot be reached: {err.strerror} (a router or "
                                   "this laptop has no way there)."), None, 0  # fmt: skip
        return "error", f"Connecting to {where} failed: {err.strerror}.", None, 0
    return "open", f"{where} accepted the connection.", sock, time.perf_counter() - started


def _host_address(host: str, resolver: str, out: dict[str, Any]) -> str | None:
    if _is_address(host):
        return host
    found = resolve(host, resolver)
    out["details"] += found["details"]
    out["timings"]["dns"] = found.get("dns", 0.0)
    if found["address"] is None:
        out.update(outcome=found["outcome"], words=found["words"])
    return found["address"]


def connect(args: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"details": [], "timings": {}}
    address = _host_address(args["host"], args["resolver"], out)
    if address is None:
        return out
    outcome, words, sock, took = _connect(address, int(args["port"]))
    if sock is not None:
        out["timings"]["connect"] = took
        sock.close()
    out.update(outcome=outcome, words=words)
    return out


def _read_response(sock: Any) -> tuple[bytes, float]:
    data, first = b"", 0.0
    started = time.perf_counter()
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        if not data:
            first = time.perf_counter() - started
        data += chunk
        head, sep, body = data.partition(b"\r\n\r\n")
        if sep:
            length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), None)  # fmt: skip
            if length is not None and len(body) >= length:
                break
    return data, first


#: Response headers a fetch reports (the ones the HTTP drills are about).
SHOWN = ("retry-after", "x-backend", "x-ratelimit-remaining", "server")


def http_outcome(status: str) -> str:
    """A fetch's outcome from the answer's status line: `ok` for 1xx-3xx,
    `http-error` for 4xx/5xx (the server answered, and said no)."""
    parts = status.split()
    if len(parts) < 2 or not parts[1].isdigit():
        return "error"
    return "ok" if int(parts[1]) < 400 else "http-error"


def worst(outcomes: list[str]) -> str:
    """The outcome of several calls: the first that is not `ok`, else `ok`."""
    return next((o for o in outcomes if o != "ok"), "ok")


def _headers(data: bytes) -> list[tuple[str, str]]:
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")[1:]
    return [(k.strip().lower(), v.strip()) for k, _, v in (line.partition(":") for line in head)]


def fetch(args: dict[str, Any]) -> dict[str, Any]:
    count = int(args.get("count") or 1)
    if count > 1:  # the same call again and again, each on a new connection
        runs = [fetch(dict(args, count=1)) for _ in range(count)]
        last = runs[-1]
        last["outcome"] = worst([r.get("outcome", "error") for r in runs])
        statuses = [next((v for k, v in r["details"] if k == "status"), r["outcome"]) for r in runs]
        last["details"] = [[f"call {n}", s] for n, s in enumerate(statuses, 1)] + [
            d for d in last["details"] if d[0].startswith("header")
        ]
        last["words"] = f"{count} calls: " + "; ".join(
            f"{n}: {s}" for n, s in enumerate(statuses, 1)
        )
        return last
    url = urlsplit(args["url"])
    host, secure = url.hostname or "", url.scheme == "https"
    port = url.port or (443 if secure else 80)
    out: dict[str, Any] = {"details": [], "timings": {}}
    address = _host_address(host, args["resolver"], out)
    if address is None:
        return out
    outcome, words, sock, took = _connect(address, port)
    if sock is None:
        out.update(outcome=outcome, words=words)
        return out
    out["timings"]["connect"] = took
    try:
        if secure:
            ctx = ssl.create_default_context(cadata=args["ca_pem"])
            started = time.perf_counter()
            try:
                sock = ctx.wrap_socket(sock, server_hostname=host)
            except ssl.SSLCertVerificationError as err:
                why = err.verify_message or str(err)
                out.update(outcome="tls-error", words=f"The TLS handshake with {host} failed: the "
                           f"laptop rejected the server's certificate ({why}).")  # fmt: skip
                out["details"].append(["certificate", why])
                return out
            out["timings"]["tls"] = time.perf_counter() - started
        upload, gap = int(args.get("upload") or 0), float(args.get("reuse") or 0)
        path = (url.path or "/") + (f"?{url.query}" if url.query else "")
        method = "POST" if upload else "GET"
        head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: tutor-drill\r\n"
        head += f"Content-Length: {upload}\r\n" if upload else ""
        head += "Connection: keep-alive\r\n\r\n" if gap else "Connection: close\r\n\r\n"
        sock.settimeout(READ_TIMEOUT)
        started = time.perf_counter()
        try:
            sock.sendall(head.encode() + b"u" * upload)
            data, first = _read_response(sock)
        except TimeoutError:
            out.update(outcome="timeout", words=f"The connection to {host} opened, the "
                       f"{method} was sent, and no answer came in {READ_TIMEOUT:g} s.")  # fmt: skip
            return out
        status = data.split(b"\r\n", 1)[0].decode("latin-1")
        out["timings"].update(first_byte=first, total=time.perf_counter() - started)
        out["details"] += [["status", status], ["bytes", str(len(data))]]
        out["details"] += [[f"header {k}", v] for k, v in _headers(data) if k in SHOWN]
        out.update(
            outcome=http_outcome(status), words=f"{host} answered {status} ({len(data)} bytes)."
        )
        if gap:
            time.sleep(gap)  # the connection sits idle in the client's pool
            try:
                sock.sendall(head.encode())
                again, _ = _read_response(sock)
            except OSError as err:
                out.update(outcome="reset", words=f"{host} answered {status}; after {gap:g} s idle, "
                           f"the same connection was reused and broke: {err.strerror or err}.")  # fmt: skip
                return out
            second = again.split(b"\r\n", 1)[0].decode("latin-1") or "nothing (closed)"
            out["details"] += [["after idle", second]]
            out["words"] += f" After {gap:g} s idle, the same connection answered {second}."
    except OSError as err:
        out.update(outcome="error", words=f"The connection to {host} broke: {err}.")
    finally:
        sock.close()
    return out


def trace(args: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"details": [], "timings": {}}
    address = _host_address(args["host"], args["resolver"], out)
    if address is None:
        return out
    from scapy.layers.inet import ICMP, IP
    from scapy.layers.l2 import Ether

    from labs.netsim.ns_agent import traceroute

    got = traceroute({"dst": address, "mode": "udp", "iface": "eth0", "src": args["src"],
                      "wait": 0.6, "max_ttl": 5})  # fmt: skip
    hops = []
    for _t, _i, data in got["frames"]:
        pkt = Ether(bytes.fromhex(data))
        if pkt.haslayer(ICMP) and pkt[IP].src != args["src"] and pkt[ICMP].type in (3, 11):
            hops.append(f"{pkt[IP].src} (ICMP {pkt[ICMP].type}/{pkt[ICMP].code})")
    out["details"] = [[f"hop {n}", h] for n, h in enumerate(hops, 1)]
    if got["reached"]:
        words = f"The probes reached {address} after {len(hops)} answer(s) on the way."
    elif hops:
        words = f"The probes got as far as {hops[-1].split()[0]}; nothing answered beyond it."
    else:
        words = f"No router on the way to {address} answered at all."
    out.update(outcome="reached" if got["reached"] else "stopped", words=words)
    return out


def run(args: dict[str, Any]) -> dict[str, Any]:
    kind = args["kind"]
    if kind == "resolve":
        found = resolve(args["name"], args.get("server") or args["resolver"])
        found["timings"] = {"dns": found.pop("dns", 0.0)}
        found.pop("address", None)
        return found
    return {"connect": connect, "fetch": fetch, "trace": trace}[kind](args)
