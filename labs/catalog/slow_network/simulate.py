"""The slow-network lab without namespaces: the frames a run would capture on
the laptop's card, computed from the conditions (nothing is sent).

It models what a learner can check by hand: every ask-and-answer costs one
round trip, slow start doubles the answer's segments each round trip, a rate
limit spaces them, a narrow link brings an ICMP "fragmentation needed" (or,
filtered, a hang), and loss (`simtcp`): frames dropped by a seeded draw, the
DNS query asked again, a SYN sent again after 1 s then 2 s, a segment sent
again after duplicate ACKs or when the timer runs out. Times are computed,
not measured; the trace says so on every packet and in its mechanism.
"""

from __future__ import annotations

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

from labs.catalog.slow_network.result import Call, SlowResult
from labs.catalog.slow_network.simtcp import (
    LAPTOP,
    MAC_LAPTOP,
    MAC_ROUTER,
    ROUTER,
    SERVER,
    START,
    Conn,
    Wire,
)
from labs.core.base import RawPacket

NAME = "api.shop.example"
MSS = 1448  # 1500 minus IP, TCP and the timestamps option, as between two Linux hosts
HANG = 5.0
#: A stub resolver's wait before it asks again (glibc's resolv.conf default is 5 s; 1 s as the lab's client).
DNS_RETRY = 1.0


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


def _lookup(wire: Wire, t: float) -> tuple[float, int]:
    """The DNS query and its answer, asked again after DNS_RETRY when either
    is lost; returns when the answer arrived and the number of tries."""
    tries = 0
    while True:
        tries += 1
        query = DNS(id=0x1234, rd=1, qd=DNSQR(qname=NAME, qtype="A"))
        sent = IP(src=LAPTOP, dst=SERVER) / UDP(sport=40000, dport=53) / query
        wire.add(t, sent, True)
        answer = DNS(id=0x1234, qr=1, aa=1, rd=1, ra=1, qd=DNSQR(qname=NAME, qtype="A"),
                     an=DNSRR(rrname=NAME, type="A", ttl=300, rdata=SERVER))  # fmt: skip
        back = IP(src=SERVER, dst=LAPTOP, ttl=62) / UDP(sport=53, dport=40000) / answer
        if not wire.lost(t, True, sent) and not wire.lost(t + wire.rtt / 2, False, back):
            wire.add(t + wire.rtt, back, False)
            return t + wire.rtt, tries
        t += DNS_RETRY


def simulate(cond: Any, download: int, upload: int) -> tuple[list[RawPacket], SlowResult]:
    rtt = max(cond.delay_ms / 1000, 0.0002)
    # Seeded from the conditions: the same conditions lose the same frames.
    wire = Wire(rtt, cond.rate_kbit, cond.loss_pct / 100, f"{cond.loss_pct:g}/{cond.delay_ms:g}")
    t = 0.0
    wire.add(t, ARP(op=1, hwsrc=MAC_LAPTOP, psrc=LAPTOP, pdst=ROUTER), True)
    wire.frames[-1] = RawPacket(START, bytes(Ether(src=MAC_LAPTOP, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=MAC_LAPTOP, psrc=LAPTOP, pdst=ROUTER)), "ethernet", wire.frames[-1].interface)  # fmt: skip
    t += rtt
    wire.add(t, ARP(op=2, hwsrc=MAC_ROUTER, psrc=ROUTER, hwdst=MAC_LAPTOP, pdst=LAPTOP), False)
    t, dns_tries = _lookup(wire, t + 0.001)
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
        conn = Conn(wire, 50000 + n, mss)
        t = conn.open(t) + 0.0003
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
        if body or wire.loss:  # a request alone may be lost too, and sent again
            arrived = conn.send(t, True, request + (_records(23, len(body)) if body else b""))
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
    # Retransmission named first: the trace breaks this sentence to fit 80
    # columns, and its first line should say what the simulation models.
    how = (
        "simulated: TCP's fast retransmit and retransmission timer (with backoff) modelled, "
        f"router 1 dropping {cond.loss_pct:g}% of frames by a seeded random draw, times "
        "computed; nothing sent"
        if wire.loss
        else "simulated: times computed from the conditions (no loss asked, nothing sent)"
    )
    result = SlowResult(
        cond.delay_ms, cond.jitter_ms, cond.loss_pct, cond.rate_kbit, cond.mtu, cond.blackhole,
        how, (), tuple(calls), dns_tries, tuple(wire.drops),
    )  # fmt: skip
    wire.frames.sort(key=lambda r: r.time)
    return wire.frames, result
