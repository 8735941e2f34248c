"""What a capture read in two processes (`labs.files.parallel`) keeps of
conversations that are over: after a capture of many short connections,
the stream numbers kept by name, who is a client (`Roles`, `Classifier`)
hold only what later packets may still need, and every packet reads the
same as when nothing is forgotten."""

from __future__ import annotations

from scapy.layers.inet import IP, TCP, UDP

from labs.core.base import RawPacket
from labs.dissect import core
from labs.dissect.core import dissect_all
from labs.dissect.layers import Session
from labs.dissect.steps import Classifier, classify, view
from labs.files.survey import survey_stream
from labs.files.tracejson import Texts

SERVER = ("127.0.0.1", 8080)
CONNECTIONS = 40


def _seg(sport: int, to_server: bool, flags: str, seq: int, ack: int, data: bytes = b"") -> bytes:
    client = ("127.0.0.2", sport)
    (src, a), (dst, b) = (client, SERVER) if to_server else (SERVER, client)
    return bytes(IP(src=src, dst=dst) / TCP(sport=a, dport=b, flags=flags, seq=seq, ack=ack) / data)


def _capture() -> list[RawPacket]:
    """Short HTTP connections one after the other (each from its own port,
    with a DNS lookup), then one seen only from its middle: its reply is
    named by who the clients were, not by its ports."""
    get, ok = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
    dns = bytes.fromhex("1a2b01000001000000000000") + b"\x01a\x07example\x00\x00\x01\x00\x01"
    data = []
    for n in range(CONNECTIONS):
        port, c, s = 20000 + n, 1000 * n, 500000 + n
        data += [
            bytes(IP(src="127.0.0.2", dst="127.0.0.53") / UDP(sport=30000 + n, dport=53) / dns),
            _seg(port, True, "S", c, 0),
            _seg(port, False, "SA", s, c + 1),
            _seg(port, True, "PA", c + 1, s + 1, get),
            _seg(port, False, "FPA", s + 1, c + 1 + len(get), ok),
            _seg(port, True, "FA", c + 1 + len(get), s + 2 + len(ok)),
        ]
    data += [_seg(40000, True, "PA", 7, 9, get), _seg(40000, False, "PA", 9, 7 + len(get), ok)]
    return [RawPacket(1_700_000_000 + i / 1000, d) for i, d in enumerate(data)]


def _kept_sessions(monkeypatch) -> list[Session]:
    """Every dissection Session made from now on, to look inside afterwards."""
    sessions: list[Session] = []

    class Kept(Session):
        def __init__(self, *args: object) -> None:
            super().__init__(*args)  # type: ignore[arg-type]
            sessions.append(self)

    monkeypatch.setattr(core, "Session", Kept)
    return sessions


def test_conversations_that_are_over_are_forgotten_and_read_the_same(monkeypatch):
    raws = _capture()
    found = survey_stream(enumerate(raws))
    # Each plain packet's stream number is kept in a file: none by name.
    assert found.streams.known == {}
    syns = list(found.syns)
    assert len(syns) == CONNECTIONS
    assert all(0 <= syn[0] < syn[4] and syn[4] < len(raws) for syn in syns)  # the client's last
    assert all(syn[5] == len(raws) - 1 for syn in syns)  # the server's: the last packet

    sessions = _kept_sessions(monkeypatch)
    clients: list[int] = []
    texts = Texts()
    read = []
    for p in core.dissect_stream(
        enumerate(raws), raws[0].time, learned=syns, last=found.last(), streams=found.streams
    ):
        read.append(texts.packet(p))
        clients.append(len(sessions[0].roles.clients) + len(sessions[0].roles.servers))
    packets = dissect_all(raws)
    assert read == [texts.packet(p) for p in packets]
    assert max(clients) <= 3, max(clients)  # one connection open at a time (and its server)

    views = [view(p) for p in packets]
    classifier = Classifier(found.last(), syns)
    names: list[str] = []
    held = 0
    for v in views:
        got, renames = classifier.feed(v)
        for at, new in renames:
            names[at] = new
        names.append(got)
        held = max(held, len(classifier.clients))
    assert names == classify(views)[0]
    assert names[-2:] == ["request", "request"]  # clients were seen: the ports do not decide
    assert held <= 1
    found.close()


def test_with_one_cpu_one_process_reads_it_all_and_still_forgets(monkeypatch, tmp_path):
    """On a machine with one CPU the capture is read in one process, after the
    same survey: conversations that are over are forgotten there too (without
    it, every client of the capture stayed in memory), and the JSON is the same."""
    import io

    from labs.files import explain
    from labs.files.explain import explain_file, write_explain_json
    from labs.files.pcapio import write_pcap
    from labs.files.tracejson import write_json

    path = tmp_path / "short-connections.pcap"
    write_pcap(_capture(), path)
    want = io.StringIO()
    write_json(explain_file(path), want)
    sessions = _kept_sessions(monkeypatch)
    monkeypatch.setattr(explain, "_can_fork", lambda: False)  # one CPU
    monkeypatch.setattr(explain, "_fork_safe", lambda: True)  # pytest's threads aside
    got = io.StringIO()
    write_explain_json(path, got, parallel_from=1)
    assert got.getvalue() == want.getvalue()
    (session,) = sessions
    assert len(session.roles.clients) + len(session.roles.servers) <= 3
