"""Narration quotes the packet it describes: ports, numbers, names, codes."""

from __future__ import annotations

from pathlib import Path

from labs.dissect.core import dissect_all
from labs.files.pcapio import read_capture

PCAPS = Path(__file__).parent / "data" / "pcaps"


def _packets(name: str, decode_as=None, client=None):
    raws, _ = read_capture(PCAPS / name)
    return dissect_all(raws, decode_as, client)


def _fields(p):
    return {f.filter: f for layer in p.layers for f in layer.fields if f.filter}


def test_handshake_sentences_carry_this_runs_numbers():
    syn, synack, ack = _packets("http.pcap", client="127.0.0.1")[:3]
    f = _fields(syn)
    assert f"your computer ({syn.src})" in syn.explain
    assert f["tcp.seq_raw"].value in syn.explain and f["tcp.options.mss_val"].value in syn.explain
    g = _fields(synack)
    assert g["tcp.ack_raw"].value in synack.explain and g["tcp.seq_raw"].value in synack.explain
    assert int(g["tcp.ack_raw"].value) == int(f["tcp.seq_raw"].value) + 1
    assert "handshake is complete" in ack.explain


def test_bytes_counted_from_the_handshake():
    packets = _packets("http.pcap")
    request = packets[3]
    n = _fields(request)["tcp.len"].value
    assert f"sends {n} bytes" in request.explain and f"(its bytes 1-{n})" in request.explain
    assert f"received all {n} bytes" in packets[4].explain


def test_http_sentences_name_method_uri_and_status():
    packets = _packets("http.pcap")
    assert "GET /orders?page=1" in packets[3].explain
    assert "200 OK" in packets[5].explain
    assert "201 Created" in packets[17].explain and "a new resource" in packets[17].explain


def test_refused_connection():
    syn, rst = _packets("refused.pcap")
    port = syn.dst.rsplit(":", 1)[1]
    assert f"nothing listens on port {port}, or a firewall rejected" in rst.explain


def test_dns_answer_and_nxdomain():
    raws, _ = read_capture(PCAPS / "dns.pcap")
    server = int(dissect_all(raws[:1])[0].dst.rsplit(":", 1)[1])
    q, a, q2, nx = dissect_all(raws, {server: "dns"})
    assert "what is the A record of shop.example?" in q.explain
    assert "shop.example → 192.0.2.10" in a.explain and "300 s" in a.explain
    assert "NXDOMAIN" in nx.explain and "nope.example" in nx.explain


def test_tls_sentences_say_what_is_visible():
    raws, _ = read_capture(PCAPS / "tls.pcap")
    packets = dissect_all(raws)
    hello = packets[3]
    assert "shop.example in clear (SNI)" in hello.explain
    assert "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" in packets[5].explain
    assert "encrypted application data" in packets[9].explain


def test_cut_short_packet_says_how_much_was_captured():
    from labs.core.base import RawPacket
    from labs.dissect.core import dissect_packet

    raws, _ = read_capture(PCAPS / "http-raw.pcapng")
    syn = raws[0].data
    p = dissect_packet(RawPacket(0.0, syn[:30]))
    assert p.summary.endswith("(cut short)")
    assert f"only 30 of its {len(syn)} bytes were captured" in p.explain
    assert "TCP packet" in p.explain


def test_dns_found_on_another_port_without_being_told():
    q, a, _q2, nx = _packets("dns.pcap")
    assert q.summary == "DNS query A shop.example"
    assert a.summary == "DNS response A shop.example → 192.0.2.10"
    assert "NXDOMAIN" in nx.summary


def _dns_reply(zone: str, origin: str, name: str, qtype: str):
    """The dissected answer the lab's DNS server gives (built in memory)."""
    from dnslib import DNSRecord
    from scapy.layers.inet import IP, UDP

    from labs.catalog.dns.server import ZoneResolver
    from labs.core.base import RawPacket
    from labs.dissect.core import dissect_packet

    reply = ZoneResolver(zone, origin).resolve(DNSRecord.question(name, qtype), None).pack()
    data = bytes(IP(src="127.0.0.1", dst="127.0.0.1") / UDP(sport=53, dport=40000) / reply)
    return dissect_packet(RawPacket(0.0, data)), data


