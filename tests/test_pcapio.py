"""Reading and writing capture files: every link type, round trips that
tshark opens, and bad files that say what to do."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from labs.core.base import RawPacket
from labs.dissect.core import build_trace
from labs.files.pcapio import read_capture, write_pcap
from labs.model.errors import BadInput

PCAPS = Path(__file__).parent / "data" / "pcaps"
TSHARK = shutil.which("tshark")


@pytest.mark.parametrize(
    ("name", "link", "count"),
    [
        ("http.pcap", "ethernet", 22),
        ("http-sll.pcap", "linux-sll", 22),
        ("http-raw.pcapng", "raw-ip", 22),
        ("dns.pcap", "ethernet", 4),
    ],
)
def test_reads_each_link_type(name, link, count):
    packets, got_link = read_capture(PCAPS / name)
    assert got_link == link and len(packets) == count and not packets.truncated
    assert all(p.link == link for p in packets)
    times = [p.time for p in packets]
    assert times == sorted(times) and times[0] > 1_600_000_000


def test_same_packets_whatever_the_framing():
    eth, _ = read_capture(PCAPS / "http.pcap")
    sll, _ = read_capture(PCAPS / "http-sll.pcap")
    raw, _ = read_capture(PCAPS / "http-raw.pcapng")
    assert [p.data[14:] for p in eth] == [p.data[16:] for p in sll] == [p.data for p in raw]
    assert [p.time for p in eth] == pytest.approx([p.time for p in raw], abs=2e-6)


def _tshark_lines(path: Path) -> list[str]:
    out = subprocess.run(
        [
            TSHARK,
            "-r",
            str(path),
            "-T",
            "fields",
            "-e",
            "frame.time_epoch",
            "-e",
            "ip.src",
            "-e",
            "tcp.flags",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return out.stdout.splitlines()


@pytest.mark.skipif(TSHARK is None, reason="tshark is not installed")
@pytest.mark.parametrize("name", ["http.pcap", "http-sll.pcap", "http-raw.pcapng"])
def test_round_trip_opens_in_tshark_unchanged(tmp_path, name):
    packets, _ = read_capture(PCAPS / name)
    out = tmp_path / "again.pcap"
    assert write_pcap(packets, out) == len(packets)
    again, _ = read_capture(out)
    assert [p.data for p in again] == [p.data for p in packets]
    assert _tshark_lines(out) == _tshark_lines(PCAPS / name)


@pytest.mark.skipif(TSHARK is None, reason="tshark is not installed")
def test_trace_writes_only_wire_packets_with_their_times(tmp_path):
    packets, link = read_capture(PCAPS / "http-raw.pcapng")
    raws = list(packets[:3]) + [
        RawPacket(packets[3].time, b"GET / HTTP/1.1\r\n\r\n", origin="inside-tls")
    ]
    trace = build_trace(
        lab="t", target="x", capture="live", raws=raws, started="2026-01-02T03:04:05+00:00"
    )
    out = tmp_path / "trace.pcap"
    assert write_pcap(trace, out) == 3
    lines = _tshark_lines(out)
    assert len(lines) == 3
    first = float(lines[0].split("\t")[0])
    assert first == pytest.approx(1767323045.0)
    assert float(lines[2].split("\t")[0]) - first == pytest.approx(
        packets[2].time - packets[0].time, abs=2e-6
    )


@pytest.mark.skipif(TSHARK is None, reason="tshark is not installed")
def test_mixed_links_become_pcapng(tmp_path):
    eth, _ = read_capture(PCAPS / "http.pcap")
    raw, _ = read_capture(PCAPS / "http-raw.pcapng")
    out = tmp_path / "mixed.pcapng"
    write_pcap([eth[0], raw[1]], out)
    assert out.read_bytes()[:4] == b"\x0a\x0d\x0d\x0a"
    again, _ = read_capture(out)
    assert [p.link for p in again] == ["ethernet", "raw-ip"]
    assert len(_tshark_lines(out)) == 2


def test_truncated_file_keeps_the_complete_packets(tmp_path):
    data = (PCAPS / "http.pcap").read_bytes()
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(data[: len(data) - 30])
    packets, _ = read_capture(cut)
    assert packets.truncated and len(packets) == 21


def test_truncated_pcapng(tmp_path):
    data = (PCAPS / "http-raw.pcapng").read_bytes()
    cut = tmp_path / "cut.pcapng"
    cut.write_bytes(data[:1000])
    packets, _ = read_capture(cut)
    assert packets.truncated and 0 < len(packets) < 22


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"hello, I am text\n", "is not a pcap or pcapng capture file"),
        (b"", "is not a pcap or pcapng capture file"),
        (b"\xd4\xc3\xb2\xa1\x02\x00", "truncated before its first packet"),
        (b"\xd4\xc3\xb2\xa1\x02\x00\x04\x00" + bytes(12) + b"\xdc\x00\x00\x00", "USB"),
    ],
)
def test_bad_files_say_what_to_do(tmp_path, content, message):
    f = tmp_path / "bad.pcap"
    f.write_bytes(content)
    with pytest.raises(BadInput) as err:
        read_capture(f)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_missing_and_directory(tmp_path):
    with pytest.raises(BadInput, match="no such file"):
        read_capture(tmp_path / "nope.pcap")
    with pytest.raises(BadInput, match="is a directory"):
        read_capture(tmp_path)


@pytest.mark.parametrize(
    ("linktype", "header"), [(0, b"\x02\x00\x00\x00"), (108, b"\x00\x00\x00\x02")]
)
def test_headers_we_do_not_show_are_dropped(tmp_path, linktype, header):
    """BSD loopback becomes raw IP, said in the note (Linux cooked v2 is read
    whole: tests/test_sll2.py)."""
    import struct

    raw, _ = read_capture(PCAPS / "http-raw.pcapng")
    blob = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype)
    for p in raw[:3]:
        data = header + p.data
        blob += struct.pack("<IIII", 1, 0, len(data), len(data)) + data
    f = tmp_path / "other.pcap"
    f.write_bytes(blob)
    packets, link = read_capture(f)
    assert link == "raw-ip" and [p.data for p in packets] == [p.data for p in raw[:3]]
    assert "header is not shown" in packets.note


def test_empty_capture_and_empty_records_explain_without_error(tmp_path):
    import struct

    from labs.files.explain import explain_file

    head = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    empty = tmp_path / "empty.pcap"
    empty.write_bytes(head)
    assert explain_file(empty).packets == ()
    odd = tmp_path / "odd.pcap"
    odd.write_bytes(
        head + struct.pack("<IIII", 1, 0, 0, 0) + struct.pack("<IIII", 1, 0, 5, 5) + b"abcde"
    )
    first, second = explain_file(odd).packets
    assert first.summary == "Empty" and first.layers == ()
    assert second.layers[-1].name == "Data" and second.hex == b"abcde".hex()


def test_simulated_trace_is_refused_in_one_line(tmp_path):
    from labrun import run

    trace = run("traceroute", simulate=True)
    assert trace.capture == "simulated" and trace.wire_packets()
    path = tmp_path / "sim.pcap"
    with pytest.raises(BadInput) as info:
        write_pcap(trace, path)
    assert str(info.value) == (
        "A simulated run has no captured packets: nothing was sent, so there is nothing "
        "for Wireshark to open. Run it as root for a real capture."
    )
    assert info.value.exit_code == 2 and not path.exists()
