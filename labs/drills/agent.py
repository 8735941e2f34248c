"""The programs a live drill runs inside its namespaces (started by the
keeper, see `labs.drills.keeper.agent_argv`; they die with it):

- dns (office gateway + servers): the office resolver (its cache, its delay)
  and the name's own authoritative server, with dnslib;
- web (servers): the drill's HTTP and HTTPS services, or a fault server of
  `labs/drills/servers/` as a child process, and the name's own DNS server;
- sniff (office gateway): captures on both sides until told to stop; each
  "take" line returns the frames seen since the last one;
- probe (laptop): one probe (`labs.drills.client`).

Arguments come as one JSON line on stdin (a certificate's key never shows
on a command line); each prints JSON lines on stdout: {"ready": ...} once
serving, results, or {"error": "..."}.
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


def emit(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _lines() -> Any:
    for line in sys.stdin:
        yield line.strip()


# --- dns ----------------------------------------------------------------------


def _dns_server(conf: dict[str, Any]) -> Any:
    from dnslib import QTYPE, RCODE, RR, A
    from dnslib.server import BaseResolver, DNSLogger, DNSServer

    records = {k.lower(): v for k, v in conf["records"].items()}
    delay, countdown, t0 = float(conf.get("delay", 0)), bool(conf.get("countdown")), time.time()

    class Resolver(BaseResolver):  # type: ignore[misc]
        def resolve(self, request: Any, handler: Any) -> Any:
            if delay:
                time.sleep(delay)  # the slow resolver of the slow-dns drill
            reply = request.reply()
            qname = str(request.q.qname).rstrip(".").lower()
            if qname not in records:
                reply.header.rcode = RCODE.NXDOMAIN
            elif request.q.qtype in (QTYPE.A, QTYPE.ANY):
                address, ttl = records[qname]
                if countdown:  # a cached answer: its TTL counts down from when it was cached
                    ttl = max(1, int(ttl - (time.time() - t0)))
                reply.add_answer(RR(qname, QTYPE.A, rdata=A(address), ttl=int(ttl)))
            return reply

    logger = DNSLogger(log="-request,-reply,-truncated,-error,-recv,-send,-data", prefix=False)
    server = DNSServer(Resolver(), address=conf["host"], port=53, logger=logger)
    server.start_thread()
    return server


def dns(args: dict[str, Any]) -> None:
    servers = [_dns_server(args[k]) for k in ("resolver", "authoritative") if k in args]
    emit({"ready": True})
    for line in _lines():
        if line == "stop":
            break
    for server in servers:
        server.stop()


# --- web ----------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "shop-api/1.0"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def _send(self, body: bytes, kind: str = "application/json") -> None:
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        query = parse_qs(urlsplit(self.path).query)
        size = query.get("size", [""])[0]
        if size.isdigit():
            self._send(b"x" * min(int(size), 1 << 22), "application/octet-stream")
        else:
            self._send(json.dumps({"ok": True, "host": self.headers.get("Host", "")}).encode())

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        got = 0
        while got < length and (chunk := self.rfile.read(min(65536, length - got))):
            got += len(chunk)
        self._send(json.dumps({"received": got}).encode())


def _https_context(cert_pem: str, key_pem: str) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    # TLS 1.2 at most: its Certificate message crosses the wire unencrypted,
    # so the capture (and tshark) can show the certificate the drill is about.
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    with tempfile.TemporaryDirectory(prefix=f"tutor-drillcert-{os.getpid()}-") as tmp:
        path = os.path.join(tmp, "cert.pem")
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as fh:
            fh.write(key_pem + cert_pem)
        ctx.load_cert_chain(path)
    return ctx


def _module(svc: dict[str, Any]) -> subprocess.Popen[str]:
    name = svc["kind"].split(":", 1)[1]
    if not name.isidentifier():
        raise ValueError(f"not a server module: {name!r}")
    listen = f"{svc['bind']}:{svc['port']}"
    proc = subprocess.Popen(
        [sys.executable, "-I", "-m", f"labs.drills.servers.{name}", "--listen", listen, *svc["args"]],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd="/",
    )  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("listening"):
        proc.kill()
        raise RuntimeError(f"the {name} server did not start")
    return proc


def web(args: dict[str, Any]) -> None:
    """The services, and the name's own DNS server (the same namespace: one process fewer)."""
    servers: list[ThreadingHTTPServer] = []
    children: list[subprocess.Popen[str]] = []
    dns_servers = [_dns_server(args["authoritative"])] if "authoritative" in args else []
    try:
        for svc in args["services"]:
            if svc["kind"].startswith("module:"):
                children.append(_module(svc))
                continue
            server = ThreadingHTTPServer((svc["bind"], int(svc["port"])), _Handler)
            server.daemon_threads = True
            if svc["kind"] == "https":
                ctx = _https_context(svc["cert_pem"], svc["key_pem"])
                server.socket = ctx.wrap_socket(server.socket, server_side=True)
            threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
            servers.append(server)
        emit({"ready": True})
        for line in _lines():
            if line == "stop":
                break
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
        for child in children:
            child.terminate()
            child.wait(5)
        for server in dns_servers:
            server.stop()


# --- sniff --------------------------------------------------------------------


def sniff(args: dict[str, Any]) -> None:
    from scapy.sendrecv import AsyncSniffer

    lock, frames, started = threading.Lock(), [], threading.Event()

    def keep(p: Any) -> None:
        with lock:
            frames.append([float(p.time), getattr(p, "sniffed_on", "") or "", bytes(p).hex()])

    sniffer = AsyncSniffer(
        iface=args["ifaces"], store=False, prn=keep, started_callback=started.set
    )
    sniffer.start()
    try:
        if not started.wait(5):
            raise RuntimeError("the sniffer did not start")
        emit({"ready": True})
        for line in _lines():
            if line == "stop":
                break
            if line == "take":
                # Let the last frames reach the sniffer: until nothing new for 0.15 s (bounded).
                seen, deadline = -1, time.monotonic() + 1.0
                while time.monotonic() < deadline and seen != len(frames):
                    seen = len(frames)
                    time.sleep(0.15)
                with lock:
                    taken = list(frames)
                    frames.clear()
                emit({"frames": taken})
    finally:
        sniffer.stop()


def probe(args: dict[str, Any]) -> None:
    from labs.drills.client import run

    emit(run(args))


COMMANDS = {"dns": dns, "web": web, "sniff": sniff, "probe": probe}


def main(argv: list[str]) -> int:
    try:
        args = json.loads(sys.stdin.readline() or "{}")
        COMMANDS[argv[0]](args)
    except Exception as exc:  # reported to the keeper as one line, never a traceback
        emit({"error": f"{type(exc).__name__}: {exc}"})
        return 1
    return 0
