"""DNS messages read without scapy (`labs.dissect.proto.dns_fast`) give the
very fields, values and byte offsets of scapy's reading, and anything that
module does not read is left to scapy."""

from __future__ import annotations

import pytest
from scapy.config import conf
from scapy.layers.dns import DNS, DNSQR, DNSRR, DNSRRMX, DNSRROPT, EDNS0TLV, EDNS0ClientSubnet

from labs.dissect.proto import dns, dns_fast
from labs.dissect.proto.base import Stream


def by_scapy(payload: bytes, offset: int, mdns: bool) -> tuple:
    limit = conf.max_list_count
    conf.max_list_count = max(limit, len(payload) // 11 + 1)
    try:
        layer = dns._dissect(payload, offset, mdns)[0]
    finally:
        conf.max_list_count = limit
    return layer.fields


def rr(name: str, kind: str, data, **kw) -> DNSRR:
    return DNSRR(rrname=name, type=kind, ttl=300, rdata=data, **kw)


READ_HERE = {
    "query": DNS(id=0x1234, rd=1, qd=DNSQR(qname="www.example.com")),
    "A and CNAME, names compressed": DNS(
        id=7,
        qr=1,
        rd=1,
        ra=1,
        qd=DNSQR(qname="www.example.com"),
        an=[
            rr("www.example.com", "CNAME", "web.example.com"),
            rr("web.example.com", "A", "1.2.3.4"),
        ],
    ),
    "AAAA, PTR, authority NS, additional A": DNS(
        id=8,
        qr=1,
        aa=1,
        qd=DNSQR(qname="v6.example", qtype="AAAA"),
        an=[
            rr("v6.example", "AAAA", "2001:db8::1"),
            rr("4.3.2.1.in-addr.arpa", "PTR", "v6.example"),
        ],
        ns=[rr("example", "NS", "ns1.example")],
        ar=[rr("ns1.example", "A", "192.0.2.53")],
    ),
    "TXT of several strings": DNS(
        id=9,
        qr=1,
        qd=DNSQR(qname="t.example", qtype="TXT"),
        an=[rr("t.example", "TXT", ["a" * 255, "", "b c"])],
    ),
    "NXDOMAIN, no answer": DNS(id=10, qr=1, rcode=3, qd=DNSQR(qname="nope.example")),
    "mDNS cache flush and QU": DNS(
        id=0,
        qr=1,
        qd=DNSQR(qname="printer.local", unicastresponse=1),
        an=[rr("printer.local", "A", "10.0.0.9", cacheflush=1)],
    ),
    "EDNS OPT, DO set, no options": DNS(
        id=3, rd=1, qd=DNSQR(qname="e.example"), ar=[DNSRROPT(rclass=1232, z=0x8000)]
    ),
    "EDNS cookie and padding": DNS(
        id=3,
        qr=1,
        qd=DNSQR(qname="e.example"),
        an=[rr("e.example", "A", "192.0.2.1")],
        ar=[
            DNSRROPT(
                rdata=[
                    EDNS0TLV(optcode=10, optdata=bytes(range(24))),
                    EDNS0TLV(optcode=12, optdata=bytes(7)),
                ]
            )
        ],
    ),
    "230 TXT records (63 KB)": DNS(
        id=1,
        qr=1,
        qd=DNSQR(qname="big.example", qtype="TXT"),
        an=[rr("big.example", "TXT", ["x" * 250]) for _ in range(230)],
    ),
}

LEFT_TO_SCAPY = {
    "MX": DNS(
        id=2,
        qr=1,
        qd=DNSQR(qname="m.example", qtype="MX"),
        an=[DNSRRMX(rrname="m.example", exchange="mx.m.example")],
    ),
    "EDNS client subnet": DNS(
        id=3,
        rd=1,
        qd=DNSQR(qname="e.example"),
        ar=[DNSRROPT(rdata=[EDNS0ClientSubnet(source_plen=24, address="192.0.2.0")])],
    ),
    "bytes after the records": bytes(DNS(id=4, qd=DNSQR(qname="x.example"))) + b"\0\0",
    "cut in a record": bytes(READ_HERE["A and CNAME, names compressed"])[:-3],
    "A of 5 bytes": bytes(
        DNS(id=5, qr=1, qd=DNSQR(qname="a.example"), an=[rr("a.example", "A", "1.2.3.4")])
    )[:-7]
    + b"\x00\x05\x01\x02\x03\x04\x05",
}


@pytest.mark.parametrize("mdns", [False, True])
@pytest.mark.parametrize("case", READ_HERE)
def test_read_without_scapy_as_scapy_reads_it(case, mdns):
    payload = bytes(READ_HERE[case])
    for offset in (42, 2):
        assert dns_fast.sections(payload, offset, mdns) is not None
        got = dns.dissect(payload, offset, Stream(), mdns=mdns)[0]
        assert got.fields == by_scapy(payload, offset, mdns)
        assert (got.offset, got.length) == (offset, len(payload))


@pytest.mark.parametrize("case", LEFT_TO_SCAPY)
def test_what_it_does_not_read_is_read_by_scapy(case):
    payload = bytes(LEFT_TO_SCAPY[case])
    assert dns_fast.sections(payload, 42) is None
    assert dns.dissect(payload, 42, Stream())[0].fields == by_scapy(payload, 42, False)


def test_a_compression_loop_is_left_to_scapy():
    # The question's name points at itself.
    payload = bytes.fromhex("0001 0100 0001 0000 0000 0000 c00c 0001 0001".replace(" ", ""))
    assert dns_fast.sections(payload, 0) is None
