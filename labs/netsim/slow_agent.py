"""The slow-network lab's programs inside its namespaces (started like
`labs.netsim.ns_agent`, see `labs.netsim.conditions.agent_argv`):

- serve: the API server: a DNS server for its own name and an HTTPS API
  (a fresh throwaway CA made by trustme; TLS 1.3; no session tickets, so the
  first encrypted bytes after a request are its answer);
- call: the laptop's API calls on fresh connections: look the name up, then
  GET a download and POST an upload, as any client would;
- forward: the slow link (`labs.netsim.forwarder`);
- blackhole: drop the router's ICMP "fragmentation needed" (nftables);
- capture: capture on the laptop's card: every frame, unparsed, in microseconds.

Each prints JSON lines: {"ready": ...} once listening, then its result, or
{"error": "..."}.
"""

from __future__ import annotations

import http.client
import os
import socket
import ssl
import struct
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from labs.netsim import forwarder
from labs.netsim.nft import drop_output
from labs.netsim.ns_agent import dispatch, emit, wait_for_stop

NAME = "api.shop.example"
#: The most the download may ask for (the lab asks far less).
MAX_BYTES = 16 * 1024 * 1024


# --- the server ------------------------------------------------------------


def _dns(sock: socket.socket, address: str, stop: threading.Event, address6: str = "") -> None:
    # lazy: only the server's agent needs dnslib
    from dnslib import AAAA, QTYPE, RR, A, DNSRecord

    sock.settimeout(0.1)
    while not stop.is_set():
        try:
            data, peer = sock.recvfrom(2048)
        except TimeoutError:
            continue
        try:
            query = DNSRecord.parse(data)
        except Exception:  # noqa: BLE001 - not DNS: ignore it, as a server would
            continue
        reply = query.reply()
        if str(query.q.qname).rstrip(".") == NAME and query.q.qtype == QTYPE.A:
            reply.add_answer(RR(NAME, QTYPE.A, rdata=A(address), ttl=300))
        elif str(query.q.qname).rstrip(".") == NAME and query.q.qtype == QTYPE.AAAA and address6:
            reply.add_answer(RR(NAME, QTYPE.AAAA, rdata=AAAA(address6), ttl=300))
        sock.sendto(reply.pack(), peer)


