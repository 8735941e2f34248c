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
from test_tcp_reused_ports import _written

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
    # these connections carries one exchange at most).
    answered = {stream[p.index] for p in trace.packets if _field(p, "tcp.flags") == "0x0012"}
    assert sorted(s for (s,) in seen.values()) == sorted(answered)
