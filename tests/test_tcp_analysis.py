"""TCP analysis (labs.dissect.tcp_analysis) against tshark's: every
`tcp.analysis.*` flag of every packet, the duplicate-ACK counts and the
retransmission timeouts, on a capture of every case written with scapy and
on a capture of real loss (the Linux stack behind a queue that drops; see
tests/make_lossy_pcap.sh). tshark reads segments without reassembly, as
tutor does."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from labs.dissect.core import dissect_all
from labs.files.explain import explain_file
from labs.files.pcapio import read_capture

PCAPS = Path(__file__).parent / "data" / "pcaps"
TSHARK = shutil.which("tshark")

FLAGS = (
    "retransmission fast_retransmission spurious_retransmission out_of_order lost_segment "
    "ack_lost_segment duplicate_ack zero_window zero_window_probe zero_window_probe_ack "
    "window_full window_update keep_alive keep_alive_ack reused_ports"
).split()
VALUES = ("duplicate_ack_num", "duplicate_ack_frame", "rto_frame", "rto")
NAMES = [f"tcp.analysis.{n}" for n in (*FLAGS, *VALUES)]


def _tshark(path: Path) -> list[dict[str, str]]:
    assert TSHARK
    args = [TSHARK, "-r", str(path), "-o", "tcp.desegment_tcp_streams:FALSE", "-T", "fields"]
    args += ["-E", "occurrence=f"]
    for name in NAMES:
        args += ["-e", name]
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=60).stdout
    return [dict(zip(NAMES, line.split("\t"), strict=True)) for line in out.splitlines()]


def _ours(path: Path) -> list[dict[str, str]]:
    raws, _link = read_capture(path)
    rows = []
    for p in dissect_all(raws):
        row: dict[str, str] = {}
        for layer in p.layers:
            for f in layer.fields:
                if f.filter in NAMES and f.filter not in row:
                    # tshark -T fields prints a present flag (a field with no value) as 1.
                    row[f.filter] = f.value or "1"
        rows.append(row)
    return rows


@pytest.mark.skipif(TSHARK is None, reason="tshark is not installed")
@pytest.mark.parametrize("name", ["tcp-analysis.pcap", "lossy-http.pcapng"])
def test_every_analysis_flag_is_tsharks(name):
    theirs = _tshark(PCAPS / name)
    ours = _ours(PCAPS / name)
    assert len(ours) == len(theirs)
    wrong = []
    for number, (got, want) in enumerate(zip(ours, theirs, strict=True), 1):
        want = {k: v for k, v in want.items() if v}
        if "tcp.analysis.rto" in want:  # seconds: compare to the microsecond
            assert (
                abs(float(got.pop("tcp.analysis.rto", "nan")) - float(want.pop("tcp.analysis.rto")))
                < 1e-6
            )
        if got != want:
            wrong.append(f"frame {number}: tshark {want}, tutor {got}")
    assert not wrong, "\n".join(wrong)
    assert sum(bool(r) for r in ours) >= 20


def test_a_retransmission_backing_off_is_said_in_words():
    trace = explain_file(PCAPS / "tcp-analysis.pcap")
    copies = [p for p in trace.packets if p.summary.startswith("[TCP Retransmission]")][:5]
    assert len(copies) == 5
    assert "the same 648 bytes again, 0.2 s later" in copies[0].explain
    # 0.2 s, then 0.4 s, 0.8 s...: each wait twice the one before.
    for p in copies[1:]:
        assert "the wait doubled, which is TCP backing off" in p.explain
    assert "Retransmission" not in trace.packets[3].explain  # the first copy is not one


def test_bytes_sent_again_are_not_read_twice():
    """A retransmitted segment's payload is shown as bytes already carried,
    not as more of the message it repeats."""
    trace = explain_file(PCAPS / "tcp-analysis.pcap")
    resent = next(p for p in trace.packets if p.summary.startswith("[TCP Fast Retransmission]"))
    assert resent.layers[-1].name == "TCP payload"
    assert resent.field("tcp.payload") is not None


def test_flags_read_the_same_in_two_processes():
    import io

    from labs.files import explain
    from labs.files.explain import write_explain_json

    outs = []
    for parallel_from in (1, 10**9):
        out = io.StringIO()
        old = explain._can_fork
        explain._can_fork = lambda: True  # type: ignore[assignment]
        try:
            write_explain_json(PCAPS / "lossy-http.pcapng", out, parallel_from=parallel_from)
        finally:
            explain._can_fork = old  # type: ignore[assignment]
        outs.append(out.getvalue())
    assert outs[0] == outs[1]
    assert "tcp.analysis.fast_retransmission" in outs[0]


def test_what_went_wrong_lists_each_kind_with_its_packets():
    trace = explain_file(PCAPS / "lossy-http.pcapng")
    section = next(s for s in trace.sections if s.title == "What went wrong")
    rows = section.body.splitlines()
    assert section.kind == "table" and rows[0].startswith("Seen\t")
    flagged = {p.index for p in trace.packets if p.summary.startswith("[TCP Retransmission]")}
    retransmissions = next(
        r for r in rows if r.endswith("timer ran out") or "retransmissions\t" in r
    )
    assert retransmissions.startswith(f"{len(flagged)} retransmission")
    assert all(f"#{i + 1}" in retransmissions for i in sorted(flagged)[:8])  # frame numbers
    # A capture without trouble says so; one without TCP has no such section
    # unless something else went wrong (a DNS error, a long silence).
    calm = explain_file(PCAPS / "http.pcap")
    assert next(s for s in calm.sections if s.title == "What went wrong").body.startswith("Nothing")
    assert not [
        s for s in explain_file(PCAPS / "vlan-mld.pcap").sections if s.title == "What went wrong"
    ]


@pytest.mark.skipif(TSHARK is None, reason="tshark is not installed")
def test_dns_over_tcp_is_reassembled_as_tshark_does():
    """The answer spans three segments: tshark (reassembling) reads it in the
    last one, and so does tutor; the length prefix is dns.length, not the ID."""
    names = ["dns.length", "dns.id", "dns.count.answers", "dns.qry.name", "dns.txt"]
    assert TSHARK
    args = [TSHARK, "-r", str(PCAPS / "dns-tcp.pcap"), "-T", "fields", "-E", "occurrence=a"]
    args += ["-E", "aggregator=|"]
    for name in names:
        args += ["-e", name]
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=60).stdout
    theirs = [dict(zip(names, line.split("\t"), strict=True)) for line in out.splitlines()]
    raws, _link = read_capture(PCAPS / "dns-tcp.pcap")
    for p, want in zip(dissect_all(raws), theirs, strict=True):
        got = {n: "|".join(f.value for f in p.fields(n)) for n in names}
        assert got == want, p.index
    assert theirs[6]["dns.count.answers"] == "12"
