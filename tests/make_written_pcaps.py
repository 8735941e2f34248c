"""Write the small captures of tests/data/pcaps made with scapy (nothing is
sent): tcp-analysis.pcap, frag-nd.pcap, edns.pcap, smtp.pcap, vlan-mld.pcap and dns-tcp.pcap.

    .venv/bin/python tests/make_written_pcaps.py tests/data/pcaps

tcp-analysis.pcap: one TCP conversation per case
Wireshark's TCP analysis names (retransmissions backing off, duplicate ACKs
and a fast retransmission, a spurious retransmission, keep-alive, zero
window and its probe, window update and full, a capture begun mid-stream),
built with scapy on documentation addresses; nothing is sent.

frag-nd.pcap: a UDP datagram in three IP fragments, an IPv6 neighbor
advertisement and solicitation. edns.pcap: a DNS query with an EDNS OPT
record (DO bit, client subnet). smtp.pcap: an SMTP session on port 25.
vlan-mld.pcap: a VLAN-tagged datagram and an MLDv2 report with a router alert.
dns-tcp.pcap: DNS over TCP, the answer split across three segments.
"""

import sys

from scapy.layers.inet import ICMP, IP, TCP

from labs.core.base import RawPacket
from labs.files.pcapio import write_pcap

out = []
t = [1_700_000_000.0]


def seg(cp, c2s, flags, seq, ack, data=b"", win=64240, opts=None, dt=0.001):
    a, b = ("10.0.0.1", cp), ("10.0.0.2", 80)
    if not c2s:
        a, b = b, a
    tcp = TCP(sport=a[1], dport=b[1], flags=flags, seq=seq, ack=ack, window=win)
    if opts:
        tcp.options = opts
    t[0] += dt
    out.append(RawPacket(t[0], bytes(IP(src=a[0], dst=b[0]) / tcp / data)))


def hs(cp, c, s, ws=True):
    o = [("MSS", 1460), ("WScale", 7)] if ws else [("MSS", 1460)]
    seg(cp, True, "S", c, 0, opts=o)
    seg(cp, False, "SA", s, c + 1, opts=o, dt=0.02)
    seg(cp, True, "A", c + 1, s + 1, dt=0.001)


D = b"x" * 648
# 1. timer retransmissions backing off: 0.2, 0.4, 0.8 ...
c, s = 1000, 5000
hs(40001, c, s)
seg(40001, True, "PA", c + 1, s + 1, D)
for gap in (0.2, 0.4, 0.8, 1.6, 3.2):
    seg(40001, True, "PA", c + 1, s + 1, D, dt=gap)
seg(40001, False, "A", s + 1, c + 1 + 648, dt=0.02)
# 2. loss, three dup acks, fast retransmission
c, s = 2000, 6000
hs(40002, c, s)
for k in range(4):
    if k != 1:
        seg(40002, True, "A", c + 1 + k * 100, s + 1, b"y" * 100, dt=0.0005)
for _ in range(3):
    seg(40002, False, "A", s + 1, c + 101, win=500, dt=0.001)
seg(40002, True, "A", c + 101, s + 1, b"y" * 100, dt=0.002)
seg(40002, False, "A", s + 1, c + 401, win=500, dt=0.02)
# 3. spurious retransmission (already acknowledged), keep-alive and its ACK
c, s = 3000, 7000
hs(40003, c, s)
seg(40003, True, "PA", c + 1, s + 1, b"z" * 50)
seg(40003, False, "A", s + 1, c + 51, dt=0.02)
seg(40003, True, "PA", c + 1, s + 1, b"z" * 50, dt=0.5)
seg(40003, True, "A", c + 50, s + 1, dt=30)
seg(40003, False, "A", s + 1, c + 51, dt=0.02)
# 4. zero window, probe, probe ack, window update, window full
c, s = 4000, 8000
hs(40004, c, s, ws=False)
seg(40004, True, "PA", c + 1, s + 1, b"w" * 1000)
seg(40004, False, "A", s + 1, c + 1001, win=0, dt=0.02)
seg(40004, True, "A", c + 1001, s + 1, b"w", dt=0.3)
seg(40004, False, "A", s + 1, c + 1001, win=0, dt=0.02)
seg(40004, False, "A", s + 1, c + 1001, win=2000, dt=0.5)
seg(40004, True, "PA", c + 1001, s + 1, b"v" * 2000, dt=0.02)
# 5. capture starts mid-stream: gap, ACK of unseen data, out of order
c, s = 5000, 9000
seg(40005, True, "PA", c + 1, s + 1, b"a" * 100)
seg(40005, True, "PA", c + 301, s + 1, b"a" * 100, dt=0.0005)
seg(40005, True, "PA", c + 101, s + 1, b"a" * 100, dt=0.0005)
seg(40005, False, "A", s + 1, c + 401, dt=0.01)
seg(40005, False, "PA", s + 501, c + 401, b"b" * 10, dt=0.01)
seg(40005, True, "A", c + 401, s + 511, dt=0.01)
write_pcap(out, f"{sys.argv[1]}/tcp-analysis.pcap")


