"""Our field values against tshark's for the same packets of real captures:
every occurrence of every compared field, in order, and no field that one
side has and the other lacks.

Skipped without tshark (CI installs it). tshark runs with TCP reassembly off
and IP
defragmentation off so that, like tutor, it reads each segment and each
fragment on its own.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from labs.core.base import RawPacket
from labs.dissect.core import dissect_all
from labs.files.pcapio import read_capture, write_pcap

PCAPS = Path(__file__).parent / "data" / "pcaps"
TSHARK = shutil.which("tshark")
pytestmark = pytest.mark.skipif(TSHARK is None, reason="tshark is not installed")

#: Fields whose values must agree wherever either side has them.
COMPARED = (
    "eth.dst eth.src eth.type sll.pkttype sll.hatype sll.halen sll.etype "
    "arp.hw.type arp.proto.type arp.opcode arp.src.hw_mac arp.src.proto_ipv4 arp.dst.hw_mac arp.dst.proto_ipv4 "
    "ip.version ip.hdr_len ip.dsfield ip.len ip.id ip.flags ip.frag_offset ip.ttl ip.proto ip.checksum ip.src ip.dst "
    "icmp.type icmp.code icmp.checksum icmp.ident icmp.seq "
    "ipv6.version ipv6.tclass ipv6.flow ipv6.plen ipv6.nxt ipv6.hlim ipv6.src ipv6.dst "
    "icmpv6.type icmpv6.code icmpv6.checksum icmpv6.echo.identifier icmpv6.echo.sequence_number "
    "tcp.srcport tcp.dstport tcp.stream tcp.seq tcp.seq_raw tcp.nxtseq tcp.ack tcp.ack_raw tcp.hdr_len tcp.flags tcp.flags.syn tcp.flags.ack "
    "tcp.flags.fin tcp.flags.reset tcp.flags.push tcp.window_size_value tcp.window_size "
    "tcp.window_size_scalefactor tcp.checksum tcp.urgent_pointer "
    "tcp.len tcp.options tcp.options.mss_val tcp.options.wscale.shift tcp.options.timestamp.tsval "
    "tcp.options.timestamp.tsecr udp.srcport udp.dstport udp.length udp.checksum udp.stream "
    "dns.id dns.flags dns.flags.response dns.flags.opcode dns.flags.recdesired dns.flags.rcode "
    "dns.count.queries dns.count.answers dns.qry.name dns.qry.type dns.qry.class dns.resp.name "
    "dns.resp.type dns.resp.ttl dns.resp.len dns.a dns.count.auth_rr dns.count.add_rr dns.aaaa "
    "dns.cname dns.ns dns.mx.preference dns.mx.mail_exchange dns.txt.length dns.txt "
    "dns.soa.mname dns.soa.rname dns.soa.serial_number dns.soa.refresh_interval "
    "dns.soa.retry_interval dns.soa.expire_limit dns.soa.minimum_ttl "
    "http.request.method http.request.uri http.request.version http.response.version http.response.code "
    "http.response.phrase http.host http.user_agent http.accept http.connection http.content_type "
    "http.content_length http.authorization http.location "
    "tls.record.content_type tls.record.opaque_type tls.record.version tls.record.length tls.handshake.type tls.handshake.length "
    "tls.handshake.version tls.handshake.random tls.handshake.session_id_length tls.handshake.ciphersuite "
    "tls.handshake.cipher_suites_length tls.handshake.extensions_length tls.handshake.extension.type "
    "tls.handshake.extensions_server_name tls.handshake.extensions_alpn_str "
    "tls.handshake.extensions.supported_version tls.handshake.certificates_length "
    "tls.handshake.certificate_length x509ce.dNSName "
    "icmpv6.nd.na.target_address icmpv6.nd.ns.target_address icmpv6.nd.na.flag.r "
    "icmpv6.nd.na.flag.s icmpv6.nd.na.flag.o dns.rr.udp_payload_size dns.resp.ext_rcode "
    "dns.resp.edns0_version dns.resp.z dns.resp.z.do dns.opt.code dns.opt.len dns.opt.data "
    "smtp.req.command smtp.req.parameter smtp.response.code smtp.rsp.parameter eth.padding "
    "vlan.priority vlan.dei vlan.id vlan.etype ipv6.hopopts.nxt ipv6.hopopts.len ipv6.opt.type "
    "ipv6.opt.length ipv6.opt.router_alert icmpv6.mldr.nb_mcast_records "
    "icmpv6.mldr.mar.record_type icmpv6.mldr.mar.aux_data_len icmpv6.mldr.mar.nb_sources "
    "icmpv6.mldr.mar.multicast_address icmp.unused icmp.length icmp.length.original_datagram "
    "icmp.ext.version icmp.ext.res icmp.ext.checksum icmp.ext.length icmp.ext.class icmp.ext.ctype "
    "icmp.mpls.label icmp.mpls.exp icmp.mpls.s icmp.mpls.ttl "
    "radiotap.version radiotap.pad radiotap.length radiotap.present.word radiotap.flags "
    "radiotap.datarate radiotap.channel.freq radiotap.channel.flags radiotap.dbm_antsignal "
    "wlan.fc.type_subtype wlan.fc.version wlan.fc.type wlan.fc.subtype wlan.flags wlan.fc.ds "
    "wlan.fc.tods wlan.fc.fromds wlan.fc.retry wlan.fc.protected wlan.duration wlan.ra wlan.ta "
    "wlan.da wlan.sa wlan.bssid wlan.frag wlan.seq wlan.fixed.timestamp wlan.fixed.beacon "
    "wlan.fixed.capabilities wlan.fixed.auth.alg wlan.fixed.auth_seq wlan.fixed.status_code "
    "wlan.tag.number wlan.tag.length wlan.ssid wlan.supported_rates wlan.ds.current_channel "
    "wlan.qos wlan.qos.tid llc.dsap llc.ssap llc.control llc.oui llc.type"
).split()


def tshark_fields(
    path: Path, decode_as: dict[int, str], reassemble: bool = False
) -> list[dict[str, str]]:
    args = [
        TSHARK,
        "-r",
        str(path),
        "-o",
        f"tcp.desegment_tcp_streams:{'TRUE' if reassemble else 'FALSE'}",
        "-o",
        "ip.defragment:FALSE",
        "-T",
        "fields",
        "-E",
        "occurrence=a",
        "-E",
        "aggregator=|",
    ]
    for port, proto in decode_as.items():
        args += ["-d", f"{'udp' if proto == 'dns' else 'tcp'}.port=={port},{proto}"]
    for name in COMPARED:
        args += ["-e", name]
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=60).stdout
    return [dict(zip(COMPARED, line.split("\t"), strict=True)) for line in out.splitlines()]


def _norm(value: str) -> str:
    # -T fields prints byte strings without the colons the JSON and the UI use
    # (each occurrence on its own: "00|00:00" is two byte strings).
    return "|".join(
        v.replace(":", "") if all(c in "0123456789abcdef:" for c in v) else v
        for v in value.split("|")
    )


def compare(
    path: Path,
    decode_as: dict[int, str] | None = None,
    reassemble: bool = False,
    unread: frozenset[int] = frozenset(),
) -> int:
    """Fields compared (the packets in `unread` are left out: known gaps)."""
    raws, _link = read_capture(path)
    ours = dissect_all(raws, decode_as)
    theirs = tshark_fields(path, decode_as or {}, reassemble)
    assert len(ours) == len(theirs)
    checked = 0
    mismatches = []
    for packet, expected in zip(ours, theirs, strict=True):
        if packet.index in unread:
            continue
        got: dict[str, list[str]] = {}
        for layer in packet.layers:
            for f in layer.fields:
                if f.filter:
                    got.setdefault(f.filter, []).append(f.value)
        for name in COMPARED:
            # Every occurrence, in order (cipher suites, the IP header quoted in ICMP).
            want = expected[name]
            have = "|".join(got.get(name, []))
            if _norm(want) != _norm(have):
                mismatches.append(f"packet {packet.index} {name}: tshark {want!r}, tutor {have!r}")
            checked += bool(want)
    assert not mismatches, "\n".join(mismatches)
    return checked


def _server_port(path: Path) -> int:
    raws, _ = read_capture(path)
    first = dissect_all(raws[:1])[0]
    return int(first.dst.rsplit(":", 1)[1])


@pytest.mark.parametrize("name", ["http.pcap", "http-sll.pcap", "http-raw.pcapng"])
def test_http_fields_match_tshark(name):
    path = PCAPS / name
    assert compare(path, {_server_port(path): "http"}, reassemble=True) > 400


def test_dns_fields_match_tshark():
    path = PCAPS / "dns.pcap"
    assert compare(path, {_server_port(path): "dns"}) > 100


def test_tls_fields_match_tshark():
    path = PCAPS / "tls.pcap"
    assert compare(path, {_server_port(path): "tls"}) > 300


@pytest.mark.parametrize(
    ("name", "least"),
    [
        ("frag-nd.pcap", 60),
        ("edns.pcap", 25),
        ("smtp.pcap", 100),
        ("vlan-mld.pcap", 40),
        ("icmp-ext.pcap", 50),
        ("wifi.pcap", 150),
    ],
)
def test_fields_fixed_for_issue_10_match_tshark(name, least):
    """Fragment offsets in 8-byte units, a neighbor advertisement's target
    and flags, the EDNS OPT record, SMTP on port 25, a VLAN tag, IPv6
    hop-by-hop options and an MLDv2 report, an ICMP error with RFC 4884
    extensions (an MPLS label stack) and one without, Wi-Fi frames with
    radiotap (written with scapy:
    tests/make_written_pcaps.py)."""
    assert compare(PCAPS / name) > least


@pytest.mark.parametrize(
    ("name", "unread", "least"),
    [
        ("tls12-cert.pcapng", frozenset(), 50),
        # scapy cannot read a HelloRetryRequest's key share without a session:
        # that one message shows its type and length only.
        ("tls13-hrr.pcapng", frozenset({5}), 60),
    ],
)
def test_tls_records_across_segments_match_tshark_reassembling(name, unread, least):
    """Real openssl TLS 1.2 and 1.3 (tests/make_tls_pcaps.sh): a handshake
    record spanning segments is read where it completes, as tshark does with
    its reassembly, and is never called encrypted; after a HelloRetryRequest
    the second Client Hello and the real Server Hello are read too."""
    assert compare(PCAPS / name, reassemble=True, unread=unread) > least


def test_refused_fields_match_tshark():
    assert compare(PCAPS / "refused.pcap") > 40


# IPv6 on ::1: a SYN with MSS, a DNS AAAA question, an ICMPv6 echo request (id 0x1234, seq 7).
SYN6 = bytes.fromhex(
    "6000000000180640" + "00" * 15 + "01" + "00" * 15 + "01"
    "c35001bb000000000000000060022000b90800000204ffc4"
)
DNS6 = bytes.fromhex(
    "6000000000261140" + "00" * 15 + "01" + "00" * 15 + "01"
    "c35100350026c1bf0000010000010000000000000473686f70076578616d706c6500001c0001"
)
PING6 = bytes.fromhex(
    "60000000000a3a40" + "00" * 15 + "01" + "00" * 15 + "01" + "80006c8712340007" + "6869"
)


def test_arp_icmp_and_ipv6_written_by_us_match_tshark(tmp_path):
    from test_dissect import ARP_REQUEST, SYN, TIME_EXCEEDED

    eth = bytes.fromhex("0000000000000000000000000800")
    eth6 = eth[:-2] + b"\x86\xdd"
    from scapy.layers.inet import ICMP, IP

    ping = bytes(IP(src="192.0.2.2", dst="203.0.113.5", ttl=1) / ICMP(id=7, seq=1))
    ping_exceeded = bytes(IP(src="198.51.100.1", dst="192.0.2.2") / ICMP(type=11) / ping)
    raws = [
        RawPacket(1.0, ARP_REQUEST, "ethernet"),
        RawPacket(1.5, eth + TIME_EXCEEDED, "ethernet"),
        RawPacket(1.7, eth + ping_exceeded, "ethernet"),
        RawPacket(2.0, eth + SYN, "ethernet"),
        RawPacket(2.5, eth6 + SYN6, "ethernet"),
        RawPacket(3.0, eth6 + DNS6, "ethernet"),
        RawPacket(3.5, eth6 + PING6, "ethernet"),
    ]
    path = tmp_path / "mixed.pcap"
    write_pcap(raws, path)
    assert compare(path) > 50


#: Two TXT strings in one record, and an SOA, NS and MX of a zone of its own.
ZONE2 = (
    "two.test. 60 IN SOA ns.two.test. admin.two.test. 7 3600 600 86400 30\n"
    "two.test. 60 IN NS ns.two.test.\n"
    'two.test. 60 IN TXT "v=spf1 -all" "second string"\n'
    "two.test. 60 IN MX 5 mx.two.test.\n"
    "mx.two.test. 60 IN AAAA 2001:db8::25\n"
)


def _dns_answers() -> list[bytes]:
    """Questions and the answers the lab's own DNS server gives them, built
    in memory (no socket): every record type it serves, NXDOMAIN with the
    zone's SOA, and a second zone for what the lab's zone lacks."""
    from dnslib import DNSRecord

    from labs.catalog.dns.server import ZoneResolver

    asked = [(ZoneResolver(), "shop.example.", t) for t in ("TXT", "SOA", "NS", "MX", "AAAA", "A")]
    asked += [
        (ZoneResolver(), "www.shop.example.", "AAAA"),
        (ZoneResolver(), "no.shop.example.", "A"),
    ]
    two = ZoneResolver(ZONE2, "two.test.")
    asked += [(two, "two.test.", t) for t in ("TXT", "SOA", "MX")]
    out = []
    for resolver, name, qtype in asked:
        question = DNSRecord.question(name, qtype)
        out += [question.pack(), resolver.resolve(question, None).pack()]
    return out


def test_dns_record_types_written_by_us_match_tshark(tmp_path):
    from scapy.layers.inet import IP, UDP

    raws = []
    for i, message in enumerate(_dns_answers()):
        sport, dport = (40000, 53) if i % 2 == 0 else (53, 40000)
        packet = IP(src="127.0.0.1", dst="127.0.0.1") / UDP(sport=sport, dport=dport) / message
        raws.append(RawPacket(float(i), bytes(packet), "raw-ip"))
    path = tmp_path / "dns-types.pcap"
    write_pcap(raws, path)
    assert compare(path) > 300
