"""Regenerate the small captures under tests/data/pcaps from real traffic on
127.0.0.1 (run as root: `.venv/bin/python tests/make_pcaps.py`).

Each capture is a live scapy sniff on `lo` of one short exchange with a
local server this script starts and stops: an HTTP GET and POST, a DNS A
lookup and an NXDOMAIN, a TLS handshake with SNI and ALPN, a connection to a
closed port. Ethernet framing as captured on `lo`; `http-sll.pcap` re-frames
the HTTP packets with a Linux cooked header and `http-raw.pcapng` as raw IP,
so every link type `tutor explain` reads has a real sample.
"""

from __future__ import annotations

import http.server
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

OUT = Path(__file__).parent / "data" / "pcaps"


@contextmanager
def sniffing(port: int) -> Iterator[list]:
    from scapy.arch.linux import L2Socket
    from scapy.sendrecv import AsyncSniffer

    started = threading.Event()
    sniffer = AsyncSniffer(
        iface="lo",
        filter=f"port {port}",
        L2socket=L2Socket,
        started_callback=started.set,
        store=True,
    )
    sniffer.start()
    started.wait(5)
    got: list = []
    try:
        yield got
    finally:
        import time

        time.sleep(0.3)  # let the closing packets arrive (script only, not a test)
        got.extend(sniffer.stop() or [])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802
        body = b'{"orders": [{"id": 1, "item": "tea"}]}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802
        n = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(n)
        self.send_response(201)
        self.send_header("Location", "/orders/2")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def http_server() -> Iterator[int]:
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield srv.server_address[1]
    finally:
        srv.shutdown()
        srv.server_close()


def http_exchange(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(
            f"GET /orders?page=1 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: python-requests/2.34.2\r\n"
            "Accept: */*\r\nAuthorization: Bearer s3cr3t-token\r\nConnection: close\r\n\r\n".encode()
        )
        while s.recv(65536):
            pass
    body = b'{"item": "coffee"}'
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(
            f"POST /orders HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"X-API-Key: k-123\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        while s.recv(65536):
            pass


def dns_exchange(port: int) -> None:
    from dnslib import QTYPE, RR, A, DNSRecord
    from dnslib.server import BaseResolver, DNSLogger, DNSServer

    class Zone(BaseResolver):
        def resolve(self, request, handler):  # type: ignore[no-untyped-def]
            reply = request.reply()
            if str(request.q.qname) == "shop.example.":
                reply.add_answer(RR("shop.example.", QTYPE.A, rdata=A("192.0.2.10"), ttl=300))
            else:
                reply.header.rcode = 3
            return reply

    server = DNSServer(Zone(), port=port, address="127.0.0.1", logger=DNSLogger("-request,-reply"))
    server.start_thread()
    try:
        for name in ("shop.example", "nope.example"):
            q = DNSRecord.question(name, "A")
            q.send("127.0.0.1", port, timeout=2)
    finally:
        server.stop()
        server.server.server_close()


def tls_exchange(port: int) -> None:
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("shop.example")
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.maximum_version = ssl.TLSVersion.TLSv1_2  # so the certificate is visible on the wire
    cert.configure_cert(sctx)
    sctx.set_alpn_protocols(["http/1.1"])
    lsock = socket.create_server(("127.0.0.1", port))

    def serve() -> None:
        conn, _ = lsock.accept()
        with sctx.wrap_socket(conn, server_side=True) as tls:
            tls.recv(4096)
            tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    cctx = ssl.create_default_context()
    ca.configure_trust(cctx)
    cctx.set_alpn_protocols(["http/1.1"])
    with socket.create_connection(("127.0.0.1", port)) as raw:
        with cctx.wrap_socket(raw, server_hostname="shop.example") as tls:
            tls.sendall(b"GET /secret/path HTTP/1.1\r\nHost: shop.example\r\n\r\n")
            while tls.recv(4096):
                pass
    t.join(5)
    lsock.close()


def refused_exchange(port: int) -> None:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        pass


def capture(name: str, run: Callable[[int], None], port: int | None = None) -> list:
    port = port or free_port()
    with sniffing(port) as got:
        run(port)
    from scapy.utils import wrpcap

    wrpcap(str(OUT / name), got)
    print(f"{name}: {len(got)} packets")
    return got


def main() -> None:
    from scapy.layers.l2 import CookedLinux
    from scapy.utils import RawPcapNgWriter, wrpcap

    OUT.mkdir(parents=True, exist_ok=True)
    with http_server() as port:
        got = capture("http.pcap", http_exchange, port)
    sll = []
    for p in got:
        c = (
            CookedLinux(pkttype=0, lladdrtype=772, lladdrlen=6, src=b"\0" * 8, proto=0x0800)
            / p.payload
        )
        c.time = p.time
        sll.append(c)
    wrpcap(str(OUT / "http-sll.pcap"), sll, linktype=113)
    # scapy's pcapng writer guesses Ethernet for raw IP; declare LINKTYPE_RAW.
    w = RawPcapNgWriter(str(OUT / "http-raw.pcapng"))
    w.linktype, w.sync = 101, False
    w._write_header(None)
    for p in got:
        w._write_packet(bytes(p.payload), 101, sec=float(p.time))
    w.close()
    capture("dns.pcap", dns_exchange)
    capture("tls.pcap", tls_exchange)
    capture("refused.pcap", refused_exchange)


if __name__ == "__main__":
    main()
