"""The slow-network lab without namespaces: the frames a run would capture on
the laptop's card, computed from the conditions (nothing is sent).

It models what a learner can check by hand: every ask-and-answer costs one
round trip, slow start doubles the answer's segments each round trip, a rate
limit spaces them, a narrow link brings an ICMP "fragmentation needed" (or,
filtered, a hang). It does not model loss: random drops need a real TCP to
react to them, which is what the live version is for. Times are computed,
not measured; the trace says so on every packet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scapy.layers.dns import DNS, DNSQR, DNSRR
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.l2 import ARP, Ether
from scapy.layers.tls.extensions import (
    ServerName,
    TLS_Ext_ServerName,
    TLS_Ext_SupportedVersion_CH,
    TLS_Ext_SupportedVersion_SH,
)
from scapy.layers.tls.handshake import TLSClientHello, TLSServerHello
from scapy.layers.tls.record import TLS

from labs.base import RawPacket
from labs.catalog.slow_network.result import Call, SlowResult

LAPTOP, ROUTER, SERVER = "192.0.2.10", "192.0.2.1", "203.0.113.80"
MAC_LAPTOP, MAC_ROUTER = "02:00:00:00:00:0a", "02:00:00:00:00:01"
NAME = "api.shop.example"
MSS = 1448  # 1500 minus IP, TCP and the timestamps option, as between two Linux hosts
START = 1_700_000_000.0
HANG = 5.0


@dataclass
class _Wire:
    """Frames as the laptop's card sees them, with computed times."""

    rtt: float
    rate: int
    frames: list[RawPacket] = field(default_factory=list)

    def add(self, t: float, pkt: Any, out: bool) -> None:
        src, dst = (MAC_LAPTOP, MAC_ROUTER) if out else (MAC_ROUTER, MAC_LAPTOP)
        frame = Ether(src=src, dst=dst) / pkt
        self.frames.append(
            RawPacket(START + t, bytes(frame), "ethernet", "your laptop's card (eth0)")
        )

    def spacing(self, size: int) -> float:
        """Time one packet of `size` bytes takes through the rate limit."""
        return size * 8 / (self.rate * 1000) if self.rate else 0.00001


def _records(kind: int, size: int) -> bytes:
    """Encrypted TLS records of `size` bytes in all (their content is noise)."""
    out = b""
    while size > 0:
        n = min(size - 5, 16384 + 256)
        out += bytes([kind, 3, 3]) + n.to_bytes(2, "big") + bytes(n)
        size -= n + 5
    return out


def _hello() -> bytes:
    ext = [
        TLS_Ext_ServerName(servernames=[ServerName(servername=NAME.encode())]),
        TLS_Ext_SupportedVersion_CH(versions=[0x0304]),
    ]
    msg = TLSClientHello(version=0x0303, gmt_unix_time=0, random_bytes=bytes(28), sid=bytes(32),
                         ciphers=[0x1301], comp=[0], ext=ext)  # fmt: skip
    return bytes(TLS(type=22, version=0x0301, msg=[msg]))


def _server_hello() -> bytes:
    msg = TLSServerHello(version=0x0303, gmt_unix_time=0, random_bytes=bytes(28), sid=bytes(32),
                         cipher=0x1301, comp=0, ext=[TLS_Ext_SupportedVersion_SH(version=0x0304)])  # fmt: skip
    return bytes(TLS(type=22, version=0x0303, msg=[msg])) + bytes.fromhex("140303000101")


class _Conn:
    """One simulated TCP connection from the laptop to the API server."""

    def __init__(self, wire: _Wire, sport: int, mss: int) -> None:
        self.wire, self.sport, self.mss = wire, sport, mss
        self.cseq, self.sseq = 1000 * sport, 7_000_000 + sport

    def seg(self, t: float, out: bool, flags: str, data: bytes = b"") -> None:
        ip = (
            IP(src=LAPTOP, dst=SERVER, flags="DF")
            if out
            else IP(src=SERVER, dst=LAPTOP, flags="DF", ttl=62)
        )
        sport, dport = (self.sport, 443) if out else (443, self.sport)
        seq, ack = (self.cseq, self.sseq) if out else (self.sseq, self.cseq)
        opts = [("MSS", 1460)] if "S" in flags else []
        tcp = TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack if "A" in flags else 0,
                  window=502, options=opts)  # fmt: skip
        self.wire.add(t, ip / tcp / data, out)
        grow = len(data) + (1 if "S" in flags or "F" in flags else 0)
        if out:
            self.cseq += grow
        else:
            self.sseq += grow

    def send(self, t: float, out: bool, data: bytes) -> float:
        """`data` in slow-start rounds; returns when its last byte arrives."""
        rtt, window, pos, at = self.wire.rtt, 10, 0, t
        chunks = [data[i : i + self.mss] for i in range(0, len(data), self.mss)]
        while pos < len(chunks):
            burst = chunks[pos : pos + window]
            at = max(at, t)
            for i, chunk in enumerate(burst):
                at += self.wire.spacing(len(chunk) + 66)
                # Captured on the laptop: its own segments as they leave
                # (their ACKs come back a round trip later), the server's as
                # they arrive (acknowledged at once, every second one).
                self.seg(
                    at if out else at + rtt / 2, out, "PA" if i == len(burst) - 1 else "A", chunk
                )
                if i % 2 == 1 or i == len(burst) - 1:
                    self.seg(at + rtt if out else at + rtt / 2 + 0.0001, not out, "A")
            pos += len(burst)
            window *= 2
            t += rtt  # the next round leaves when this one's first ACKs are back
        return at + rtt / 2