def others(folder: str) -> None:
    from scapy.layers.dns import DNS, DNSQR, DNSRROPT, EDNS0ClientSubnet
    from scapy.layers.inet import UDP, fragment
    from scapy.layers.inet6 import ICMPv6ND_NA, ICMPv6ND_NS, IPv6
    from scapy.layers.l2 import Ether
    from scapy.packet import Raw
    from scapy.utils import wrpcap

    eth = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
    big = IP(src="192.0.2.1", dst="192.0.2.2") / UDP(sport=1, dport=2) / Raw(b"a" * 3000)
    frames = [eth / f for f in fragment(big, fragsize=1480)]
    frames.append(eth / IP(src="192.0.2.1", dst="192.0.2.2") / ICMP() / b"x")
    frames.append(Ether() / IPv6(src="fe80::1", dst="fe80::2") / ICMPv6ND_NA(tgt="fe80::1"))
    frames.append(Ether() / IPv6(src="fe80::1", dst="ff02::1:ff00:2") / ICMPv6ND_NS(tgt="fe80::2"))
    wrpcap(f"{folder}/frag-nd.pcap", frames)
    opt = DNSRROPT(
        rclass=1232, z=0x8000, rdata=[EDNS0ClientSubnet(source_plen=24, address="192.0.2.0")]
    )
    query = DNS(id=7, rd=1, qd=DNSQR(qname="example.com"), ar=opt)
    wrpcap(
        f"{folder}/edns.pcap",
        [IP(src="192.0.2.1", dst="192.0.2.53") / UDP(sport=5555, dport=53) / query],
    )
    mail = []
    c, s = 1000, 5000

    def seg(c2s: bool, flags: str, seq: int, ack: int, data: bytes = b"") -> None:
        a, b = ("192.0.2.1", 40000), ("192.0.2.25", 25)
        if not c2s:
            a, b = b, a
        mail.append(
            IP(src=a[0], dst=b[0])
            / TCP(sport=a[1], dport=b[1], flags=flags, seq=seq, ack=ack)
            / data
        )

    seg(True, "S", c, 0)
    seg(False, "SA", s, c + 1)
    seg(True, "A", c + 1, s + 1)
    lines = [
        (False, b"220 mail.example ESMTP ready\r\n"),
        (True, b"EHLO client.example\r\n"),
        (False, b"250-mail.example\r\n250 SIZE 1000\r\n"),
        (True, b"MAIL FROM:<a@example.org>\r\n"),
        (False, b"250 OK\r\n"),
        (True, b"QUIT\r\n"),
        (False, b"221 Bye\r\n"),
    ]
    cs, ss = c + 1, s + 1
    for c2s, d in lines:
        if c2s:
            seg(True, "PA", cs, ss, d)
            cs += len(d)
        else:
            seg(False, "PA", ss, cs, d)
            ss += len(d)
    wrpcap(f"{folder}/smtp.pcap", mail)
    from scapy.layers.inet6 import (
        ICMPv6MLDMultAddrRec,
        ICMPv6MLReport2,
        IPv6ExtHdrHopByHop,
        RouterAlert,
    )
    from scapy.layers.l2 import Dot1Q

    tagged = (
        eth
        / Dot1Q(prio=5, vlan=42)
        / IP(src="192.0.2.1", dst="192.0.2.2")
        / UDP(sport=1000, dport=2000)
        / b"hi"
    )
    mld = (
        Ether(src="02:00:00:00:00:01", dst="33:33:00:00:00:16")
        / IPv6(src="fe80::1", dst="ff02::16", hlim=1)
        / IPv6ExtHdrHopByHop(options=[RouterAlert()])
        / ICMPv6MLReport2(records=[ICMPv6MLDMultAddrRec(dst="ff02::fb")])
    )
    wrpcap(f"{folder}/vlan-mld.pcap", [tagged, mld])
    dns_over_tcp(folder)
    icmp_extensions(folder)
    wifi(folder)


def icmp_extensions(folder: str) -> None:
    """A router's time exceeded with RFC 4884's length byte (the quote padded
    to 128 bytes) and an MPLS label stack extension (RFC 4950), then the same
    error without them."""
    import struct

    from scapy.layers.inet import ICMP, IP, UDP
    from scapy.layers.l2 import Ether
    from scapy.utils import checksum, wrpcap

    probe = bytes(
        IP(src="192.0.2.2", dst="198.51.100.9", ttl=1, id=0x1234)
        / UDP(sport=40000, dport=33434)
        / (b"\0" * 32)
    )
    label = struct.pack("!HBB", 8, 1, 1) + struct.pack("!I", (16001 << 12) | (1 << 8) | 1)
    ext = struct.pack("!BBH", 0x20, 0, checksum(b"\x20\0\0\0" + label)) + label
    eth = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
    outer = IP(src="203.0.113.1", dst="192.0.2.2")
    frames = [
        eth / outer / ICMP(type=11, code=0, length=32) / (probe.ljust(128, b"\0") + ext),
        eth / outer / ICMP(type=11, code=0) / probe,
    ]
    wrpcap(f"{folder}/icmp-ext.pcap", frames)


