"""The simulated drill (no root, or asked for): each probe's outcome decided
from the same `World` the keeper builds, and the frames a real run would
capture on the office gateway built with scapy. Nothing is sent; times are
made up (1 ms on the LAN, 20 ms to the servers, the resolver's delay), and
every trace and result says SIMULATED.

This model is hand-written because no library simulates a drill's faults:
it follows what the live drill does (see `labs.drills.world`), one rule per
fault, in the order a packet meets them (laptop's gateway, the gateway's
route, the ISP's firewall, NAT, the server)."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

from scapy.layers.dns import DNS, DNSQR, DNSRR
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.l2 import ARP, Ether
from scapy.packet import Raw

from labs.drills.spec import Service, Variant, World
from labs.drills.world import AUTHORITATIVE, CLIENT, GATEWAY, GATEWAY_WAN, server_addresses

MAC = {"client": "02:00:00:00:00:17", "lan": "02:00:00:00:01:01", "wan": "02:00:00:00:01:02",
       "isp": "02:00:00:00:02:01"}  # fmt: skip
LAN_RTT, NET_RTT = 0.001, 0.020


class _Wire:
    """The frames of one probe, on lan0 and wan0, with a made-up clock."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.t = time.time()
        self.frames: list[list[Any]] = []
        self.port = 40000 + int(self.t * 1000) % 20000

    def lan(self, pkt: Any, dt: float = 0.0) -> None:
        self.t += dt
        self.frames.append([self.t, "lan0", bytes(pkt).hex()])

    def wan(self, pkt: Any, dt: float = 0.0) -> None:
        self.t += dt
        self.frames.append([self.t, "wan0", bytes(pkt).hex()])

    def out(self, ip: Any, reaches_wan: bool = True) -> None:
        """A packet from the laptop toward the Internet: on lan0, then (NATed) on wan0."""
        self.lan(Ether(src=MAC["client"], dst=MAC["lan"]) / ip, LAN_RTT / 2)
        if reaches_wan:
            wan = ip.copy()
            wan.ttl -= 1
            if self.world.nat:
                wan.src = GATEWAY_WAN
            del wan.chksum
            if wan.haslayer(TCP):
                del wan[TCP].chksum
            if wan.haslayer(UDP):
                del wan[UDP].chksum
            self.wan(Ether(src=MAC["wan"], dst=MAC["isp"]) / wan, LAN_RTT / 2)

    def back(self, ip: Any, ttl_at_wan: int) -> None:
        """A packet toward the laptop: on wan0 (to the gateway's address), then on lan0."""
        ip.ttl = ttl_at_wan
        wan = ip.copy()
        if self.world.nat:
            wan.dst = GATEWAY_WAN
        self.wan(Ether(src=MAC["isp"], dst=MAC["wan"]) / wan, NET_RTT / 2)
        ip.ttl = ttl_at_wan - 1
        self.lan(Ether(src=MAC["lan"], dst=MAC["client"]) / ip, LAN_RTT / 2)


def _dns(w: _Wire, name: str, server: str) -> dict[str, Any]:
    world = w.world
    sport = w.port
    w.port += 1
    query = (
        IP(src=CLIENT, dst=server) / UDP(sport=sport, dport=53) / DNS(rd=1, qd=DNSQR(qname=name))
    )
    if server == GATEWAY:
        records = {r.name: r for r in world.records} | {r.name: r for r in world.stale}
        w.lan(Ether(src=MAC["client"], dst=MAC["lan"]) / query)
        delay, internet = world.dns_delay + LAN_RTT, False
    elif server == AUTHORITATIVE and _path(world) == "ok":
        records = {r.name: r for r in world.records}
        w.out(query)
        delay, internet = NET_RTT, True
    else:
        w.out(query, reaches_wan=_path(world) in ("ok", "nonat"))
        return {"outcome": "timeout", "words": f"No DNS answer from {server} in 3 s.",
                "details": [["server", server]], "address": None}  # fmt: skip
    record = records.get(name)
    answer = DNS(id=0, qr=1, aa=1, rd=1, ra=1, rcode=0 if record else 3, qd=DNSQR(qname=name),
                 an=DNSRR(rrname=name, type="A", ttl=record.ttl, rdata=record.address) if record else None)  # fmt: skip
    reply = IP(src=server, dst=CLIENT, ttl=64) / UDP(sport=53, dport=sport) / answer
    if internet:
        w.back(reply, 63)
    else:
        w.lan(Ether(src=MAC["lan"], dst=MAC["client"]) / reply, delay)
    ms = f"{delay * 1000:.0f} ms"
    if record is None:
        return {"outcome": "nxdomain", "words": f"{server} says {name} does not exist (NXDOMAIN).",
                "details": [["server", server], ["rcode", "NXDOMAIN"], ["time", ms]],
                "address": None, "dns": delay}  # fmt: skip
    return {"outcome": "answer", "words": f"{name} is {record.address}, says {server}, after {ms}.",
            "details": [["server", server], ["answer", f"{record.address} (TTL {record.ttl} s)"],
                        ["time", ms]], "address": record.address, "dns": delay}  # fmt: skip


