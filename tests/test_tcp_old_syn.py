"""An old duplicate SYN after the close, as tshark 4.0 reads it: a SYN whose
initial sequence number is the one its conversation began with is that SYN
again (tcp.analysis.retransmission), in the same tcp.stream, even after the
FINs; only a SYN with another one begins a new stream. On a real capture
(tests/data/pcaps/tcp-old-syn.pcap, tests/make_old_syn_pcap.py: the kernels
on loopback answering a copy of the first SYN sent again after the close,
then a new connection from the same port) and on written segments; every
connection the timing waterfall draws is one of tshark's tcp.streams."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from test_tcp_reused_ports import _tcp, _written

from labs.core.base import RawPacket
from labs.files import explain
from labs.files.explain import explain_file, write_explain_json
from labs.files.pcapio import write_pcap
from labs.model.trace import Packet

PCAPS = Path(__file__).parent / "data" / "pcaps"
OLD_SYN = PCAPS / "tcp-old-syn.pcap"
TSHARK = shutil.which("tshark")


def _field(p: Packet, name: str) -> str:
    return ",".join(f.value or "1" for f in p.fields(name)) or "-"


def _tsharks(path: Path, names: list[str]) -> list[list[str]]:
    assert TSHARK
    args = [TSHARK, "-r", str(path), "-o", "tcp.desegment_tcp_streams:FALSE", "-T", "fields"]
    args += ["-E", "occurrence=a", "-E", "aggregator=,", *(x for n in names for x in ("-e", n))]
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=60).stdout
    return [[v or "-" for v in line.split("\t")] for line in out.splitlines()]


#: What tshark sets on the packets of the old SYN's story.
NAMES = [
    "tcp.stream",
    "tcp.seq",
    "tcp.ack",
    "tcp.seq_raw",
    "tcp.analysis.retransmission",
    "tcp.analysis.reused_ports",
    "tcp.analysis.lost_segment",
    "tcp.analysis.rto_frame",
]


def _capture(name: str, tmp_path: Path) -> Path:
    """A stored capture, or "written": the one `_written` makes."""
    if name != "written":
        return PCAPS / name
    path = tmp_path / "written.pcap"
    write_pcap(_written(), path)
    return path


@pytest.mark.skipif(TSHARK is None, reason="tshark is not installed")
@pytest.mark.parametrize("name", ["tcp-old-syn.pcap", "tcp-reuse.pcap", "written"])
def test_stream_numbers_and_flags_are_tsharks(name, tmp_path):
    path = _capture(name, tmp_path)
    trace = explain_file(path)
    ours = [[_field(p, n) for n in NAMES] for p in trace.packets]
    assert ours == _tsharks(path, NAMES)


def test_the_old_syn_again_stays_in_its_conversation_and_is_said_so():
    packets = explain_file(OLD_SYN).packets
    assert [_field(p, "tcp.stream") for p in packets] == ["0"] * 16 + ["1"] * 10
    again = packets[10]
    assert again.summary == "[TCP Retransmission] TCP SYN"
    isn = _field(packets[0], "tcp.seq_raw")
    assert _field(again, "tcp.seq_raw") == isn
    assert again.explain.startswith(
        f"Retransmission: this SYN starts from initial sequence number {isn}, the one this "
        "side already used in TCP conversation 0, though that connection had finished: the "
        "same SYN again, not a new connection, so Wireshark keeps it in TCP conversation 0."
    )
    assert "lost" not in again.explain.split(". ")[0]
    # The server's answer: another ISN on known ports, still conversation 0.
    assert "[TCP Port numbers reused]" in packets[11].summary
    assert "still counts it in TCP conversation 0" in packets[11].explain
    # The client's new connection from the same port: a new ISN, a new stream.
    assert "begins TCP conversation 1 (tcp.stream == 1)" in packets[16].explain


def _connects(path: Path, parallel_from: int) -> list[list[int]]:
    out = io.StringIO()
    write_explain_json(path, out, parallel_from=parallel_from)
    waterfall = json.loads(out.getvalue())["waterfall"]
    return [p["packets"] for p in waterfall if p["name"] == "connect"]


@pytest.mark.parametrize("parallel_from", [10**9, 1], ids=["one-process", "two-processes"])
def test_the_waterfall_draws_no_connection_for_the_old_syn(parallel_from, monkeypatch):
    """The old SYN after the close, the server's SYN-ACK to it and the
    resets were timed as a third connection, one tshark never sees."""
    monkeypatch.setattr(explain, "_can_fork", lambda: True)
    assert _connects(OLD_SYN, parallel_from) == [[0, 1, 2], [16, 17, 18]]


@pytest.mark.parametrize("name", ["tcp-old-syn.pcap", "tcp-reuse.pcap", "written"])
def test_each_waterfall_connection_is_one_tcp_stream(name, tmp_path):
    path = _capture(name, tmp_path)
    trace = explain_file(path)
    stream = {p.index: _field(p, "tcp.stream") for p in trace.packets}
    seen: dict[int, set[str]] = {}
    for phase in trace.waterfall:
        seen.setdefault(phase.exchange, set()).update(stream[i] for i in phase.packets)
    assert all(len(s) == 1 for s in seen.values()), seen
    # Every stream whose handshake was answered is timed, once (each of
    # these connections carries one exchange at most), and so is one whose
    # SYN was sent again with nothing back (its wait: "no-reply").
    answered = {stream[p.index] for p in trace.packets if _field(p, "tcp.flags") == "0x0012"}
    flags: dict[str, list[str]] = {}
    for p in trace.packets:
        flags.setdefault(stream[p.index], []).append(_field(p, "tcp.flags"))
    unanswered = {s for s, f in flags.items() if len(f) > 1 and set(f) == {"0x0002"}}
    assert sorted(s for (s,) in seen.values()) == sorted(answered | unanswered)


def _steps(path: Path) -> list[tuple[str, tuple[int, ...]]]:
    return [(s.name, s.packets) for s in explain_file(path).steps]


def test_the_old_syn_and_what_answers_it_are_one_step_not_a_refusal():
    """The old SYN and its answers were told as two refused connections and
    two handshakes, though the server answered the SYN with a SYN-ACK."""
    trace = explain_file(OLD_SYN)
    assert [(s.name, s.packets) for s in trace.steps] == [
        ("tcp-connect", (0, 1, 2)),
        ("data", (3, 4, 5, 6)),
        ("close", (7, 8, 9)),
        ("old-syn", (10, 11, 12, 13, 14, 15)),
        ("tcp-connect", (16, 17, 18)),
        ("data", (19, 20, 21, 22)),
        ("close", (23, 24, 25)),
    ]
    packets = trace.packets
    isn, synack = (_field(packets[i], "tcp.seq_raw") for i in (0, 11))
    told = trace.steps[3].explain
    assert f"sends its first SYN again, with the initial sequence number that connection began with ({isn})" in told  # fmt: skip
    assert "answers it with a SYN-ACK (2 times), as to a new connection" in told
    assert f"no ACK acknowledges that SYN-ACK (it would answer {int(synack) + 1})" in told
    assert "Resets (RST) from 127.0.0.1:47311 and 127.0.0.1:47312 end it." in told


def _conversations() -> list[RawPacket]:
    a, b = _tcp("10.0.0.1", "10.0.0.2", 1000, 80), _tcp("10.0.0.2", "10.0.0.1", 80, 1000)
    c, cb = _tcp("10.0.0.1", "10.0.0.3", 1001, 80), _tcp("10.0.0.3", "10.0.0.1", 80, 1001)
    d, db = _tcp("10.0.0.1", "10.0.0.4", 1002, 80), _tcp("10.0.0.4", "10.0.0.1", 80, 1002)
    e, eb = _tcp("10.0.0.1", "10.0.0.5", 1003, 80), _tcp("10.0.0.5", "10.0.0.1", 80, 1003)
    packets = [
        *(a("S", 100), b("RA", 0, 101)),  # refused: the reset acknowledges the SYN
        *(c("S", 200), cb("SA", 900, 201), c("A", 201, 901), cb("RA", 901, 201)),  # answered
        *(d("S", 300), db("R", 0)),  # a reset without ACK answers no SYN
        *(e("S", 400), eb("RA", 0, 999)),  # acknowledges another number
        *(a("S", 500), b("SA", 700, 501), a("A", 501, 650)),  # an ACK short of the SYN-ACK
    ]
    return [RawPacket(1_700_000_000 + i / 10, p, "ethernet") for i, p in enumerate(packets)]


def test_refused_needs_a_reset_that_answers_the_syn_and_nothing_else(tmp_path):
    path = tmp_path / "resets.pcap"
    write_pcap(_conversations(), path)
    trace = explain_file(path)
    names = {i: s.name for s in trace.steps for i in s.packets}
    assert [names[i] for i in range(10)] == ["refused"] * 2 + ["tcp-connect"] * 3 + ["close"] + [
        "tcp-connect",
        "close",
        "tcp-connect",
        "close",
    ]
    # The packets' own sentences agree: only the reset that answers the SYN refuses.
    said = [trace.packets[i].explain for i in (1, 5, 7, 9)]
    assert said[0] == (
        "10.0.0.2:80 refuses the conversation (RST): nothing listens on port 80, "
        "or a firewall rejected the connection on its behalf."
    )
    for told, (n, port) in zip(said[1:], ((3, 1001), (4, 1002), (5, 1003)), strict=True):
        assert told.endswith(f"10.0.0.{n}:80 aborts the conversation with 10.0.0.1:{port} at once (RST).")  # fmt: skip


def test_an_ack_short_of_the_syn_ack_completes_no_handshake(tmp_path):
    """The client's ACK from TIME-WAIT after the server's SYN-ACK to the old
    SYN was told as completing the handshake."""
    packets = explain_file(OLD_SYN).packets
    seq, ack = (_field(packets[12], n) for n in ("tcp.seq_raw", "tcp.ack_raw"))
    synack = int(_field(packets[11], "tcp.seq_raw"))
    fins = [int(_field(packets[i], "tcp.seq_raw")) for i in (7, 8)]
    assert (int(seq), int(ack)) == (fins[0] + 1, fins[1] + 1)
    told = packets[12].explain
    assert told.startswith(
        "127.0.0.1:47312 answers 127.0.0.1:47311's SYN-ACK with an ACK that does not "
        f"acknowledge it: it acknowledges {ack}, not {synack + 1} (that SYN-ACK's number + 1), "
        f"so no handshake completes. {ack} is one past 127.0.0.1:47311's FIN and {seq} one "
        "past 127.0.0.1:47312's own"
    )
    assert "TIME-WAIT" in told and "RFC 9293, section 3.10.7.4" in told
    assert "handshake is complete" not in told
    for i in (2, 18):  # the real handshakes still complete
        assert packets[i].explain.endswith("the three-way handshake is complete.")
    # An ACK short of the SYN-ACK with no earlier connection: no TIME-WAIT story.
    path = tmp_path / "short.pcap"
    write_pcap(_conversations(), path)
    short = explain_file(path).packets[12].explain
    assert short.endswith("acknowledges 650, not 701 (that SYN-ACK's number + 1), so no handshake completes.")  # fmt: skip


def test_what_went_wrong_says_which_segments_came_again():
    trace = explain_file(OLD_SYN)
    (body,) = [s.body for s in trace.sections if s.title == "What went wrong"]
    rows = {r.split("\t")[0]: r.split("\t")[1:] for r in body.splitlines()[1:]}
    assert "2 retransmissions" not in rows
    packets, meaning = rows["1 SYN again after the close"]
    assert packets == "#11" and "keeps it in the old conversation: not a new connection" in meaning
    packets, meaning = rows["1 SYN-ACK resent"]
    assert packets == "#15" and meaning.startswith("the answer to a SYN sent again: no ACK of it")
    # #12 stays in tcp.stream 0: not "a conversation of its own", and its
    # "previous segment not captured" is the jump to its new number, not lost data.
    assert rows["1 port pair reused"][0] == "#17"
    packets, meaning = rows["1 SYN-ACK with a new number"]
    assert packets == "#12" and "keeps it in the same conversation" in meaning
    assert not any("not captured" in seen for seen in rows)


def test_the_syn_ack_sent_again_is_said_as_such():
    packets = explain_file(OLD_SYN).packets
    again = packets[14]
    rto, frame = _field(again, "tcp.analysis.rto"), _field(again, "tcp.analysis.rto_frame")
    synack = int(_field(packets[11], "tcp.seq_raw"))
    assert _field(again, "tcp.seq_raw") == str(synack)
    assert again.explain.startswith(
        f"Retransmission: the same SYN-ACK again, {float(rto):.3g} s after #{frame}: "  # tshark's frame number, as the text says it
        f"no ACK acknowledging it (one answering {synack + 1}) came"
    )
    assert "timer ran out" not in again.explain.split(". ")[0]


@pytest.mark.skipif(TSHARK is None, reason="tshark is not installed")
def test_the_syn_ack_sent_again_is_timed_as_tshark_times_it():
    names = ["tcp.analysis.rto", "tcp.analysis.rto_frame", "tcp.seq_raw"]
    (theirs,) = [row for row in _tsharks(OLD_SYN, names) if row[0] != "-"][1:]
    assert theirs == ["1.007014000", "12", "473402710"]
    packets = explain_file(OLD_SYN).packets
    assert [_field(packets[14], n) for n in names] == theirs
