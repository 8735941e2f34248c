"""The dns lab's reading of packets, from stored bytes: a real capture on lo
of the six questions of the embedded scenario to the lab's own server on port
54908 (IDs picked at random by the lab), dissected once as any trace is.
Every value asserted is in these bytes."""

from __future__ import annotations

from scapy.layers.dns import DNS, DNSQR, DNSRR, DNSRROPT
from scapy.layers.inet import IP, UDP

from labs.catalog.dns.explain import lookup_facts, lookup_sections
from labs.catalog.dns.wire import byte_map, parse_message, read_lookups, read_name
from labs.core.base import RawPacket
from labs.dissect.core import dissect_all
from labs.model.trace import Field, Layer, Packet

SERVER = 54908
CAPTURE = [
    (
        0.000000,
        "4500003a9f0b400040119da57f0000017f000001b315d67c0026fe392dc9010000010000000000000473686f70076578616d706c650000010001",
    ),
    (
        0.001784,
        "4500004a84c840004011b7d87f0000017f000001d67cb3150036fe492dc9850000010001000000000473686f70076578616d706c650000010001c00c000100010000012c0004c000020a",
    ),
    (
        0.003571,
        "4500003a648540004011d82b7f0000017f0000018df9d67c0026fe39b1ff010000010000000000000473686f70076578616d706c6500001c0001",
    ),
    (
        0.004602,
        "4500005684c940004011b7cb7f0000017f000001d67c8df90042fe55b1ff850000010001000000000473686f70076578616d706c6500001c0001c00c001c00010000012c001020010db8000000000000000000000010",
    ),
    (
        0.005610,
        "4500003e261d4000401116907f0000017f0000018ee4d67c002afe3d3fcd01000001000000000000036170690473686f70076578616d706c650000010001",
    ),
    (
        0.007187,
        "4500007384ca40004011b7ad7f0000017f000001d67c8ee4005ffe723fcd85000001000300000000036170690473686f70076578616d706c650000010001c00c000500010000003c000b036170690465646765c010c02e000500010000003c0002c032c032000100010000001e0004c0000214",
    ),
    (
        0.007816,
        "4500003a3ee840004011fdc87f0000017f0000019a77d67c0026fe3987c7010000010000000000000473686f70076578616d706c6500000f0001",
    ),
    (
        0.008533,
        "4500005f84cb40004011b7c07f0000017f000001d67c9a77004bfe5e87c7850000010001000000010473686f70076578616d706c6500000f0001c00c000f00010000012c0009000a046d61696cc00cc02c000100010000012c0004c0000219",
    ),
    (
        0.011512,
        "4500003aa5bb4000401196f57f0000017f000001aad6d67c0026fe39eb09010000010000000000000473686f70076578616d706c650000100001",
    ),
    (
        0.012670,
        "4500005284cc40004011b7cc7f0000017f000001d67caad6003efe51eb09850000010001000000000473686f70076578616d706c650000100001c00c001000010000012c000c0b763d73706631202d616c6c",
    ),
    (
        0.013888,
        "4500003f8cd940004011afd27f0000017f000001bec6d67c002bfe3ea36401000001000000000000046e6f70650473686f70076578616d706c650000010001",
    ),
    (
        0.014864,
        "4500007284cd40004011b7ab7f0000017f000001d67cbec6005efe71a36485030001000000010000046e6f70650473686f70076578616d706c650000010001c011000600010000012c0027036e7331c0110a686f73746d6173746572c01178a4b4c500000e1000000258000151800000012c",
    ),
]
PACKETS = dissect_all((RawPacket(t, bytes.fromhex(h)) for t, h in CAPTURE), {SERVER: "dns"})


def lookups():
    found = read_lookups(PACKETS, SERVER)
    assert len(found) == 6
    return found


def test_each_question_is_paired_with_its_answer():
    found = lookups()
    assert [lk.packets for lk in found] == [(0, 1), (2, 3), (4, 5), (6, 7), (8, 9), (10, 11)]
    assert [(lk.query.qtype, lk.query.qname) for lk in found] == [
        ("A", "shop.example."),
        ("AAAA", "shop.example."),
        ("A", "api.shop.example."),
        ("MX", "shop.example."),
        ("TXT", "shop.example."),
        ("A", "nope.shop.example."),
    ]
    for lk in found:
        assert lk.response is not None and lk.response.id == lk.query.id
        assert lk.response.is_response and not lk.query.is_response
    assert [lk.response.rcode_name for lk in found] == ["NOERROR"] * 5 + ["NXDOMAIN"]


def test_flags_of_the_first_answer():
    first = lookups()[0]
    assert first.query.id == 0x2DC9 and first.query.flags == 0x0100
    assert first.response.flags == 0x8500  # QR, AA, RD; RA clear; NOERROR
    assert (first.response.bit(15), first.response.bit(10), first.response.bit(7)) == (1, 1, 0)


def test_records_read_from_the_chain_and_nxdomain():
    found = lookups()
    chain = found[2].response.section("answer")
    assert [(r.rtype, r.data, r.ttl) for r in chain] == [
        ("CNAME", "api.edge.shop.example.", 60),
        ("CNAME", "edge.shop.example.", 60),
        ("A", "192.0.2.20", 30),
    ]
    assert [r.rtype for r in found[5].response.section("authority")] == ["SOA"]
    assert [r.data for r in found[3].response.section("additional")] == ["192.0.2.25"]