def _read_request(conn: ssl.SSLSocket) -> tuple[str, str, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the request ended")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _version = lines[0].split(" ", 2)
    length = 0
    for line in lines[1:]:
        key, _, value = line.partition(":")
        if key.strip().lower() == "content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return method, target, body


def _answer(method: str, target: str, body: bytes) -> bytes:
    url = urlsplit(target)
    if method == "GET" and url.path == "/download":
        size = min(int(parse_qs(url.query).get("bytes", ["1000"])[0]), MAX_BYTES)
        payload, status, kind = b"x" * size, "200 OK", "application/octet-stream"
    elif method == "POST" and url.path == "/upload":
        payload, status, kind = (
            f'{{"received": {len(body)}}}'.encode(),
            "201 Created",
            "application/json",
        )
    else:
        payload, status, kind = b'{"error": "not found"}', "404 Not Found", "application/json"
    head = (
        f"HTTP/1.1 {status}\r\nServer: tutor-lab\r\nContent-Type: {kind}\r\n"
        f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + payload


def _https(listener: socket.socket, context: ssl.SSLContext, stop: threading.Event) -> None:
    listener.settimeout(0.1)

    def handle(raw: socket.socket) -> None:
        try:
            with context.wrap_socket(raw, server_side=True) as conn:
                conn.settimeout(60)
                conn.sendall(_answer(*_read_request(conn)))
        except (OSError, ValueError):
            pass  # the client gave up (a black-holed upload): nothing to answer

    while not stop.is_set():
        try:
            raw, _peer = listener.accept()
        except TimeoutError:
            continue
        threading.Thread(target=handle, args=(raw,), daemon=True).start()


def serve(args: dict[str, Any]) -> None:
    # lazy: only the server's agent makes certificates
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert(NAME)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.num_tickets = 0  # no NewSessionTicket: the first bytes after a request are its answer
    cert.configure_cert(context)
    stop = threading.Event()
    host, host6 = args["host"], args.get("host6", "")
    sockets, threads = [], []
    for family, address in ((socket.AF_INET, host), (socket.AF_INET6, host6)):
        if not address:
            continue
        udp = socket.socket(family, socket.SOCK_DGRAM)
        udp.bind((address, 53))
        listener = socket.create_server((address, 443), family=family)
        sockets += [udp, listener]
        threads += [
            threading.Thread(target=_dns, args=(udp, host, stop, host6), daemon=True),
            threading.Thread(target=_https, args=(listener, context, stop), daemon=True),
        ]
    for thread in threads:
        thread.start()
    emit({"ready": True, "ca": ca.cert_pem.bytes().decode()})
    wait_for_stop()
    stop.set()
    for thread in threads:
        thread.join(2)
    for sock in sockets:
        sock.close()


# --- the laptop --------------------------------------------------------------


def _lookup(server: str, timeout: float) -> tuple[str, int]:
    """Ask the lab's DNS server for the API's address, as a stub resolver
    does: UDP, a new try after 1 s without an answer; over IPv6 (AAAA) when
    the server's address is one. Returns the address and the number of tries."""
    from dnslib import QTYPE, DNSRecord

    v6 = ":" in server
    query = DNSRecord.question(NAME, "AAAA" if v6 else "A")
    deadline = time.monotonic() + timeout
    tries = 0
    with socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM) as sock:
        while time.monotonic() < deadline:
            tries += 1
            sock.sendto(query.pack(), (server, 53))
            sock.settimeout(min(1.0, max(0.05, deadline - time.monotonic())))
            try:
                data, _ = sock.recvfrom(2048)
            except TimeoutError:
                continue
            reply = DNSRecord.parse(data)
            answers = [str(r.rdata) for r in reply.rr if r.rtype == (QTYPE.AAAA if v6 else QTYPE.A)]
            if answers:
                return answers[0], tries
    raise TimeoutError(f"no DNS answer for {NAME} in {timeout:g} s")


def _call(
    address: str, context: ssl.SSLContext, method: str, path: str, body: bytes, timeout: float
) -> dict[str, Any]:
    """One request on a fresh connection, its status and size, or how long
    it waited before giving up."""
    started = time.monotonic()
    conn = http.client.HTTPSConnection(NAME, 443, timeout=timeout, context=context)
    # The name was looked up already (that lookup is the DNS phase): connect
    # to its address, and still send the name in SNI and check the certificate.
    conn._create_connection = lambda _addr, *rest: socket.create_connection((address, 443), *rest)  # type: ignore[attr-defined]
    try:
        conn.connect()
        conn.putrequest(method, path, skip_accept_encoding=True)
        conn.putheader("User-Agent", "tutor-lab")
        conn.putheader("Connection", "close")
        if body:
            conn.putheader("Content-Type", "application/octet-stream")
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body or None)
        reply = conn.getresponse()
        data = reply.read()
        return {
            "method": method,
            "path": path,
            "status": reply.status,
            "bytes": len(data),
            "sent": len(body),
            "seconds": round(time.monotonic() - started, 6),
            "timed_out": False,
        }
    except TimeoutError:
        return {
            "method": method,
            "path": path,
            "status": 0,
            "bytes": 0,
            "sent": len(body),
            "seconds": round(time.monotonic() - started, 6),
            "timed_out": True,
        }
    finally:
        conn.close()


def call(args: dict[str, Any]) -> dict[str, Any]:
    timeout = float(args["timeout"])
    address, tries = _lookup(args["dns"], timeout)
    # Named after this process, as every temporary folder of a lab: the
    # network's teardown stops agents with SIGKILL, so this `with` may never
    # end, and the teardown (or a later cleanup) removes it by that name.
    with tempfile.TemporaryDirectory(prefix=f"tutor-keys-{os.getpid()}-") as tmp:
        keylog = os.path.join(tmp, "keys")
        context = ssl.create_default_context(cadata=args["ca"])
        context.minimum_version = ssl.TLSVersion.TLSv1_3
        context.keylog_filename = keylog  # the session keys, so a saved pcap can be decrypted
        get = ("GET", f"/download?bytes={int(args['download'])}", b"", timeout)
        post = ("POST", "/upload", b"u" * int(args.get("upload", 0)), float(args["upload_timeout"]))
        # Upload first when the path is narrow: the server learns the path MTU
        # from a download and would announce a smaller MSS on the next
        # connection, so the laptop's own Path MTU discovery would never show.
        order = [post, get] if args.get("upload_first") else [get, post]
        calls = []
        for n, (method, path, body, wait) in enumerate(o for o in order if o[0] == "GET" or o[2]):
            if n:
                time.sleep(0.05)  # a visible gap between the two exchanges
            calls.append(_call(address, context, method, path, body, wait))
        keys = Path(keylog).read_text(encoding="ascii") if os.path.exists(keylog) else ""
    return {"address": address, "dns_tries": tries, "calls": calls, "keylog": keys}


