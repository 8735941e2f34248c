"""`tutor explain --json` writes the packets' text (most of the document:
1.3 GB for 200,000 packets) from the files the dissecting processes wrote,
copied by the kernel where it can: the bytes are those of
`write_json(explain_file(F))` whatever the output is (a file, a file opened
to append, a pipe, a StringIO), in one process or two, and the text does
not pass through this process on its way."""

from __future__ import annotations

import io
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from explain_runs import children, serial
from scapy.layers.inet import IP, TCP

from labs.core.base import RawPacket
from labs.files import explain, parallel
from labs.files.explain import write_explain_json
from labs.files.pcapio import write_pcap

PCAPS = Path(__file__).parent / "data" / "pcaps"
REQUEST = b"GET /orders HTTP/1.1\r\nHost: shop.example\r\n\r\n"
ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"


@pytest.fixture(autouse=True)
def forking(monkeypatch):
    """Fork even with pytest's helper threads around; every child reaped."""
    monkeypatch.setattr(explain, "_can_fork", lambda: True)
    before = children()
    yield
    assert children() == before


def _connections(count: int) -> list[RawPacket]:
    """`count` (even) HTTP connections, two at a time, their packets
    interleaved: runs of packets that change side often when two processes
    share them."""
    packets: list[list[bytes]] = []
    for n in range(count):
        port, c, s = 20000 + n, 1000 * n, 7000 * n
        a, b = "127.0.0.1", "127.0.0.2"

        def seg(src: str, dst: str, sport: int, dport: int, flags: str, seq: int, ack: int, data: bytes = b"") -> bytes:  # fmt: skip
            return bytes(IP(src=src, dst=dst) / TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack) / data)  # fmt: skip

        packets.append(
            [
                seg(a, b, port, 80, "S", c, 0),
                seg(b, a, 80, port, "SA", s, c + 1),
                seg(a, b, port, 80, "A", c + 1, s + 1),
                seg(a, b, port, 80, "PA", c + 1, s + 1, REQUEST),
                seg(b, a, 80, port, "PA", s + 1, c + 1 + len(REQUEST), ANSWER),
                seg(a, b, port, 80, "FA", c + 1 + len(REQUEST), s + 1 + len(ANSWER)),
            ]
        )
    order = [p for first, second in zip(packets[::2], packets[1::2], strict=True) for pair in zip(first, second, strict=True) for p in pair]  # fmt: skip
    return [RawPacket(1_700_000_000 + i / 1000, d) for i, d in enumerate(order)]


@pytest.fixture(scope="module")
def busy(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("copy") / "busy.pcap"
    write_pcap(_connections(150), path)
    return path


def _to_file(path: Path, tmp: Path, parallel_from: int) -> bytes:
    target = tmp / "out.json"
    with open(target, "w", encoding="utf-8") as out:
        write_explain_json(path, out, parallel_from=parallel_from)
    return target.read_bytes()


def _appended(path: Path, tmp: Path, parallel_from: int) -> bytes:
    """To a file opened to append (where the kernel will not copy)."""
    target = tmp / "out.json"
    target.write_bytes(b"already here\n")
    with open(target, "a", encoding="utf-8") as out:
        write_explain_json(path, out, parallel_from=parallel_from)
    data = target.read_bytes()
    assert data.startswith(b"already here\n")
    return data[len(b"already here\n") :]


def _to_pipe(path: Path, tmp: Path, parallel_from: int) -> bytes:
    target = tmp / "piped.json"
    with open(target, "wb") as sink:
        cat = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=sink)
        assert cat.stdin is not None
        with io.TextIOWrapper(cat.stdin, encoding="utf-8") as out:
            write_explain_json(path, out, parallel_from=parallel_from)
        assert cat.wait(timeout=60) == 0
    return target.read_bytes()


def _to_string(path: Path, tmp: Path, parallel_from: int) -> bytes:
    out = io.StringIO()
    write_explain_json(path, out, parallel_from=parallel_from)
    return out.getvalue().encode("utf-8")


SINKS: dict[str, Callable[[Path, Path, int], bytes]] = {
    "file": _to_file,
    "append": _appended,
    "pipe": _to_pipe,
    "string": _to_string,
}


@pytest.mark.parametrize("sink", SINKS)
@pytest.mark.parametrize("parallel", [False, True], ids=["one", "two"])
def test_every_output_gets_the_same_bytes(busy, tmp_path, sink, parallel):
    got = SINKS[sink](busy, tmp_path, 1 if parallel else 10**9)
    assert got == serial(busy).encode("utf-8")


@pytest.mark.parametrize("name", ["http.pcap", "tls.pcap", "dns.pcap"])
def test_captures_copied_to_a_file_are_their_json(tmp_path, name):
    for parallel_from in (1, 10**9):
        assert _to_file(PCAPS / name, tmp_path, parallel_from) == serial(PCAPS / name).encode()


def _reads() -> int:
    """Read calls this process has made (`/proc/self/io`)."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("syscr:"):
            return int(line.split()[1])
    raise AssertionError("no syscr in /proc/self/io")


def test_the_packets_text_does_not_pass_through_the_process(busy, tmp_path):
    """Copied file to file by the kernel, the text is not read back a block
    (8 KB, a text file's reads) at a time: this process reads far fewer
    times than that (the capture, the steps' records). One process: in two,
    each run of packets one process read is one copy, and how many runs
    there are depends on which process met a conversation first."""
    before = _reads()
    size = len(_to_file(busy, tmp_path, 10**9))
    assert _reads() - before < size / 8192 / 4


def test_a_waterfall_worked_out_aside_that_fails_is_worked_out_again(busy, monkeypatch):
    """In two processes the waterfall is worked out by a third while the
    steps and packets are written; if that one dies, the JSON is the same."""
    monkeypatch.setattr(parallel, "_waterfall_child", lambda *args: os._exit(1))
    assert _to_string(busy, Path(), 1) == serial(busy).encode("utf-8")
