"""The dns lab end to end (--mode authoritative; the walk is in
test_lab_dns_walk.py): its own server's six questions, a second real
DNS server with --target/--name/--type, bad input, and Wireshark's reading of
the saved pcap. Every question goes to 127.0.0.1 only, live (root) and
reconstructed."""

from __future__ import annotations

import shutil
import socket
import threading

import pytest
from labrun import values
from tshark_rows import tshark_rows

from labs.catalog.dns.run import SCENARIO
from labs.catalog.dns.server import DnsServer
from labs.catalog.dns.spec import SPEC
from labs.model.errors import BadInput, LabError
from labs.model.trace import Trace
from labs.registry import run_lab

MODES = ["reconstructed", pytest.param("live", marks=pytest.mark.needs_root)]
PARTNER = (
    "partner.test. 120 IN SOA ns.partner.test. h.partner.test. 7 3600 600 86400 60\n"
    "partner.test. 120 IN A 198.51.100.7\n"
    "partner.test. 120 IN MX 5 mx.partner.test.\n"
)


@pytest.fixture(scope="module")
def traces():
    return {}


def run(
    target: str | None = None,
    timeout: float | None = None,
    cancel: threading.Event | None = None,
    **given: str,
) -> Trace:
    """The lab as the CLI and the TUI run it: a request checked by its spec."""
    return run_lab(SPEC.request(target, timeout, given), cancel=cancel)


def embedded(mode: str, cache: dict[str, Trace]) -> Trace:
    if mode not in cache:
        cache[mode] = run(mode="authoritative")
    return cache[mode]


def test_six_lookups_of_two_packets(mode, traces):
    trace = embedded(mode, traces)
    assert trace.capture == mode and trace.lab == "dns"
    assert len(trace.packets) == 12
    assert [s.name for s in trace.steps] == ["dns"] * 6
    assert [s.title for s in trace.steps] == [f"{t} {n}" for n, t in SCENARIO]
    rcodes = []
    for step in trace.steps:
        query, answer = (values(trace.packets[i]) for i in step.packets)
        assert (query["dns.flags.response"], answer["dns.flags.response"]) == ("0", "1")
        assert query["dns.id"] == answer["dns.id"]
        assert answer["dns.flags.authoritative"] == "1" and answer["dns.flags.recavail"] == "0"
        assert query["dns.flags.recdesired"] == "1"
        rcodes.append(answer["dns.flags.rcode"])
    assert rcodes == ["0"] * 5 + ["3"]


def test_narration_calls_the_asking_side_your_computer(mode, traces):
    trace = embedded(mode, traces)
    server = trace.target
    for step in trace.steps:
        query, answer = (trace.packets[i] for i in step.packets)
        assert query.explain.startswith(f"your computer ({query.src}) sends {server} ")
        assert answer.explain.startswith(f"{server} sends your computer ({answer.dst}) ")


def test_facts_have_values_and_evidence(mode, traces):
    trace = embedded(mode, traces)
    transport = trace.fact("dns_transport")
    assert transport is not None and transport.value == "UDP"
    assert values(trace.packets[transport.packets[0]])["ip.proto"] == "17"
    per = trace.fact("packets_per_lookup")
    assert per is not None and per.value == "2" and per.packets == trace.steps[0].packets
    assert [values(trace.packets[i])["dns.flags.response"] for i in per.packets] == ["0", "1"]
    nx = trace.fact("nxdomain_rcode")
    assert nx is not None and nx.value == "NXDOMAIN" and nx.filter == "dns.flags.rcode"
    assert values(trace.packets[nx.packets[0]])["dns.flags.rcode"] == "3"
    ttl = trace.fact("a_record_ttl")
    assert ttl is not None and ttl.value == "300" and ttl.filter == "dns.resp.ttl"
    assert values(trace.packets[ttl.packets[0]])["dns.resp.ttl"] == "300"
    assert trace.fact("cname_chain_length").value == "2"  # type: ignore[union-attr]
    assert trace.fact("compression_offset").value == "12"  # type: ignore[union-attr]


def test_byte_tables_quote_this_trace(mode, traces):
    trace = embedded(mode, traces)
    sections = {s.title: s for s in trace.sections}
    first_id = values(trace.packets[0])["dns.id"]  # "0x2dc9"
    question = next(s for t, s in sections.items() if t.startswith("Byte by byte: the question"))
    assert question.kind == "table"
    assert f"0\t{first_id[2:4]} {first_id[4:6]}\tID (dns.id)\t{int(first_id, 16)}" in question.body
    answer = next(s for t, s in sections.items() if t.startswith("Byte by byte: the answer"))
    assert "c0 0c\tAnswer name (dns.resp.name) pointer" in answer.body
    assert "192.0.2.10" in answer.body
    assert "NXDOMAIN" in sections["A name that does not exist"].body


