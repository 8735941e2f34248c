"""Captures of other programs' traffic (tests/make_program_pcaps.sh: dnsmasq
and dhclient, chronyd and ntpdate, in.tftpd and curl, dovecot and curl,
nmblookup, telnet), our fields against tshark's for every occurrence of the
fields each protocol names, in order, and no field that one side has and the
other lacks. Skipped without tshark (CI installs it)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

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
}
COMMON = "ip.src ip.dst ip.len udp.srcport udp.dstport udp.length tcp.srcport tcp.dstport tcp.len"


def _norm(value: str) -> str:
    value = value.replace("\r", "\\r").replace("\n", "\\n")
    return value.replace(":", "") if all(c in "0123456789abcdef:" for c in value) else value


def tshark(path: Path, names: list[str]) -> list[dict[str, str]]:
    args = [TSHARK, "-r", str(path), "-o", "tcp.desegment_tcp_streams:FALSE", "-T", "fields"]
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
    ],
)
def test_program_captures_match_tshark(name, least):
    names = FIELDS[name].split() + COMMON.split()
    # NBNS quoted inside ICMP errors: tshark reads the quoted query, tutor shows the quote's headers only.
    skip = frozenset({2, 4}) if name == "nbns" else frozenset()
    checked, wrong = compare(PROGRAMS / f"{name}.pcapng", names, skip)
    assert not wrong, "\n".join(wrong[:40])
    assert checked >= least


def test_every_packet_is_named_by_its_protocol():
    """No packet of these captures is left as raw Data or "Other"."""
    for path in sorted(PROGRAMS.glob("*.pcapng")):
        raws, _link = read_capture(path)
        for packet in dissect_all(raws):
            names = [layer.name for layer in packet.layers if "(quoted)" not in layer.name]
            # (an ICMP error quotes the start of the packet it refers to: its payload may stay bytes)
            quoted = any("(quoted)" in layer.name for layer in packet.layers)
            assert quoted or "Data" not in names, (path.name, packet.index, names)