# --- the routers ---------------------------------------------------------------


def forward(args: dict[str, Any]) -> dict[str, Any]:
    return forwarder.run(args, lambda: emit({"ready": True}))


def blackhole(args: dict[str, Any]) -> dict[str, Any]:
    """Drop the ICMP "fragmentation needed" this router would send (and, with
    IPv6 on, ICMPv6 "packet too big"): the misconfigured firewall of an MTU
    black hole (nftables over netlink)."""
    # ICMP type 3 (destination unreachable), code 4 (fragmentation needed)
    drop_output("tutor_blackhole", b"\x01", b"\x03\x04")
    ruleset = (
        "table ip tutor_blackhole {\n  chain output {\n"
        "    type filter hook output priority filter; policy accept;\n"
        "    icmp type destination-unreachable icmp code frag-needed counter drop\n  }\n}"
    )
    if args.get("ipv6"):
        drop_output("tutor_blackhole6", b"\x3a", b"\x02", socket.AF_INET6)  # ICMPv6 type 2
        ruleset += (
            "\ntable ip6 tutor_blackhole6 {\n  chain output {\n"
            "    type filter hook output priority filter; policy accept;\n"
            "    icmpv6 type packet-too-big counter drop\n  }\n}"
        )
    return {"ruleset": ruleset}


def capture(args: dict[str, Any]) -> dict[str, Any]:
    """Every frame on one interface, read from a packet socket as the kernel
    hands them over, unparsed: a Python sniffer that parses each frame (scapy)
    falls behind an unlimited link and, stopped, loses its backlog (a run at
    0 ms lost its whole upload). The receive buffer is forced large, and each
    frame keeps the kernel's receive time in whole microseconds (SO_TIMESTAMP),
    as libpcap and a pcap file keep it: times tutor derives from two packets
    (tcp.analysis.rto) are then the ones tshark derives from the saved file."""
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 64 * 1024 * 1024)
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMP, 1)
        sock.bind((args["iface"], 0))
        sock.settimeout(0.05)
        stop = threading.Event()
        threading.Thread(target=_stop_on_request, args=(stop,), daemon=True).start()
        emit({"ready": True})
        frames = _read(sock, args["iface"], stop)
    finally:
        sock.close()
    return {"frames": frames}


def _stop_on_request(stop: threading.Event) -> None:
    wait_for_stop()
    stop.set()


def _read(sock: socket.socket, iface: str, stop: threading.Event) -> list[list[Any]]:
    """Frames until told to stop and then nothing new came for QUIET seconds
    (the last frames of the closing exchange), at most LINGER after the stop."""
    frames: list[list[Any]] = []
    space = socket.CMSG_SPACE(16)
    last = stopped = 0.0
    while True:
        now = time.monotonic()
        if stop.is_set():
            stopped = stopped or now
            if now - max(last, stopped) >= QUIET or now - stopped >= LINGER:
                return frames
        try:
            data, ancillary, _flags, _addr = sock.recvmsg(65536, space)
        except TimeoutError:
            continue
        when = time.time()
        for level, kind, value in ancillary:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMP and len(value) >= 16:
                sec, usec = struct.unpack("qq", value[:16])
                when = sec + usec / 1_000_000
        frames.append([round(when, 6), iface, data.hex()])
        last = time.monotonic()


#: setsockopt options: a receive buffer above net.core.rmem_max (root only);
#: each frame's receive time as a struct timeval; every protocol.
SO_RCVBUFFORCE = 33
SO_TIMESTAMP = 29
ETH_P_ALL = 0x0003
#: After the stop: the quiet that ends the capture, and the most it lingers.
QUIET = 0.2
LINGER = 2.0

COMMANDS = {"call": call, "forward": forward, "blackhole": blackhole, "capture": capture}


def main(argv: list[str]) -> int:
    return dispatch(argv, serve, COMMANDS)
