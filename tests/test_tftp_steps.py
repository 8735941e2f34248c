"""TFTP transfers as steps (labs.dissect.tftp_steps): each transfer one
after another is a step of its own, titled with its file; transfers that
overlap share one. A transfer ends at its error or its last block (shorter
than the block size, 512 bytes or the one the server's option
acknowledgment accepted, RFC 2348). Written with scapy; the capture of
in.tftpd and curl is in tests/test_explain_words.py."""

from __future__ import annotations

import io

import pytest
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

from labs.core.base import RawPacket
from labs.dissect.core import dissect_all
from labs.dissect.steps import default_steps
from labs.files import explain
from labs.files.explain import explain_file, write_explain_json
from labs.files.pcapio import write_pcap
from labs.files.tracejson import write_json

CLIENT, SERVER = "192.0.2.2", "192.0.2.1"


def _udp(src: str, dst: str, sport: int, dport: int, payload: bytes) -> bytes:
    frame = Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:01")
    return bytes(frame / IP(src=src, dst=dst) / UDP(sport=sport, dport=dport) / payload)


def _transfer(name: str, cport: int, sport: int, sizes: list[int], blksize: int = 0) -> list[bytes]:
    """A read of `name` from client port `cport`, the server answering from `sport`."""
    ask = b"\x00\x01" + name.encode() + b"\x00octet\x00"
    if blksize:
        ask += b"blksize\x00" + str(blksize).encode() + b"\x00"
    out = [_udp(CLIENT, SERVER, cport, 69, ask)]
    if blksize:
        oack = b"\x00\x06blksize\x00" + str(blksize).encode() + b"\x00"
        out += [_udp(SERVER, CLIENT, sport, cport, oack), _ack(cport, sport, 0)]
    for block, size in enumerate(sizes, 1):
        data = b"\x00\x03" + block.to_bytes(2, "big") + b"x" * size
        out += [_udp(SERVER, CLIENT, sport, cport, data), _ack(cport, sport, block)]
    return out


def _ack(cport: int, sport: int, block: int) -> bytes:
    return _udp(CLIENT, SERVER, cport, sport, b"\x00\x04" + block.to_bytes(2, "big"))


def _steps(frames: list[bytes]) -> list[tuple[str, str, tuple[int, ...]]]:
    raws = [RawPacket(1_700_000_000 + i / 100, f, "ethernet") for i, f in enumerate(frames)]
    return [(s.name, s.title, s.packets) for s in default_steps(dissect_all(raws))]


def test_transfers_one_after_another_are_a_step_each():
    frames = [
        *_transfer("a.txt", 40001, 50001, [512, 100]),
        *_transfer("b.txt", 40002, 50002, [0]),  # an empty file: one empty block
        *_transfer("c.txt", 40003, 50003, [30]),
    ]
    assert _steps(frames) == [
        ("tftp", "Download a.txt over TFTP", tuple(range(5))),
        ("tftp", "Download b.txt over TFTP", (5, 6, 7)),
        ("tftp", "Download c.txt over TFTP", (8, 9, 10)),
    ]


def test_transfers_that_overlap_share_a_step():
    a, b = _transfer("a.txt", 40001, 50001, [512, 10]), _transfer("b.txt", 40002, 50002, [10])
    frames = [*a[:3], *b, *a[3:]]  # b asked for while a is still under way
    assert _steps(frames) == [("tftp", "Download a.txt and b.txt over TFTP", tuple(range(8)))]


def test_the_block_size_a_server_accepts_says_which_block_is_the_last():
    # 600 bytes is a whole block of 1024? No: the last. Of 512 it would not be.
    frames = [
        *_transfer("big.bin", 40001, 50001, [1024, 600], blksize=1024),
        *_transfer("next.bin", 40002, 50002, [5]),
    ]
    assert [(name, title) for name, title, _ in _steps(frames)] == [
        ("tftp", "Download big.bin over TFTP"),
        ("tftp", "Download next.bin over TFTP"),
    ]


def test_an_error_ends_a_transfer():
    error = _udp(SERVER, CLIENT, 50001, 40001, b"\x00\x05\x00\x01File not found\x00")
    frames = [_transfer("gone.txt", 40001, 50001, [])[0], error, *_transfer("b", 40002, 50002, [1])]
    assert [(name, packets) for name, _, packets in _steps(frames)] == [
        ("tftp", (0, 1)),
        ("tftp", (2, 3, 4)),
    ]


@pytest.mark.parametrize("parallel", [False, True], ids=["serial", "parallel"])
def test_the_streamed_json_splits_them_the_same(tmp_path, monkeypatch, parallel):
    frames = [*_transfer("a.txt", 40001, 50001, [3]), *_transfer("b.txt", 40002, 50002, [4])]
    path = tmp_path / "two.pcap"
    write_pcap(
        [RawPacket(1_700_000_000 + i / 100, f, "ethernet") for i, f in enumerate(frames)], path
    )
    monkeypatch.setattr(explain, "_can_fork", lambda: parallel)
    expected = io.StringIO()
    trace = explain_file(path)
    assert [s.title for s in trace.steps] == [
        "Download a.txt over TFTP",
        "Download b.txt over TFTP",
    ]
    write_json(trace, expected)
    out = io.StringIO()
    write_explain_json(path, out, parallel_from=1 if parallel else 10**9)
    assert out.getvalue() == expected.getvalue()
