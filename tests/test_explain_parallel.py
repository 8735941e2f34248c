"""A large capture is explained in two processes (labs.files.parallel): the JSON
must be the serial JSON byte for byte, whatever the capture holds, and no
child process may outlive the call."""

from __future__ import annotations

import io
import os
import random
from pathlib import Path

import pytest
from explain_runs import children, serial
from explain_runs import parallel as parallel_json
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import IPv6

from labs.core.base import RawPacket
from labs.dissect.layers import Session
from labs.files import explain, parallel, survey
from labs.files.pcapio import read_capture, write_pcap

PCAPS = Path(__file__).parent / "data" / "pcaps"


@pytest.fixture(autouse=True)
def forking(monkeypatch):
    """Fork even with pytest's helper threads around, and check that every
    child is reaped."""
    monkeypatch.setattr(explain, "_can_fork", lambda: True)
    before = children()
    yield
    assert children() == before


def _seg(src, dst, sport, dport, flags, seq, ack, data=b"", v6=False):
    ip = IPv6(src=src, dst=dst) if v6 else IP(src=src, dst=dst)
    return bytes(ip / TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack) / data)


def _busy_capture() -> list[RawPacket]:
    """Interleaved HTTP connections to one server (v4 and v6), a DNS
    exchange, an ICMP error, a connection seen only from its middle, and
    damaged copies of stored packets: what could tell the two shares apart."""
    get = b"GET /orders HTTP/1.1\r\nHost: shop.example\r\n\r\n"
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
    packets = []
    for n in range(6):
        c, s = 1000 * n, 50000 * n
        v6 = n % 3 == 2
        a, b = ("::1", "::1") if v6 else ("127.0.0.1", "127.0.0.1")
        port = 41000 + n
        packets.append(
            [
                _seg(a, b, port, 50000, "S", c, 0, v6=v6),
                _seg(b, a, 50000, port, "SA", s, c + 1, v6=v6),
                _seg(a, b, port, 50000, "A", c + 1, s + 1, v6=v6),
                _seg(a, b, port, 50000, "PA", c + 1, s + 1, get, v6=v6),
                _seg(b, a, 50000, port, "PA", s + 1, c + 1 + len(get), ok, v6=v6),
                _seg(a, b, port, 50000, "FA", c + 1 + len(get), s + 1 + len(ok), v6=v6),
            ]
        )
    # Round-robin: every connection's packets interleave with the others'.
    data = [p for step in zip(*packets, strict=True) for p in step]
    data.insert(5, _seg("127.0.0.1", "127.0.0.1", 50000, 43000, "A", 9, 99))  # no handshake seen
    dns = bytes.fromhex("1a2b01000001000000000000") + b"\x04shop\x07example\x00\x00\x01\x00\x01"
    data.insert(9, bytes(IP(dst="127.0.0.1") / UDP(sport=40000, dport=53) / dns))
    probe = bytes(IP(dst="203.0.113.5", ttl=1) / UDP(sport=33434, dport=33434))
    data.insert(12, bytes(IP(src="198.51.100.1", dst="127.0.0.1") / ICMP(type=11) / probe))
    raws = [RawPacket(1_700_000_000 + i / 1000, d) for i, d in enumerate(data)]
    stored = [p for path in sorted(PCAPS.iterdir()) for p in read_capture(path)[0]]
    rng = random.Random(7)
    for r in rng.sample([r for r in stored if r.link == "raw-ip"], 10):
        d = bytearray(r.data)
        for _ in range(rng.randint(1, 4)):
            d[rng.randrange(len(d))] = rng.randrange(256)
        raws.append(RawPacket(raws[-1].time + 0.001, bytes(d[: rng.randrange(len(d) + 1)])))
    return raws


@pytest.mark.parametrize("name", sorted(p.name for p in PCAPS.iterdir()))
def test_stored_captures_read_the_same_in_two_processes(name):
    path = PCAPS / name
    assert parallel_json(path) == serial(path)


