"""Captures of other programs' traffic, made in network namespaces of our own
(tests/make_program_pcaps.sh and tests/make_http_pcaps.sh): dnsmasq and
dhclient, chronyd and ntpdate, in.tftpd and curl, dovecot and curl,
nmblookup, telnet, python-zeroconf, aioquic, async-upnp-client, ping, dig and
dnsmasq, curl and pyftpdlib, curl and openssl s_server, curl and Python's
smtpd, Node's http2 and curl, the websockets library, nmap, arping,
traceroute. Our fields against tshark's for every occurrence of the fields
each protocol names, in order, and no field that one side has and the other
lacks. Skipped without tshark (CI installs it)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from test_dissect_tshark import COMPARED

from labs.dissect.core import dissect_all
from labs.files.pcapio import read_capture

PROGRAMS = Path(__file__).parent / "data" / "programs"
TSHARK = shutil.which("tshark")
pytestmark = pytest.mark.skipif(TSHARK is None, reason="tshark is not installed")

FIELDS = {
    "dhcp": "dhcp.type dhcp.hw.type dhcp.hw.len dhcp.hops dhcp.id dhcp.secs dhcp.flags dhcp.flags.bc "
    "dhcp.ip.client dhcp.ip.your dhcp.ip.server dhcp.ip.relay dhcp.hw.mac_addr dhcp.hw.addr_padding "
    "dhcp.server dhcp.file dhcp.cookie dhcp.option.length dhcp.option.value dhcp.option.dhcp "
    "dhcp.option.hostname dhcp.option.request_list_item dhcp.option.requested_ip_address "
    "dhcp.option.dhcp_server_id dhcp.option.ip_address_lease_time dhcp.option.renewal_time_value "
    "dhcp.option.rebinding_time_value dhcp.option.subnet_mask dhcp.option.router "
    "dhcp.option.broadcast_address dhcp.option.end dhcp.option.padding",
    "ntp": "ntp.flags ntp.flags.li ntp.flags.vn ntp.flags.mode ntp.stratum ntp.ppoll ntp.precision "
    "ntp.rootdelay ntp.rootdispersion ntp.refid ntp.reftime ntp.org ntp.rec ntp.xmt",
    "ftp-active": "tftp.opcode tftp.source_file tftp.destination_file tftp.type tftp.block",
    "tftp": "tftp.opcode tftp.source_file tftp.destination_file tftp.type tftp.block tftp.error.code "
    "tftp.error.message tftp.option.name tftp.option.value data.len",
    "nbns": "nbns.id nbns.flags nbns.flags.response nbns.flags.opcode nbns.flags.truncated "
    "nbns.flags.recdesired nbns.flags.broadcast nbns.count.queries nbns.count.answers "
    "nbns.count.auth_rr nbns.count.add_rr nbns.name nbns.type nbns.class",
    "telnet": "telnet.cmd telnet.subcmd telnet.data",
    "pop3": "pop.request.command pop.request.parameter pop.response.indicator "
    "pop.response.description pop.response.data",
    "imap": "imap.isrequest imap.tag imap.request_tag imap.response_tag imap.request.command "
    "imap.response.status imap.line",
    "mdns": "dns.id dns.flags dns.flags.response dns.count.queries dns.count.answers dns.count.auth_rr "
    "dns.count.add_rr dns.qry.name dns.qry.type dns.qry.class dns.qry.qu dns.resp.name dns.resp.type "
    "dns.resp.class dns.resp.cache_flush dns.resp.ttl dns.resp.len dns.srv.priority dns.srv.weight "
    "dns.srv.port dns.srv.target dns.txt dns.txt.length dns.a",
    "quic": "quic.header_form quic.fixed_bit quic.long.packet_type quic.version quic.dcil quic.dcid "
    "quic.scil quic.scid quic.token_length quic.length quic.spin_bit quic.packet_number_length "
    "quic.packet_number quic.frame_type quic.crypto.offset quic.crypto.length",
    "ssdp": "http.request.method http.request.uri http.request.version http.host",
}
FTP = (
    "ftp.request.command ftp.request.arg ftp.response.code ftp.response.arg ftp.passive.port "
    "ftp.active.cip ftp.active.port ftp.eprt.af ftp.eprt.ip ftp.eprt.port icmp.mtu"
).split()
#: HTTP/2 and WebSocket, for h2c and websocket.
MORE = (
    "http2.type http2.length http2.flags http2.streamid http2.settings.id http2.header.name "
    "http2.header.value websocket.opcode websocket.fin websocket.mask websocket.payload_length "
    "websocket.masking_key ipv6.fraghdr.nxt ipv6.fraghdr.reserved_octet ipv6.fraghdr.offset "
    "ipv6.fraghdr.reserved_bits ipv6.fraghdr.more ipv6.fraghdr.ident http.upgrade http.sec_websocket_key http.sec_websocket_accept "
    "http.sec_websocket_version"
).split()
COMMON = "ip.src ip.dst ip.len udp.srcport udp.dstport udp.length tcp.srcport tcp.dstport tcp.len"


def _norm(value: str) -> str:
    value = value.replace("\r", "\\r").replace("\n", "\\n")
    return "|".join(
        v.replace(":", "") if all(c in "0123456789abcdef:" for c in v) else v
        for v in value.split("|")
    )


def tshark(path: Path, names: list[str]) -> list[dict[str, str]]:
    args = [
        TSHARK,
        "-r",
        str(path),
        "-o",
        "tcp.desegment_tcp_streams:FALSE",
        "-o",
        "ip.defragment:FALSE",
    ]
    args += ["-o", "ipv6.defragment:FALSE", "-T", "fields"]
    args += ["-E", "occurrence=a", "-E", "aggregator=|"]
    for name in names:
        args += ["-e", name]
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=60).stdout
    return [dict(zip(names, line.split("\t"), strict=True)) for line in out.splitlines()]


def compare(
    path: Path, names: list[str], skip: frozenset[int] = frozenset()
) -> tuple[int, list[str]]:
    raws, _link = read_capture(path)
    ours = dissect_all(raws)
    theirs = tshark(path, names)
    assert len(ours) == len(theirs)
    checked, wrong = 0, []
    for packet, expected in zip(ours, theirs, strict=True):
        if packet.index in skip:
            continue
        got: dict[str, list[str]] = {}
        for layer in packet.layers:
            for f in layer.fields:
                if f.filter:
                    got.setdefault(f.filter, []).append(_norm(f.value))
        for name in names:
            want = expected[name]
            have = "|".join(got.get(name, []))
            if _norm(want) != have:
                wrong.append(f"packet {packet.index} {name}: tshark {want!r}, tutor {have!r}")
            checked += bool(want)
    return checked, wrong


#: Captures whose protocols the general field list (tests/test_dissect_tshark.py) covers.
GENERAL = {
    "ping": 250,
    "dns": 700,
    "ftp": 2000,
    "https": 600,
    "smtp": 800,
    "frag": 200,
    "ftp-active": 1200,
    "refused": 100,
    "h2c": 500,
    "websocket": 450,
    "scan": 3000,
    "arp": 40,
    "traceroute": 1500,
}


@pytest.mark.parametrize(
    ("name", "least"),
    [
        ("dhcp", 120),
        ("ntp", 25),
        ("tftp", 40),
        ("nbns", 30),
        ("telnet", 15),
        ("pop3", 40),
        ("imap", 60),
        ("mdns", 40),
        ("quic", 200),
        ("ssdp", 8),
        *GENERAL.items(),
    ],
)
def test_program_captures_match_tshark(name, least):
    """Every field of the protocol's own list and of the general list
    (Ethernet, ARP, IPv4/6, ICMP/v6, TCP, UDP, DNS, TLS), plus FTP's."""
    names = list(
        dict.fromkeys(COMPARED + FIELDS.get(name, "").split() + COMMON.split() + FTP + MORE)
    )
    # NBNS quoted inside ICMP errors: tshark reads the quoted query, tutor shows the quote's headers only.
    skip = frozenset({2, 4}) if name == "nbns" else frozenset()
    checked, wrong = compare(PROGRAMS / f"{name}.pcapng", names, skip)
    assert not wrong, "\n".join(wrong[:40])
    assert checked >= least


def test_every_packet_is_named_by_its_protocol():
    """No packet is left as raw Data where tshark names a protocol (ping's
    filler, a later IP fragment and a datagram to a closed port are data for
    both)."""
    for path in sorted(PROGRAMS.glob("*.pcapng")):
        raws, _link = read_capture(path)
        theirs = tshark(path, ["frame.protocols"])
        for packet, row in zip(dissect_all(raws), theirs, strict=True):
            names = [layer.name for layer in packet.layers if "(quoted)" not in layer.name]
            quoted = any("(quoted)" in layer.name for layer in packet.layers)
            data_for_tshark = row["frame.protocols"].endswith(":data")
            assert quoted or data_for_tshark or "Data" not in names, (
                path.name,
                packet.index,
                names,
            )