def test_byte_map_walks_labels_and_the_pointer():
    msg = lookups()[0].response.raw
    spans = {s.offset: s for s in byte_map(msg)}
    assert spans[12].length == 5 and '"shop"' in spans[12].meaning
    assert spans[25].field.endswith("end")
    assert msg[30:32] == b"\xc0\x0c"
    assert spans[30].field == "Answer name (dns.resp.name) pointer"
    assert "offset 12" in spans[30].meaning and "shop.example." in spans[30].meaning
    assert spans[36].field.startswith("TTL") and spans[36].meaning.startswith("300 ")
    assert spans[42].meaning == "192.0.2.10"
    assert read_name(msg, 30) == "shop.example."


def test_byte_map_covers_every_byte_of_every_message():
    for lk in lookups():
        for msg in (lk.query, lk.response):
            spans = byte_map(msg.raw)
            covered = sorted((s.offset, s.offset + s.length) for s in spans)
            position = 0
            for start, end in covered:
                assert start == position, (msg.index, start, position)
                position = end
            assert position == len(msg.raw)


def test_facts():
    facts = {f.name: f for f in lookup_facts(lookups())}
    assert (facts["dns_transport"].value, facts["dns_transport"].packets) == ("UDP", (0,))
    assert (facts["packets_per_lookup"].value, facts["packets_per_lookup"].packets) == ("2", (0, 1))
    assert (facts["nxdomain_rcode"].value, facts["nxdomain_rcode"].packets) == ("NXDOMAIN", (11,))
    assert (facts["a_record_ttl"].value, facts["a_record_ttl"].packets) == ("300", (1,))
    assert facts["a_record_ttl"].filter == "dns.resp.ttl"
    assert facts["compression_offset"].value == "12"
    assert facts["cname_chain_length"].value == "2"
    assert facts["authoritative"].value == "yes"


def test_sections_carry_this_capture_values():
    sections = {s.title.split(" (")[0]: s for s in lookup_sections(lookups())}
    flags = sections["The flags, bit by bit"].body.splitlines()
    assert "RA\t0\t0\tno recursion" in "\n".join(flags)
    answer = next(s for t, s in sections.items() if t.startswith("Byte by byte: the answer"))
    assert "30\tc0 0c\tAnswer name (dns.resp.name) pointer" in answer.body
    assert "api.shop.example. -> api.edge.shop.example. -> edge.shop.example." in (
        sections["A CNAME chain"].body
    )
    assert "300 seconds" in sections["A name that does not exist"].body
    assert "byte 28 of the packet" in sections["Reading the bytes"].body


def test_record_data_read_from_the_dissected_fields():
    found = lookups()
    data = [lk.response.section("answer")[0].data for lk in found[:5]]
    assert data == [
        "192.0.2.10",
        "2001:db8::10",
        "api.edge.shop.example.",
        "10 mail.shop.example.",
        '"v=spf1 -all"',
    ]
    (soa,) = found[5].response.section("authority")
    assert (soa.name, soa.ttl) == ("shop.example.", 300)
    assert soa.data == "ns1.shop.example. hostmaster.shop.example. 2024060101 3600 600 86400 300"
    assert found[0].query.proto == "UDP" and found[0].query.offset == 28


def test_a_reply_code_without_a_name_is_shown_as_its_number():
    hexed = CAPTURE[11][1]
    at = 2 * (28 + 3)  # the low nibble of the flags is the reply code
    odd = hexed[:at] + "09" + hexed[at + 2 :]
    (packet,) = dissect_all([RawPacket(0.0, bytes.fromhex(odd))], {SERVER: "dns"})
    msg = parse_message(packet)
    assert msg is not None and (msg.rcode, msg.rcode_word, msg.rcode_name) == (9, None, "RCODE 9")
    flags = next(s for s in byte_map(msg.raw, msg.rcode_word) if s.offset == 2)
    assert flags.meaning.endswith(", rcode 9")
    nx = lookups()[5].response
    assert nx.rcode_word == "NXDOMAIN" and "NXDOMAIN" in byte_map(nx.raw, nx.rcode_word)[1].meaning


def test_edns_opt_is_not_a_record_and_not_dns_is_none():
    answer = DNS(id=7, qr=1, qd=DNSQR(qname="a.example."), an=DNSRR(rrname="a.example.", rdata="192.0.2.1"), ar=DNSRROPT())  # fmt: skip
    wire = bytes(IP(src="127.0.0.1", dst="127.0.0.1") / UDP(sport=SERVER, dport=40000) / answer)
    (packet,) = dissect_all([RawPacket(0.0, wire)], {SERVER: "dns"})
    msg = parse_message(packet)
    assert msg is not None and msg.dport == 40000 and msg.src == f"127.0.0.1:{SERVER}"
    assert [(r.section, r.rtype, r.data) for r in msg.records] == [("answer", "A", "192.0.2.1")]
    no_dns = Packet(0, 0.0, "a", "b", "UDP", "", "", (Layer("UDP", 0, 8, (Field("x", None, "", "", 0, 1),)),))  # fmt: skip
    assert parse_message(no_dns) is None
