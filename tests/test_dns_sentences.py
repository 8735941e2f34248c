"""What the dns lab says about each answer, read against the packet's own
records (and tshark's reading of them) on the lab's stored recursive walk:
each record's own TTL, a referral called a referral (not "no A record"), and
the header flags said in words where the steps first use them."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from tshark_rows import tshark_rows

from labs.kit import load_recording
from labs.model.trace import Packet, Trace

GOLDEN = Path(__file__).parent / "data" / "golden" / "dns" / "recursive"
PROGRAMS = Path(__file__).parent / "data" / "programs"
needs_tshark = pytest.mark.skipif(shutil.which("tshark") is None, reason="no tshark")


@pytest.fixture(scope="module")
def walk() -> Trace:
    from labs.catalog.dns.run import RESULT, explain

    return explain(load_recording(GOLDEN / "recording.json", RESULT))


@pytest.fixture(scope="module")
def theirs(walk: Trace, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, str]]:
    """tshark's reading of the same packets, one row per packet."""
    from labs.files.pcapio import write_pcap

    path = tmp_path_factory.mktemp("walk") / "walk.pcap"
    write_pcap(walk, path)
    port = int(walk.target.rsplit(":", 1)[1])
    names = [
        "dns.flags.response", "dns.flags.rcode", "dns.flags.authoritative",
        "dns.count.answers", "dns.resp.name", "dns.resp.type", "dns.resp.ttl", "dns.ns",
        "dns.a",
    ]  # fmt: skip
    return tshark_rows(path, names, [f"udp.port=={port},dns"])


def answer_ttls(row: dict[str, str]) -> list[int]:
    """The answer section's TTLs: tshark lists records in message order, answers first."""
    ttls = [int(t) for t in row["dns.resp.ttl"].split(",") if t]
    return ttls[: int(row["dns.count.answers"] or 0)]


@needs_tshark
def test_each_answer_names_its_records_own_ttls_or_the_shortest(walk, theirs):
    mixed = 0
    for packet, row in zip(walk.packets, theirs, strict=True):
        ttls = answer_ttls(row)
        if row["dns.flags.response"] != "1" or not ttls:
            continue
        if len(set(ttls)) == 1:
            assert f"may be cached for {ttls[0]} s" in packet.explain, packet.index
            continue
        mixed += 1
        # Not the first record's TTL for the whole answer (a CNAME's 60 for an A of 30).
        assert f"cached for {ttls[0]} s" not in packet.explain, packet.explain
        assert f"at most {min(ttls)} s" in packet.explain, packet.explain
        said = [int(t) for t in re.findall(r"TTL (\d+) s", packet.explain)]
        assert said == ttls, packet.explain
    assert mixed == 3  # the CNAME chain: the zone's answers #19, #21 and the copy in #24


def test_the_chain_answer_gives_the_a_record_its_own_ttl(walk):
    chain = walk.packets[23]  # #24: the resolver's answer to api.shop.example
    assert "192.0.2.20 (A, TTL 30 s)" in chain.explain
    assert "api.edge.shop.example (CNAME, TTL 60 s)" in chain.explain


def test_an_mdns_announcement_gives_each_record_its_ttl():
    from labs.files.explain import explain_file

    p = explain_file(PROGRAMS / "mdns.pcapng").packets[1]
    assert "shop.local (SRV, TTL 120 s), path=/api (TXT, TTL 4500 s)" in p.explain
    assert "at most 120 s" in p.explain


@needs_tshark
def test_a_referral_is_called_one_with_its_servers_and_glue(walk, theirs):
    referrals = 0
    for packet, row in zip(walk.packets, theirs, strict=True):
        if row["dns.flags.response"] != "1" or row["dns.count.answers"] != "0":
            continue
        if row["dns.flags.rcode"] != "0" or "2" not in row["dns.resp.type"].split(","):
            continue
        assert row["dns.flags.authoritative"] == "0"
        referrals += 1
        text = packet.explain
        assert "no A record" not in text and "referral" in text, text
        zone = row["dns.resp.name"].split(",")[0]
        assert (
            f"names the servers for the zone {zone} ({row['dns.ns']}, at {row['dns.a']}" in text
        ), text
        assert "glue" in text
    assert referrals == 2  # #5 from the root, #7 from the TLD server


FLAG_WORDS = {"RD": "recursion desired (", "AA": "authoritative (", "RA": "recursion available ("}


def _flag(packet: Packet, name: str) -> int | None:
    filt = {"RD": "dns.flags.recdesired", "AA": "dns.flags.authoritative"}
    return packet.number(filt.get(name, "dns.flags.recavail"))


def test_step_flags_are_said_in_words_and_agree_with_the_packets(walk):
    seen = set()
    for step in walk.steps:
        query, answer = (walk.packets[i] for i in step.packets)
        for m in re.finditer(r"\b(RD|AA|RA) ([01])\b", step.explain):
            name, value = m[1], int(m[2])
            assert step.explain[: m.start()].lower().endswith(FLAG_WORDS[name]), step.explain
            assert value == _flag(query if name == "RD" else answer, name), step.explain
            seen.add(name)
        if "glue" in step.explain:
            assert "given along" in step.explain, step.explain
    assert seen == {"RD", "AA", "RA"}


@needs_tshark
def test_an_answer_of_a_type_not_read_here_is_not_called_no_record(tmp_path):
    """An HTTPS record (type 65) is an answer all the same, not "no HTTPS record"."""
    import struct

    from scapy.layers.inet import IP, UDP

    from labs.core.base import RawPacket
    from labs.dissect.core import dissect_packet
    from labs.files.pcapio import write_pcap

    name = b"\x03api\x04test\x00"
    rdata = b"\x00\x01\x00" + b"\x00\x01\x00\x03\x02h2"  # priority 1, target ".", alpn=h2
    answer = b"\xc0\x0c" + struct.pack("!HHIH", 65, 1, 60, len(rdata)) + rdata
    dns = struct.pack("!6H", 0x1234, 0x8180, 1, 1, 0, 0) + name + b"\x00\x41\x00\x01" + answer
    data = bytes(IP(src="192.0.2.53", dst="192.0.2.1") / UDP(sport=53, dport=40000) / dns)
    raw = RawPacket(0.0, data)
    write_pcap([raw], tmp_path / "https.pcap")
    (row,) = tshark_rows(tmp_path / "https.pcap", ["dns.count.answers", "dns.resp.type"])
    assert row == {"dns.count.answers": "1", "dns.resp.type": "65"}
    p = dissect_packet(raw)
    assert "no HTTPS record" not in p.explain
    assert p.explain.endswith("api.test → a record of type HTTPS (may be cached for 60 s).")


@needs_tshark
def test_the_key_field_line_lists_every_ttl_as_tshark_does(walk, theirs):
    """The packet's field line showed only the first value of a repeated
    field: "dns.resp.ttl = 60 s" for an answer whose A record lives 30 s, and
    the referral's glue as "dns.a = 127.53.114.3", read as the answer."""
    from tutor.packettext import packet_lines

    for packet, row in zip(walk.packets, theirs, strict=True):
        line = " ".join(packet_lines(packet, show_secrets=False, verbose=False, width=400)[1:])
        if row["dns.resp.ttl"]:
            said = ", ".join(f"{t} s" for t in row["dns.resp.ttl"].split(",")[:5])
            assert f"dns.resp.ttl = {said}" in line, (packet.index, line)
        if row["dns.a"] and row["dns.count.answers"] == "0":  # glue only
            assert " (additional)" in line.split("dns.a = ", 1)[1].split(" · ")[0], line