@pytest.mark.parametrize(
    "name",
    [
        "ftp.pcapng",
        "ftp6.pcapng",
        "ftp-active.pcapng",
        "ftp-lo2.pcapng",
        "ftp-nat.pcapng",
        "tftp.pcapng",
    ],
)
def test_conversations_linked_across_are_read_the_same_in_two_processes(name):
    # FTP announces its data connection on the control one, TFTP's server
    # answers from a new port: two processes reading them apart named the
    # data as plain UDP/TCP, so the capture is read again in one.
    path = Path(__file__).parent / "data" / "programs" / name
    assert parallel_json(path) == serial(path)


def test_busy_capture_reads_the_same_in_two_processes(tmp_path):
    path = tmp_path / "busy.pcap"
    write_pcap(_busy_capture(), path)
    raws, _link = read_capture(path)
    keys, syns = parallel.survey(raws)
    assert len(set(keys)) >= 6 and len(syns) >= 6  # conversations for both processes
    assert parallel_json(path) == serial(path)
    assert parallel_json(path, client="127.0.0.1") == serial(path, client="127.0.0.1")
    assert parallel_json(path, limit=20) == serial(path, limit=20)


def test_what_the_bytes_tell_is_what_dissection_tells():
    """Packets the survey reads from the bytes alone (conversation, SYN and
    its ends) must read the same through a full dissection."""
    raws = _busy_capture() + [p for path in PCAPS.iterdir() for p in read_capture(path)[0]]
    sure = 0
    for r in raws:
        key, ends, certain = survey._scan(r.data, r.link)
        if certain:
            sure += 1
            assert (key, ends) == survey._exactly(r, Session()), r
    assert sure > len(raws) * 0.8


def test_a_failed_child_leaves_its_share_to_the_parent(monkeypatch):
    monkeypatch.setattr(parallel, "_child", lambda fd, work: os._exit(3))
    path = PCAPS / "http.pcap"
    assert parallel_json(path) == serial(path)


def test_any_split_by_conversation_reads_the_same():
    """Whichever conversations each process reads, the packets come out as
    the serial reading has them (the SYNs of the other share are learned)."""
    from labs.dissect.core import dissect_all
    from labs.files.tracejson import Texts

    raws = _busy_capture()
    keys, syns = parallel.survey(raws)
    streams = survey.survey_stream(enumerate(raws)).streams  # tcp.stream, udp.stream
    texts = Texts()
    serial = [texts.packet(p) for p in dissect_all(raws, client="127.0.0.1")]
    rng = random.Random(3)
    for _ in range(20):
        side = {key: rng.randrange(2) for key in keys}
        shares = [[i for i, k in enumerate(keys) if side[k] == n] for n in (0, 1)]
        got: dict[int, str] = {}
        for share in shares:
            sink = io.StringIO()
            parallel._read(raws, share, None, "127.0.0.1", syns, sink, streams)
            got.update(zip(share, sink.getvalue().splitlines(), strict=True))
        assert [got[i] for i in range(len(raws))] == serial


def test_stopping_the_parent_kills_and_reaps_the_child(monkeypatch):
    def interrupted(read_fd: int) -> None:
        os.close(read_fd)
        raise KeyboardInterrupt

    monkeypatch.setattr(parallel, "_receive", interrupted)
    with pytest.raises(KeyboardInterrupt):
        parallel_json(PCAPS / "http.pcap")


def test_each_conversation_is_read_by_the_one_process_that_met_it_first():
    """Two processes racing through the same conversations: each is taken
    exactly once, and by one side only."""
    from labs.files.claims import Claims

    n = 20_000
    claims = Claims(n)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: take what it can, send back which
        code = 1
        try:
            taken = bytes(claims.take(k, 1) for k in range(1, n))
            with os.fdopen(write_fd, "wb") as pipe:
                pipe.write(taken)
            code = 0
        finally:
            os._exit(code)
    os.close(write_fd)
    mine = bytes(claims.take(k, 0) for k in range(1, n))
    with os.fdopen(read_fd, "rb") as pipe:
        theirs = pipe.read()
    os.waitpid(pid, 0)
    assert len(theirs) == n - 1
    assert all(a + b == 1 for a, b in zip(mine, theirs, strict=True))
    # Each side's own answer agrees with the table, and conversation 0 is side 0's.
    owners = claims.owners(range(n))
    assert owners[0] == 0 and [1 - m for m in mine] == list(owners[1:])
    claims.close()