def simulate(cond: Any, download: int, upload: int) -> tuple[list[RawPacket], SlowResult]:
    rtt = max(cond.delay_ms / 1000, 0.0002)
    wire = _Wire(rtt, cond.rate_kbit)
    t = 0.0
    wire.add(t, ARP(op=1, hwsrc=MAC_LAPTOP, psrc=LAPTOP, pdst=ROUTER), True)
    wire.frames[-1] = RawPacket(START, bytes(Ether(src=MAC_LAPTOP, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=MAC_LAPTOP, psrc=LAPTOP, pdst=ROUTER)), "ethernet", wire.frames[-1].interface)  # fmt: skip
    t += rtt
    wire.add(t, ARP(op=2, hwsrc=MAC_ROUTER, psrc=ROUTER, hwdst=MAC_LAPTOP, pdst=LAPTOP), False)
    t += 0.001
    query = DNS(id=0x1234, rd=1, qd=DNSQR(qname=NAME, qtype="A"))
    wire.add(t, IP(src=LAPTOP, dst=SERVER) / UDP(sport=40000, dport=53) / query, True)
    t += rtt
    answer = DNS(id=0x1234, qr=1, aa=1, rd=1, ra=1, qd=DNSQR(qname=NAME, qtype="A"),
                 an=DNSRR(rrname=NAME, type="A", ttl=300, rdata=SERVER))  # fmt: skip
    wire.add(t, IP(src=SERVER, dst=LAPTOP, ttl=62) / UDP(sport=53, dport=40000) / answer, False)
    narrow = cond.mtu and cond.mtu < 1500
    mss = cond.mtu - 52 if narrow and not cond.blackhole else MSS
    calls = []
    for n, (method, path, body, size) in enumerate(
        (
            ("GET", f"/download?bytes={download}", b"", download),
            ("POST", "/upload", b"u" * upload, 20),
        )
    ):
        t += 0.001 if n == 0 else 0.05
        began = t
        conn = _Conn(wire, 50000 + n, mss)
        conn.seg(t, True, "S")
        t += rtt
        conn.seg(t, False, "SA")
        conn.seg(t + 0.0001, True, "A")
        t += 0.0003
        conn.seg(t, True, "PA", _hello())
        flight = _server_hello() + _records(23, 2600)  # certificate, verify, Finished: encrypted
        if narrow and cond.blackhole:
            # The server's flight is full-size packets: they never cross the narrow link.
            t += HANG
            conn.seg(t, True, "FA")
            calls.append(Call(method, path, 0, 0, len(body), round(t - began, 6), True))
            continue
        t = conn.send(t + rtt / 2, False, flight)
        conn.seg(t + 0.0003, True, "PA", _records(20, 6) + _records(23, 74))  # its Finished
        t += 0.0005
        request = _records(23, 150 + (len(body) and 60))
        if body and narrow and mss < MSS:
            # The first full-size segment meets the narrow link: router 1 answers for it.
            conn.seg(t, True, "A", bytes(MSS))
            conn.cseq -= MSS
            wire.add(t + rtt, IP(src=ROUTER, dst=LAPTOP) / ICMP(type=3, code=4, nexthopmtu=cond.mtu)
                     / bytes(IP(src=LAPTOP, dst=SERVER, flags="DF", len=1500) / TCP(sport=conn.sport, dport=443))[:28], False)  # fmt: skip
            t += rtt
        if body:
            arrived = conn.send(t, True, request + _records(23, len(body)))
        else:
            conn.seg(t, True, "PA", request)
            arrived = t + rtt / 2
        t = conn.send(arrived, False, _records(23, size + 180))
        conn.seg(t + 0.0002, False, "FA")
        conn.seg(t + 0.0003, True, "FA")
        conn.seg(t + rtt / 2 + 0.0003, False, "A")
        calls.append(
            Call(method, path, 200 if n == 0 else 201, size, len(body), round(t - began, 6), False)
        )
        t += rtt / 2 + 0.001
    result = SlowResult(
        cond.delay_ms, cond.jitter_ms, cond.loss_pct, cond.rate_kbit, cond.mtu, cond.blackhole,
        "simulated: times computed from the conditions (no loss modelled, nothing sent)",
        (), tuple(calls), 1, (),
    )  # fmt: skip
    wire.frames.sort(key=lambda r: r.time)
    return wire.frames, result
