"""The dns lab's embedded server answers like an authoritative server, over
real UDP on 127.0.0.1, and is gone after the `with` block."""

from __future__ import annotations

import socket

import pytest
from dnslib import QTYPE, RCODE, DNSRecord

from labs.catalog.dns.server import DnsServer


@pytest.fixture
def server():
    with DnsServer() as srv:
        yield srv


def ask(port: int, name: str, qtype: str) -> DNSRecord:
    raw = DNSRecord.question(name, qtype).send("127.0.0.1", port, timeout=3)
    return DNSRecord.parse(raw)


def answers(reply: DNSRecord) -> list[tuple[str, str, int, str]]:
    return [(str(rr.rname), QTYPE[rr.rtype], rr.ttl, str(rr.rdata)) for rr in reply.rr]


def test_a_record_is_authoritative_with_ttl_300(server):
    reply = ask(server.port, "shop.example", "A")
    assert reply.header.rcode == RCODE.NOERROR
    assert reply.header.aa == 1 and reply.header.ra == 0 and reply.header.qr == 1
    assert answers(reply) == [("shop.example.", "A", 300, "192.0.2.10")]


def test_names_are_case_insensitive(server):
    assert answers(ask(server.port, "SHOP.Example", "AAAA")) == [
        ("shop.example.", "AAAA", 300, "2001:db8::10")
    ]


def test_cname_chain_is_followed_to_the_address(server):
    reply = ask(server.port, "api.shop.example", "A")
    assert answers(reply) == [
        ("api.shop.example.", "CNAME", 60, "api.edge.shop.example."),
        ("api.edge.shop.example.", "CNAME", 60, "edge.shop.example."),
        ("edge.shop.example.", "A", 30, "192.0.2.20"),
    ]


def test_asking_for_the_cname_itself_does_not_follow_it(server):
    assert answers(ask(server.port, "www.shop.example", "CNAME")) == [
        ("www.shop.example.", "CNAME", 300, "shop.example.")
    ]


def test_mx_comes_with_the_mail_host_address(server):
    reply = ask(server.port, "shop.example", "MX")
    assert answers(reply) == [("shop.example.", "MX", 300, "10 mail.shop.example.")]
    assert [str(rr.rdata) for rr in reply.ar] == ["192.0.2.25"]


def test_txt(server):
    assert answers(ask(server.port, "shop.example", "TXT")) == [
        ("shop.example.", "TXT", 300, '"v=spf1 -all"')
    ]


def test_missing_name_is_nxdomain_with_soa(server):
    reply = ask(server.port, "nope.shop.example", "A")
    assert reply.header.rcode == RCODE.NXDOMAIN and reply.header.aa == 1
    assert not reply.rr
    assert [QTYPE[rr.rtype] for rr in reply.auth] == ["SOA"]


def test_existing_name_without_that_type_is_nodata(server):
    reply = ask(server.port, "mail.shop.example", "TXT")
    assert reply.header.rcode == RCODE.NOERROR and not reply.rr
    assert [QTYPE[rr.rtype] for rr in reply.auth] == ["SOA"]


def test_names_outside_the_zone_are_refused(server):
    reply = ask(server.port, "example.com", "A")
    assert reply.header.rcode == RCODE.REFUSED and reply.header.aa == 0


def test_a_second_server_serves_its_own_zone():
    zone = "partner.test. 120 IN SOA ns.partner.test. h.partner.test. 1 2 3 4 5\npartner.test. 120 IN A 198.51.100.7\n"
    with DnsServer(zone=zone, origin="partner.test.") as other:
        assert answers(ask(other.port, "partner.test", "A")) == [
            ("partner.test.", "A", 120, "198.51.100.7")
        ]


def test_stop_frees_the_port():
    with DnsServer() as srv:
        port = srv.port
        ask(port, "shop.example", "A")
    # Nothing listens any more: the kernel answers ICMP port unreachable,
    # which a connected UDP socket reports as ECONNREFUSED.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(3)
        sock.connect(("127.0.0.1", port))
        sock.send(DNSRecord.question("shop.example").pack())
        with pytest.raises(ConnectionRefusedError):
            sock.recv(512)