def dns_over_tcp(folder: str) -> None:
    """A TXT question over TCP and its 2,767-byte answer in three segments."""
    from scapy.layers.dns import DNS, DNSQR, DNSRR
    from scapy.utils import wrpcap

    q = bytes(DNS(id=0x1234, rd=1, qd=DNSQR(qname="example.com", qtype="TXT")))
    txt = [
        DNSRR(rrname="example.com", type="TXT", rdata=[f"v={i} " + "y" * 200]) for i in range(12)
    ]
    a = bytes(DNS(id=0x1234, qr=1, rd=1, ra=1, qd=DNSQR(qname="example.com", qtype="TXT"), an=txt))
    qa, aa = len(q).to_bytes(2, "big") + q, len(a).to_bytes(2, "big") + a
    pk = []
    c, s = 100, 900

    def seg(c2s: bool, flags: str, seq: int, ack: int, data: bytes = b"") -> None:
        x, y = ("192.0.2.1", 41000), ("192.0.2.53", 53)
        if not c2s:
            x, y = y, x
        pk.append(
            IP(src=x[0], dst=y[0])
            / TCP(sport=x[1], dport=y[1], flags=flags, seq=seq, ack=ack)
            / data
        )

    seg(True, "S", c, 0)
    seg(False, "SA", s, c + 1)
    seg(True, "A", c + 1, s + 1)
    seg(True, "PA", c + 1, s + 1, qa)
    for k in range(3):
        part = aa[k * 1000 : (k + 1) * 1000]
        seg(False, "PA" if k == 2 else "A", s + 1 + k * 1000, c + 1 + len(qa), part)
    seg(True, "A", c + 1 + len(qa), s + 1 + len(aa))
    wrpcap(f"{folder}/dns-tcp.pcap", pk)


def wifi(folder: str) -> None:
    """Wi-Fi in monitor mode (radiotap): a beacon, a probe request and its
    response, an authentication, an ACK, and a QoS data frame carrying a DNS
    query over LLC/SNAP. (No real radio here: written with scapy.)"""
    from scapy.layers.dns import DNS, DNSQR
    from scapy.layers.dot11 import (
        Dot11,
        Dot11Auth,
        Dot11Beacon,
        Dot11Elt,
        Dot11ProbeReq,
        Dot11ProbeResp,
        Dot11QoS,
        RadioTap,
    )
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import LLC, SNAP
    from scapy.utils import wrpcap

    ap, sta, everyone = "02:11:22:33:44:55", "02:aa:bb:cc:dd:ee", "ff:ff:ff:ff:ff:ff"
    radio = RadioTap(
        present="Flags+Rate+Channel+dBm_AntSignal",
        Flags=0,
        Rate=2,
        ChannelFrequency=2437,
        ChannelFlags=0x00A0,
        dBm_AntSignal=-52,
    )
    rates = Dot11Elt(ID=1, info=b"\x82\x84\x8b\x96")
    ssid = Dot11Elt(ID=0, info=b"CafeWiFi")
    frames = [
        radio
        / Dot11(type=0, subtype=8, addr1=everyone, addr2=ap, addr3=ap, SC=16)
        / Dot11Beacon(timestamp=123456789, beacon_interval=100, cap=0x0411)
        / ssid
        / rates
        / Dot11Elt(ID=3, info=b"\x06"),
        radio
        / Dot11(type=0, subtype=4, addr1=everyone, addr2=sta, addr3=everyone, SC=32)
        / Dot11ProbeReq()
        / ssid
        / rates,
        radio
        / Dot11(type=0, subtype=5, addr1=sta, addr2=ap, addr3=ap, SC=48)
        / Dot11ProbeResp(timestamp=123456999, beacon_interval=100, cap=0x0411)
        / ssid,
        radio
        / Dot11(type=0, subtype=11, addr1=ap, addr2=sta, addr3=ap, SC=64)
        / Dot11Auth(algo=0, seqnum=1, status=0),
        radio / Dot11(type=1, subtype=13, addr1=sta),
        radio
        / Dot11(type=2, subtype=8, FCfield=1, addr1=ap, addr2=sta, addr3="02:00:00:00:00:01", SC=80)
        / Dot11QoS(TID=0)
        / LLC(dsap=0xAA, ssap=0xAA, ctrl=3)
        / SNAP(OUI=0, code=0x0800)
        / IP(src="192.0.2.50", dst="192.0.2.1")
        / UDP(sport=5353, dport=53)
        / DNS(rd=1, qd=DNSQR(qname="shop.example")),
    ]
    wrpcap(f"{folder}/wifi.pcap", frames)


others(sys.argv[1])
