"""The capture reader is bounded and validated (issue 16, item 2 and the
file half of item 8): the four pcapng shapes that crashed it, files that are
not regular files, a size cap, and a fuzz slice; each gives packets or one
line, never a traceback or a hang."""

from __future__ import annotations

import os
import random
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from labs.files import pcapread
from labs.files.explain import explain_file
from labs.files.pcapio import read_capture
from labs.model.errors import BadInput

PACKET = bytes.fromhex(
    "450000280001000040067cce7f0000017f000001d431005000000000000000005002200000000000"
)


def _block(btype: int, body: bytes) -> bytes:
    body += b"\0" * (-len(body) % 4)
    return struct.pack("<II", btype, len(body) + 12) + body + struct.pack("<I", len(body) + 12)


SHB = _block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))


def _idb(options: bytes = b"") -> bytes:
    return _block(1, struct.pack("<HHI", 101, 0, 65535) + options)


def _epb(high: int = 0x5F5E1, low: int = 0, data: bytes = PACKET) -> bytes:
    return _block(6, struct.pack("<IIIII", 0, high, low, len(data), len(data)) + data)


def _write(tmp_path: Path, blob: bytes) -> Path:
    path = tmp_path / "f.pcapng"
    path.write_bytes(blob)
    return path


def test_interface_block_with_an_empty_body(tmp_path):
    path = _write(tmp_path, SHB + _block(1, b"") + _epb())
    with pytest.raises(BadInput, match="interface block at byte 28 is too short"):
        read_capture(path)
    # after a good packet, the damage is said in the note and the packet kept
    packets, _ = read_capture(_write(tmp_path, SHB + _idb() + _epb() + _block(1, b"")))
    assert len(packets) == 1 and "damaged after packet 1" in packets.note


def test_enhanced_packet_block_shorter_than_its_header(tmp_path):
    path = _write(tmp_path, SHB + _idb() + _block(6, b"\0" * 12))
    with pytest.raises(BadInput, match="packet block .* is too short"):
        read_capture(path)


def test_packet_claiming_more_bytes_than_its_block(tmp_path):
    bad = _block(6, struct.pack("<IIIII", 0, 0, 0, 5000, 5000) + PACKET)
    with pytest.raises(BadInput, match="claims 5000 bytes"):
        read_capture(_write(tmp_path, SHB + _idb() + bad))


def test_tsresol_option_with_its_value_cut_off(tmp_path):
    # code 9, length 1, but the block ends where the value byte would be
    idb = _block(1, struct.pack("<HHI", 101, 0, 65535) + struct.pack("<HH", 9, 1))
    packets, _ = read_capture(_write(tmp_path, SHB + idb + _epb()))
    assert len(packets) == 1 and packets[0].time == pytest.approx(0x5F5E1 * 2**32 / 1e6)


def test_timestamp_past_year_9999_explains(tmp_path):
    path = _write(tmp_path, SHB + _idb() + _epb(high=0xFFFFFFFF) + _epb(high=0xFFFFFFFF, low=9))
    trace = explain_file(path)
    assert trace.started.startswith("9999-12-31") and len(trace.packets) == 2
    assert "outside the years 1970-9999" in trace.capture_note


def test_every_tick_size_stays_finite(tmp_path):
    for value in (0x7F, 0xFF, 0x80, 0):
        idb = _idb(struct.pack("<HHB3x", 9, 1, value))
        packets, _ = read_capture(_write(tmp_path, SHB + idb + _epb(high=0xFFFFFFFF)))
        assert 0.0 <= packets[0].time <= pcapread.MAX_TIME


def test_section_header_without_a_byte_order_mark(tmp_path):
    bad = SHB[:8] + b"ABCD" + SHB[12:]
    with pytest.raises(BadInput, match="no byte-order mark"):
        read_capture(_write(tmp_path, bad + _idb() + _epb()))


def test_a_fifo_is_refused_without_waiting(tmp_path):
    fifo = tmp_path / "pipe.pcap"
    os.mkfifo(fifo)
    with pytest.raises(BadInput, match="not a regular file"):
        read_capture(fifo)


def test_a_device_is_refused_before_reading():
    with pytest.raises(BadInput, match="not a regular file"):
        read_capture("/dev/zero")


def test_a_file_over_the_cap_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(pcapread, "MAX_BYTES", 100)
    path = _write(tmp_path, SHB + _idb() + _epb() + _epb())
    with pytest.raises(BadInput, match="tutor reads captures up to") as err:
        read_capture(path)
    assert "editcap" in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("what", ["/dev/zero", "fifo", "big"])
def test_explain_refuses_in_one_line_exit_2(tmp_path, what):
    """The CLI, under a 1.5 GB memory limit, with a 20 s bound: no hang, no traceback."""
    path = {"/dev/zero": "/dev/zero", "fifo": str(tmp_path / "p"), "big": str(tmp_path / "b")}[what]
    if what == "fifo":
        os.mkfifo(path)
    if what == "big":
        with open(path, "wb") as fh:  # sparse: no disk used
            fh.truncate(pcapread.MAX_BYTES + 1)
    code = (
        "import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (1500 << 20, 1500 << 20)); "
        "from tutor.cli import main; sys.exit(main(['explain', sys.argv[1], '--json']))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, path], capture_output=True, text=True, timeout=20
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == "" and len(proc.stderr.splitlines()) == 1
    assert "Traceback" not in proc.stderr


def test_fuzz_slice():
    """A few seconds of `make fuzz` (tests/fuzz_pcap.py), fixed seeds."""
    sys.path.insert(0, str(Path(__file__).parent))
    import fuzz_pcap

    pool = fuzz_pcap.seeds()
    for seed in (1, 2):
        rng = random.Random(seed)
        for i in range(4000):
            fuzz_pcap.check(fuzz_pcap.mutate(rng, pool), dissect=i % 200 == 0)