def test_embedded_server_is_stopped(mode, traces):
    port = int(embedded(mode, traces).target.rsplit(":", 1)[1])
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(3)
        sock.connect(("127.0.0.1", port))
        sock.send(b"\x00\x01\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x01")
        with pytest.raises(ConnectionRefusedError):
            sock.recv(512)


@pytest.fixture
def partner():
    with DnsServer(zone=PARTNER, origin="partner.test.") as server:
        yield server


def test_target_name_and_type_ask_that_server(mode, partner):
    trace = run(f"127.0.0.1:{partner.port}", name="partner.test", qtype="mx")
    assert trace.target == f"127.0.0.1:{partner.port}" and trace.capture == mode
    assert len(trace.packets) == 2 and [s.title for s in trace.steps] == ["MX partner.test."]
    answer = values(trace.packets[1])
    assert answer["dns.qry.type"] == "15" and answer["dns.resp.ttl"] == "120"
    assert trace.fact("nxdomain_rcode") is None and trace.fact("a_record_ttl") is None


def test_target_a_record_ttl_comes_from_that_server(mode, partner):
    trace = run(f"127.0.0.1:{partner.port}", name="partner.test")
    assert trace.fact("a_record_ttl").value == "120"  # type: ignore[union-attr]
    assert "198.51.100.7" in trace.steps[0].explain


def test_target_without_name_asks_example_com(partner, monkeypatch):
    monkeypatch.setenv("TUTOR_CAPTURE", "reconstructed")
    trace = run(f"127.0.0.1:{partner.port}")
    assert trace.steps[0].title == "A example.com."
    assert "REFUSED" in trace.steps[0].explain  # not in partner.test's zone


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"qtype": "AAA"}, "not a DNS record type"),
        ({"name": "bad..name"}, "not a domain name"),
        ({"name": "a" * 64 + ".example"}, "not a domain name"),
        ({"name": "exa mple.com"}, "not a domain name"),
        ({"target": "http://127.0.0.1/"}, "URL"),
        ({"target": "127.0.0.1:0"}, "out of range"),
        ({"target": "127.0.0.1:5:5"}, "HOST[:PORT]"),
    ],
)
def test_bad_input_is_one_line(options, words):
    with pytest.raises(BadInput) as info:
        run(**options)
    assert words in str(info.value) and "\n" not in str(info.value)
    assert info.value.exit_code == 2


def test_no_answer_is_a_timeout(monkeypatch):
    monkeypatch.setenv("TUTOR_CAPTURE", "reconstructed")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        port = silent.getsockname()[1]
        with pytest.raises(LabError) as info:
            run(f"127.0.0.1:{port}", timeout=0.3)
    assert type(info.value) is LabError and "No DNS answer" in str(info.value)


def test_closed_port_is_a_lab_error(monkeypatch):
    monkeypatch.setenv("TUTOR_CAPTURE", "reconstructed")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(LabError) as info:
        run(f"127.0.0.1:{port}", timeout=2)
    assert "closed" in str(info.value) and info.value.exit_code == 1


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
def test_wireshark_reads_the_same_values(mode, traces, tmp_path):
    from labs.files.pcapio import write_pcap

    trace = embedded(mode, traces)
    port = int(trace.target.rsplit(":", 1)[1])
    path = tmp_path / "dns.pcap"
    write_pcap(trace, path)
    names = ["dns.id", "dns.flags", "dns.qry.name", "dns.count.answers", "dns.flags.response"]
    rule = [f"udp.port=={port},dns"]
    rows = tshark_rows(path, names, rule)
    assert len(rows) == len(trace.packets)
    for packet, theirs in zip(trace.packets, rows, strict=True):
        ours = values(packet)
        assert [theirs[n] for n in names] == [ours[n] for n in names], packet.index
    ttl = trace.fact("a_record_ttl")
    assert ttl is not None
    (shown,) = tshark_rows(
        path, ["dns.resp.ttl", "dns.a"], rule, f"frame.number=={ttl.packets[0] + 1}"
    )
    assert shown == {"dns.resp.ttl": ttl.value, "dns.a": "192.0.2.10"}


def test_name_and_type_without_target_ask_the_embedded_server(monkeypatch):
    monkeypatch.setenv("TUTOR_CAPTURE", "reconstructed")
    trace = run(name="WWW.shop.example", qtype="aaaa", mode="authoritative")
    assert [s.title for s in trace.steps] == ["AAAA WWW.shop.example."]
    answer = values(trace.packets[1])
    assert answer["dns.cname"] == "shop.example" and answer["dns.aaaa"] == "2001:db8::10"
    assert trace.fact("cname_chain_length").value == "1"  # type: ignore[union-attr]
