"""`tutor explain FILE` as a learner runs it: text, JSON, limits, bad files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from labs.files.explain import explain_file, parse_decode_as
from labs.model.errors import BadInput
from labs.model.trace import loads

PCAPS = Path(__file__).parent / "data" / "pcaps"


def tutor(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tutor", "explain", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_text_explains_each_packet_and_masks_the_token():
    r = tutor(str(PCAPS / "http.pcap"), "--client", "127.0.0.1")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "Read from the capture file http.pcap: 22 packets." in out
    assert "Open the connection (TCP handshake)" in out
    assert "HTTP GET /orders?page=1" in out and "HTTP 201 Created" in out
    assert "your computer (127.0.0.1:" in out
    assert "s3cr3t-token" not in out and "k-123" not in out
    assert "http.authorization = Bearer ••••" in " ".join(out.split()) and "--show-secrets" in out


def test_show_secrets_reveals_them():
    out = " ".join(tutor(str(PCAPS / "http.pcap"), "--show-secrets").stdout.split())
    assert "Bearer s3cr3t-token" in out and "k-123" in out


def test_json_is_the_trace_contract():
    r = tutor(str(PCAPS / "tls.pcap"), "--json", "--limit", "6")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["capture"] == "file" and data["link"] == "ethernet" and len(data["packets"]) == 6
    assert "the first 6 shown" in data["capture_note"]
    trace = loads(r.stdout)
    hello = trace.packets[3]
    sni = [
        f
        for layer in hello.layers
        for f in layer.fields
        if f.filter == "tls.handshake.extensions_server_name"
    ]
    assert sni[0].value == "shop.example"
    assert hello.data[sni[0].offset : sni[0].offset + sni[0].length] == b"shop.example"


def test_verbose_lists_fields_with_offsets():
    out = tutor(str(PCAPS / "refused.pcap"), "-v").stdout
    assert "tcp.flags = 0x0014 (RST, ACK)  [46+2]" in out
    assert "nothing listens on port" in " ".join(out.split())


def test_decode_as_reads_dns_on_another_port():
    first = explain_file(PCAPS / "dns.pcap", limit=1).packets[0]
    server = first.dst.rsplit(":", 1)[1]
    out = tutor(str(PCAPS / "dns.pcap"), "--decode-as", f"{server}=dns").stdout
    assert "DNS query A shop.example" in out and "DNS response NXDOMAIN A nope.example" in out
    assert "192.0.2.10" in out


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.pcap", "no such file"),
        (lambda d: d, "is a directory"),
        (
            lambda d: (d / "notes.txt", (d / "notes.txt").write_text("hi"))[0],
            "not a pcap or pcapng",
        ),
    ],
)
def test_bad_files_exit_2_with_one_line(tmp_path, make, message):
    r = tutor(str(make(tmp_path)))
    assert r.returncode == 2
    assert message in r.stderr and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert r.stdout == ""


def test_truncated_capture_is_explained_as_far_as_it_goes(tmp_path):
    data = (PCAPS / "http.pcap").read_bytes()
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(data[:1500])
    r = tutor(str(cut))
    assert r.returncode == 0
    assert "truncated" in r.stdout and "TCP SYN" in r.stdout


def test_bad_options():
    assert tutor(str(PCAPS / "http.pcap"), "--limit", "0").returncode == 2
    with pytest.raises(BadInput, match="PORT=PROTOCOL"):
        parse_decode_as(["dns"])
    with pytest.raises(BadInput, match="unknown protocol"):
        parse_decode_as(["53=gopher"])
    assert parse_decode_as(["8053=DNS"]) == {8053: "dns"}


def test_explain_file_times_count_from_the_first_packet():
    trace = explain_file(PCAPS / "http.pcap")
    assert trace.packets[0].time == 0.0 and trace.started.startswith("20")
    assert trace.duration == pytest.approx(trace.packets[-1].time, abs=1e-6)