def _path(world: World) -> str:
    if world.client_gateway != GATEWAY:
        return "arp"
    if not world.gateway_default:
        return "netunreach"
    return "ok" if world.nat else "nonat"


def _tcp(w: _Wire, address: str, port: int) -> str:
    """The handshake toward address:port; returns the outcome key."""
    world, sport = w.world, w.port
    w.port += 1
    syn = IP(src=CLIENT, dst=address, ttl=64, flags="DF") / TCP(
        sport=sport, dport=port, flags="S", seq=1000
    )
    path = _path(world)
    if path == "arp":
        for _ in range(3):
            w.lan(Ether(src=MAC["client"], dst="ff:ff:ff:ff:ff:ff")
                  / ARP(op=1, hwsrc=MAC["client"], psrc=CLIENT, pdst=world.client_gateway), 1.0)  # fmt: skip
        return "timeout"
    if path == "netunreach":
        w.lan(Ether(src=MAC["client"], dst=MAC["lan"]) / syn)
        icmp = IP(src=GATEWAY, dst=CLIENT) / ICMP(type=3, code=0) / bytes(syn)[:28]
        w.lan(Ether(src=MAC["lan"], dst=MAC["client"]) / icmp, LAN_RTT)
        return "unreachable"
    rule = next((r for r in world.rules if r.port == port), None)
    listening = any(s.address == address and s.port == port and (s.bind or s.address) != "127.0.0.1"
                    for s in world.services)  # fmt: skip
    tries = 2 if (rule and rule.action == "drop") or path == "nonat" else 1
    if address not in server_addresses(world):
        tries = 2
    for n in range(tries):
        w.t += 1.0 if n else 0.0  # the kernel's first SYN retransmission, after 1 s
        w.out(syn.copy(), reaches_wan=True)
    if tries == 2:
        return "timeout"
    rst = IP(src=address, dst=CLIENT) / TCP(sport=port, dport=sport, flags="RA", seq=0, ack=1001)
    if rule and rule.action == "reject":
        w.back(rst, 64)  # made by the ISP router: one hop nearer than the server
        return "refused"
    if not listening:
        w.back(rst, 63)
        return "refused"
    w.back(IP(src=address, dst=CLIENT, flags="DF") / TCP(sport=port, dport=sport, flags="SA", seq=5000, ack=1001), 63)  # fmt: skip
    w.out(IP(src=CLIENT, dst=address, flags="DF") / TCP(sport=sport, dport=port, flags="A", seq=1001, ack=5001))  # fmt: skip
    w.sport = sport  # type: ignore[attr-defined]
    return "open"


WORDS = {
    "timeout": "No answer from {where} in 2 s: the connection attempts went unanswered.",
    "refused": "{where} refused the connection at once (a TCP reset came back).",
    "unreachable": "{where} cannot be reached: Network is unreachable.",
    "open": "{where} accepted the connection.",
}


def _target(w: _Wire, host: str, out: dict[str, Any]) -> str | None:
    if host.replace(".", "").isdigit():
        return host
    found = _dns(w, host, GATEWAY)
    out["details"] += found["details"]
    out["timings"]["dns"] = found.get("dns", 0.0)
    if found["address"] is None:
        out.update(outcome=found["outcome"], words=found["words"])
    return found["address"]  # type: ignore[no-any-return]


