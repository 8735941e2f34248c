"""Small programs the routing labs run inside a network namespace.

    ip netns exec NS python -I -c '...; main(sys.argv[1:])' COMMAND '{"json": "args"}'

(started by `labs.netsim.netns.agent_argv`, never with `python -m`: it runs
as root and must not import code from the learner's working directory).

Each prints JSON lines on stdout: an optional {"ready": ...} once it is
listening or sniffing, then its result; {"error": "..."} when it fails.
Long-running commands (serve, sniff) stop when stdin closes or says "stop".
Because the process starts inside the namespace, scapy reads that
namespace's interfaces and routes when it is imported.

- traceroute: TTL-limited probes (udp | icmp | tcp) from this host, captured
  on `iface`; returns every frame seen there.
- serve: a tiny HTTP server that answers with the address it saw the client as.
- request: one HTTP GET to the server, as any program on a laptop would.
- nat: installs the gateway's masquerade rule (nftables over netlink).
- sniff: captures on several interfaces until told to stop, then reads the
  gateway's connection-tracking table.
"""

from __future__ import annotations

import json
import random
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from scapy.layers.inet import ICMP, IP, TCP, UDP, ICMPerror, TCPerror, UDPerror
from scapy.sendrecv import AsyncSniffer

from labs.netsim.nft import masquerade

TRACEROUTE_PORT = 33434