TWO = (
    "two.test. 60 IN SOA ns.two.test. admin.two.test. 7 3600 600 86400 30\n"
    'two.test. 60 IN TXT "v=spf1 -all" "second"\n'
)


def test_txt_answer_is_named_and_each_string_sits_on_its_bytes():
    p, data = _dns_reply(TWO, "two.test.", "two.test.", "TXT")
    assert "two.test → v=spf1 -all second (TXT)" in p.explain
    assert "no TXT record" not in p.explain
    texts = [f for layer in p.layers for f in layer.fields if f.filter == "dns.txt"]
    lengths = [f for layer in p.layers for f in layer.fields if f.filter == "dns.txt.length"]
    assert [f.value for f in texts] == ["v=spf1 -all", "second"]
    for size, text in zip(lengths, texts, strict=True):
        assert data[size.offset] == len(text.value) and size.offset + 1 == text.offset
        assert data[text.offset : text.offset + text.length].decode() == text.value


def test_soa_answer_and_soa_in_authority():
    from labs.catalog.dns.server import ORIGIN, ZONE

    soa, _ = _dns_reply(ZONE, ORIGIN, "shop.example.", "SOA")
    assert "shop.example → ns1.shop.example (SOA)" in soa.explain
    got = _fields(soa)
    assert got["dns.soa.rname"].value == "hostmaster.shop.example"
    assert "hostmaster@shop.example" in got["dns.soa.rname"].explain
    assert got["dns.soa.serial_number"].value == "2024060101"
    assert got["dns.soa.minimum_ttl"].show == "300 s"
    nx, _ = _dns_reply(ZONE, ORIGIN, "nope.shop.example.", "A")
    assert "NXDOMAIN" in nx.explain and "ns1" not in nx.explain
    assert _fields(nx)["dns.soa.mname"].name.endswith("(authority)")
    # A name that exists without the record type asked: the SOA is not "the answer".
    nodata, _ = _dns_reply(ZONE, ORIGIN, "mail.shop.example.", "TXT")
    assert nodata.explain.endswith("the DNS answer for mail.shop.example: no TXT record.")


def test_decode_as_port_is_the_servers_even_when_higher():
    """UDP has no SYN: the side on the lab's declared DNS port is the server,
    though the learner's ephemeral port is lower."""
    from dnslib import DNSRecord
    from scapy.layers.inet import IP, UDP

    from labs.core.base import RawPacket

    question = DNSRecord.question("shop.example.", "A").pack()
    reply = DNSRecord.parse(question).reply().pack()
    raws = [
        RawPacket(t, bytes(IP(src="127.0.0.1", dst="127.0.0.1") / UDP(sport=s, dport=d) / m))
        for t, s, d, m in ((0.0, 40000, 54354, question), (0.1, 54354, 40000, reply))
    ]
    q, a = dissect_all(raws, {54354: "dns"}, client="127.0.0.1")
    assert q.explain.startswith("your computer (127.0.0.1:40000) sends 127.0.0.1:54354 ")
    assert a.explain.startswith("127.0.0.1:54354 sends your computer (127.0.0.1:40000) ")


def test_byte_counts_of_interleaved_connections_to_one_server():
    """Two connections to the same server endpoint, the second opened before
    the first sends: each counts its bytes from its own handshake."""
    from scapy.layers.inet import IP, TCP

    from labs.core.base import RawPacket

    def seg(sport, dport, flags, seq, ack, data=b""):
        tcp = TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack)
        return bytes(IP(src="127.0.0.1", dst="127.0.0.1") / tcp / data)

    a, b, server = 40001, 40002, 8080
    packets = [
        seg(a, server, "S", 100, 0),
        seg(server, a, "SA", 5000, 101),
        seg(a, server, "A", 101, 5001),
        seg(b, server, "S", 900, 0),
        seg(server, b, "SA", 77000, 901),
        seg(server, a, "PA", 5001, 101, b"hello"),
        seg(a, server, "A", 101, 5006),
    ]
    raws = [RawPacket(float(t), d) for t, d in enumerate(packets)]
    *_, data, ack = dissect_all(raws)
    assert "(its bytes 1-5)" in data.explain
    assert "has received all 5 bytes" in ack.explain