def _fetch(w: _Wire, args: dict[str, Any], out: dict[str, Any], address: str) -> None:
    url = urlsplit(args["url"])
    secure = url.scheme == "https"
    port = url.port or (443 if secure else 80)
    outcome = _tcp(w, address, port)
    where = f"{address}:{port}"
    if outcome != "open":
        out.update(outcome=outcome, words=WORDS[outcome].format(where=where))
        return
    sport = w.sport  # type: ignore[attr-defined]
    svc = next(s for s in w.world.services if s.address == address and s.port == port)

    def data(payload: bytes, seq: int) -> Any:
        return IP(src=CLIENT, dst=address, flags="DF") / TCP(sport=sport, dport=port, flags="PA", seq=seq, ack=5001) / Raw(payload)  # fmt: skip

    if secure and svc.cert != "ok":
        code = 45 if svc.cert == "expired" else 42
        w.out(data(bytes([0x15, 3, 3, 0, 2, 2, code]), 1001))
        why = "certificate has expired" if code == 45 else "Hostname mismatch"
        out.update(outcome="tls-error", words=f"The TLS handshake failed: the laptop rejected the "
                   f"server's certificate ({why}).")  # fmt: skip
        return
    upload = int(args.get("upload") or 0)
    head = f"{'POST' if upload else 'GET'} {url.path or '/'} HTTP/1.1\r\nHost: {url.hostname}\r\n"
    head += f"Content-Length: {upload}\r\n" if upload else ""
    w.out(data((head + "\r\n").encode(), 1001))
    if upload and w.world.mtu and upload > w.world.mtu:
        for _ in range(2):  # the full-size segment, and its retransmission: never past the gateway
            w.out(data(b"u" * 1460, 1001 + len(head) + 2), reaches_wan=False)
            w.t += 0.4
        out.update(outcome="timeout", words="The POST was sent and no answer came in 3 s.")
        return
    w.calls = getattr(w, "calls", 0) + 1  # type: ignore[attr-defined]
    code, reason, extra = _status(svc, w.calls)  # type: ignore[attr-defined]
    body = b'{"ok": true}' if code == 200 else b'{"error": "' + reason.encode() + b'"}'
    reply = (
        f"HTTP/1.1 {code} {reason}\r\n{extra}Content-Length: {len(body)}\r\n\r\n".encode() + body
    )
    w.back(IP(src=address, dst=CLIENT, flags="DF") / TCP(sport=port, dport=sport, flags="PA", seq=5001, ack=1001) / Raw(reply), 63)  # fmt: skip
    out["details"] += [["status", f"HTTP/1.1 {code} {reason}"]]
    out["details"] += [[f"header {k.lower()}", v.strip()] for k, _, v in
                       (h.partition(":") for h in extra.splitlines() if h)]  # fmt: skip
    out.update(outcome="ok" if code < 400 else "http-error",
               words=f"{url.hostname} answered HTTP/1.1 {code} {reason}.")  # fmt: skip
    gap = int(args.get("reuse") or 0)
    if (
        gap
        and svc.kind == "module:idle_middlebox"
        and gap > float(_option(svc, "--idle-timeout", "30"))
    ):
        w.t += gap
        w.out(data((head + "\r\n").encode(), 1001 + len(head) + 2))
        w.back(IP(src=address, dst=CLIENT) / TCP(sport=port, dport=sport, flags="R", seq=5001 + len(reply)), 63)  # fmt: skip
        out.update(outcome="reset", words=f"After {gap} s idle, the reused connection was reset.")


def _option(svc: Service, name: str, default: str) -> str:
    args = list(svc.args)
    return args[args.index(name) + 1] if name in args else default


def _status(svc: Service, call: int) -> tuple[int, str, str]:
    """What a fault server answers its `call`-th request (as labs/drills/servers/ do)."""
    if svc.kind == "module:ratelimit" and call > int(_option(svc, "--limit", "5")):
        return 429, "Too Many Requests", f"Retry-After: {_option(svc, '--window', '10')}\r\n"
    if svc.kind == "module:loadbalancer" and call % 2 == 0:
        return 503, "Service Unavailable", f"X-Backend: {_option(svc, '--dead', 'app-2')}\r\n"
    return 200, "OK", ""


def probe(v: Variant, args: dict[str, Any]) -> tuple[dict[str, Any], list[list[Any]]]:
    w = _Wire(v.world)
    out: dict[str, Any] = {"details": [], "timings": {}}
    kind = args["kind"]
    if kind == "resolve":
        found = _dns(w, args["name"], args.get("server") or GATEWAY)
        found["timings"] = {"dns": found.pop("dns", 0.0)}
        return found, w.frames
    host = args["host"] if kind != "fetch" else (urlsplit(args["url"]).hostname or "")
    address = _target(w, host, out)
    if address is None:
        return out, w.frames
    if kind == "connect":
        outcome = _tcp(w, address, int(args["port"]))
        out.update(outcome=outcome, words=WORDS[outcome].format(where=f"{address}:{args['port']}"))
    elif kind == "fetch":
        statuses, outcomes = [], []
        for _ in range(int(args.get("count") or 1)):
            _fetch(w, args, out, address)
            statuses.append(out["words"])
            outcomes.append(out["outcome"])
        if len(statuses) > 1:
            out["words"] = " ".join(f"{n}: {s}" for n, s in enumerate(statuses, 1))
            out["outcome"] = next((o for o in outcomes if o != "ok"), "ok")
    else:
        path = _path(v.world)
        hops = [GATEWAY] if path != "arp" else []
        hops += ["198.51.100.2"] if path in ("ok", "nonat") else []
        out["details"] = [[f"hop {n}", h] for n, h in enumerate(hops, 1)]
        out.update(outcome="stopped", words="The simulated route goes as far as "
                   + (hops[-1] if hops else "nowhere") + ".")  # fmt: skip
    return out, w.frames