def emit(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def wait_for_stop() -> None:
    for line in sys.stdin:
        if line.strip() == "stop":
            return


def _frames(packets: Any) -> list[list[Any]]:
    return [[float(p.time), getattr(p, "sniffed_on", "") or "", bytes(p).hex()] for p in packets]


# --- traceroute -----------------------------------------------------------


def _probe(mode: str, dst: str, ttl: int, sport: int) -> Any:
    ip = IP(dst=dst, ttl=ttl, id=random.randint(1, 0xFFFF))
    if mode == "icmp":
        return ip / ICMP(type=8, id=sport, seq=ttl) / b"tutor traceroute"
    if mode == "tcp":
        return ip / TCP(sport=sport + ttl, dport=80, flags="S", seq=random.getrandbits(32))
    return ip / UDP(sport=sport, dport=TRACEROUTE_PORT + ttl - 1) / b"tutor traceroute"


def key(pkt: Any) -> tuple[Any, ...] | None:
    """What ties a probe to its answer: the ports or echo id/seq, read from the
    probe itself or from the copy of it an ICMP error quotes."""
    if pkt.haslayer(UDPerror):
        return ("udp", pkt[UDPerror].sport, pkt[UDPerror].dport)
    if pkt.haslayer(TCPerror):
        return ("tcp", pkt[TCPerror].sport, pkt[TCPerror].dport)
    if pkt.haslayer(ICMPerror):
        return ("icmp", pkt[ICMPerror].id, pkt[ICMPerror].seq)
    if pkt.haslayer(UDP):
        return ("udp", pkt[UDP].sport, pkt[UDP].dport)
    if pkt.haslayer(TCP):
        tcp = pkt[TCP]
        if tcp.flags & 0x10:  # an answer: turn it around to match the probe
            return ("tcp", tcp.dport, tcp.sport)
        return ("tcp", tcp.sport, tcp.dport)
    if pkt.haslayer(ICMP) and pkt[ICMP].type in (0, 8):
        return ("icmp", pkt[ICMP].id, pkt[ICMP].seq)
    return None


def traceroute(args: dict[str, Any]) -> dict[str, Any]:
    dst, mode, iface = args["dst"], args.get("mode", "udp"), args["iface"]
    wait, max_ttl = float(args.get("wait", 1.0)), int(args.get("max_ttl", 8))
    sport = random.randint(33000, 60000) if mode != "icmp" else random.randint(1, 0xFFFF)
    me = args["src"]
    started = threading.Event()
    answered: dict[tuple[Any, ...], threading.Event] = {}
    from_destination: set[tuple[Any, ...]] = set()
    reset_seen = threading.Event()

    def on_packet(pkt: Any) -> None:
        if not pkt.haslayer(IP):
            return
        ip = pkt[IP]
        if ip.src == me:
            if pkt.haslayer(TCP) and pkt[TCP].flags & 0x04:
                reset_seen.set()
            return
        k = key(pkt)
        if k in answered and (pkt.haslayer(ICMP) or ip.src == dst):
            if ip.src == dst:
                from_destination.add(k)
            answered[k].set()

    sniffer = AsyncSniffer(iface=iface, store=True, prn=on_packet, started_callback=started.set)
    sniffer.start()
    try:
        if not started.wait(5):
            raise RuntimeError("the sniffer did not start")
        out = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
        reached = False
        for ttl in range(1, max_ttl + 1):
            probe = _probe(mode, dst, ttl, sport)
            k = key(probe) or ()
            event = answered.setdefault(k, threading.Event())
            out.sendto(bytes(probe), (dst, 0))
            if event.wait(wait) and k in from_destination:
                reached = True  # the destination itself answered: done
                break
        out.close()
        if reached and mode == "tcp":
            # Our kernel never opened this connection, so it resets the SYN-ACK.
            reset_seen.wait(0.5)
    finally:
        sniffer.stop()
    return {"frames": _frames(sniffer.results or []), "reached": reached}


# --- gateway-nat ----------------------------------------------------------


def http_request(host: str, path: str) -> bytes:
    """The laptop's request: what any program calling an API sends."""
    return (
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: tutor-lab\r\nConnection: close\r\n\r\n"
    ).encode()


def http_response(client_ip: str, client_port: int) -> bytes:
    """The server's answer: the address and port it saw the request come from."""
    body = json.dumps({"you_are": client_ip, "your_port": client_port}).encode()
    head = (
        "HTTP/1.0 200 OK\r\nServer: tutor-lab\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def serve(args: dict[str, Any]) -> None:
    """Answer each connection with `http_response` for the peer it sees, then close."""
    listener = socket.create_server((args["host"], int(args.get("port", 80))))
    listener.settimeout(0.1)
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, peer = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(5)
                data = b""
                while b"\r\n\r\n" not in data and (chunk := conn.recv(4096)):
                    data += chunk
                conn.sendall(http_response(peer[0], peer[1]))

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    emit({"ready": True, "port": listener.getsockname()[1]})
    wait_for_stop()
    stop.set()
    thread.join(2)
    listener.close()


def request(args: dict[str, Any]) -> dict[str, Any]:
    sock = socket.create_connection(
        (args["host"], int(args["port"])), timeout=float(args["timeout"])
    )
    with sock:
        local = sock.getsockname()
        sock.sendall(http_request(args["host"], args.get("path", "/whoami")))
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    reply = b"".join(chunks).decode("latin-1")
    head, _, body = reply.partition("\r\n\r\n")
    return {"local": list(local), "status": head.split("\r\n")[0], "body": body}


def nat_ruleset(lan: str, random_port: bool = True) -> str:
    """The gateway's NAT rule in `nft list ruleset` form (the rule `nat` installs)."""
    rule = f"ip saddr {lan} masquerade" + (" random" if random_port else "")
    return (
        "table ip tutor_nat {\n  chain postrouting {\n"
        "    type nat hook postrouting priority srcnat; policy accept;\n"
        f"    {rule}\n  }}\n}}"
    )


def nat(args: dict[str, Any]) -> dict[str, Any]:
    random_port = bool(args.get("random", True))
    masquerade(args["lan"], random_port)
    return {"ruleset": nat_ruleset(args["lan"], random_port)}


def conntrack_entries() -> dict[str, Any]:
    """The connection-tracking table: `conntrack -L` when installed, else the
    kernel's own text view; both list the original and the reply direction."""
    # Only the system's own conntrack: this runs as root, so never one found on $PATH.
    if tool := shutil.which("conntrack", path="/usr/sbin:/usr/bin:/sbin:/bin"):
        proc = subprocess.run([tool, "-L"], capture_output=True, text=True, timeout=5)
        if proc.returncode == 0:
            return {"source": "conntrack -L", "lines": proc.stdout.strip().splitlines()}
    try:
        with open("/proc/net/nf_conntrack", encoding="ascii") as fh:
            return {"source": "/proc/net/nf_conntrack", "lines": fh.read().strip().splitlines()}
    except OSError:
        return {"source": "", "lines": []}


def sniff(args: dict[str, Any]) -> dict[str, Any]:
    started = threading.Event()
    sniffer = AsyncSniffer(iface=args["ifaces"], store=True, started_callback=started.set)
    sniffer.start()
    try:
        if not started.wait(5):
            raise RuntimeError("the sniffer did not start")
        emit({"ready": True})
        wait_for_stop()
        # Let the last frames of the closing exchange reach the sniffer: stop
        # once nothing new arrived for a moment (bounded).
        seen, deadline = -1, time.monotonic() + 1.0
        while time.monotonic() < deadline and seen != len(sniffer.results or []):
            seen = len(sniffer.results or [])
            time.sleep(0.05)
    finally:
        sniffer.stop()
    return {"frames": _frames(sniffer.results or []), "conntrack": conntrack_entries()}


COMMANDS = {"traceroute": traceroute, "request": request, "nat": nat, "sniff": sniff}


def dispatch(
    argv: list[str],
    serve: Callable[[dict[str, Any]], None],
    commands: Mapping[str, Callable[[dict[str, Any]], dict[str, Any]]],
) -> int:
    """An agent's `main`: COMMAND and its JSON arguments; `serve` prints its
    own lines, any other command's result is printed as one; a failure is one
    {"error": ...} line and exit status 1."""
    command, args = argv[0], json.loads(argv[1]) if len(argv) > 1 else {}
    try:
        if command == "serve":
            serve(args)
        else:
            emit(commands[command](args))
    except Exception as exc:  # reported to the parent as one line, never a traceback
        emit({"error": f"{type(exc).__name__}: {exc}"})
        return 1
    return 0


def main(argv: list[str]) -> int:
    return dispatch(argv, serve, COMMANDS)
