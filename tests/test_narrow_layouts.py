"""What a learner on an 80-column terminal found cut or wrapped: the ladder
of a capture with many hosts (labels and host names cut at the right edge,
two hosts both written "95.211.92.…"), the conversations table 117 columns
wide, a followed stream naming packets from 0 while Wireshark counts from 1,
and the DNS walk wrapping "the resolver -> the zone's own" / "server" while
the Question column kept room for its one long name."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from labs.api import conversations, explain_file, follow_stream
from labs.model.trace import loads
from tutor import ladder
from tutor.streamtext import conversations_text, follow_text
from tutor.texttable import table
from tutor.widgets.fitted_table import column_widths

DATA = Path(__file__).parent / "data"
needs_tshark = pytest.mark.skipif(shutil.which("tshark") is None, reason="no tshark")


@needs_tshark
@pytest.mark.parametrize(
    "capture",
    ["programs/traceroute.pcapng", "thirdparty/gopacket-dns.pcap", "programs/ping.pcapng"],
)
def test_a_ladder_of_many_hosts_fits_80_columns_with_every_label_and_host(capture):
    trace = explain_file(DATA / capture)
    lad = ladder.ladder(trace)
    assert len(lad.hosts) >= 5
    lines = ladder.brief_lines(trace, ladder.MAX_ARROWS, width=80)
    assert max(len(line) for line in lines) <= 80, max(lines, key=len)
    # Every host is named whole somewhere above the arrows (the header or its key).
    above = "\n".join(lines[: len(lines) - len(lad.arrows)])
    for h in lad.hosts:
        assert h in above, h
    rows = lines[-len(lad.arrows) :]
    for arr, row in zip(lad.arrows, rows, strict=True):
        assert (">" if arr.dst > arr.src else "<" if arr.dst < arr.src else "*") in row, row
        if arr.label in row:
            continue
        # Cut visibly, with the packet's No. to find it whole in the packet list.
        assert row.endswith("…") and f"#{arr.index + 1} " in row, row
        assert arr.label.startswith(row.split(f"#{arr.index + 1} ", 1)[1][:-1]), row
    # Most labels whole: the lanes leave the labels the room.
    whole = sum(arr.label in row for arr, row in zip(lad.arrows, rows, strict=True))
    assert whole >= 0.9 * len(rows)


def test_mermaid_and_svg_number_packets_as_wireshark_does():
    trace = loads((DATA / "golden" / "tcp-handshake" / "default" / "trace.json").read_text())
    first = trace.packets[0]
    assert f": 1 {first.summary}" in ladder.render_mermaid(trace)
    svg = ladder.render_svg(trace)
    assert 'data-packet="1"' in svg and 'data-packet="0"' not in svg
    assert f"<title>No. 1: {first.summary}</title>" in svg


@needs_tshark
@pytest.mark.parametrize(
    "capture",
    ["programs/http-reassembly.pcapng", "programs/ftp6.pcapng", "thirdparty/gopacket-dns.pcap"],
)
def test_the_conversations_table_fits_80_columns_and_keeps_its_values(capture):
    found = conversations(explain_file(DATA / capture))
    text = conversations_text(found, width=80)
    assert max(len(line) for line in text.splitlines()) <= 80, text
    wide = conversations_text(found, width=200)
    for c in found:
        for value in (c.a, c.b, f"{c.start:.6f}", f"{c.duration:.4f}"):
            assert value in text and value in wide
        row = next(line for line in wide.splitlines() if c.a in line and c.b in line)
        # The counts under the endpoints read as the one-line table's.
        counts = row.split(c.b, 1)[1].split()
        assert " ".join(counts) in re.sub(r" +", " ", text), counts


@needs_tshark
def test_a_followed_stream_names_packets_by_wiresharks_number():
    path = DATA / "programs" / "http-reassembly.pcapng"
    trace = explain_file(path)
    text = follow_text(follow_stream(trace, "1")[0])
    said = re.search(r"← #(\d+)  server 192\.0\.2\.1:80 sent (\d+) bytes:", text)
    assert said is not None, text
    got = subprocess.run(
        ["tshark", "-r", str(path), "-Y", f"frame.number == {said[1]}", "-T", "fields"]
        + ["-e", "tcp.stream", "-e", "tcp.len"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert got == ["1", said[2]]


def walk() -> str:
    trace = loads((DATA / "golden" / "dns" / "recursive" / "trace.json").read_text())
    return next(s.body for s in trace.sections if s.kind == "table" and "whom" in s.title)


@pytest.mark.parametrize("width", [80, 100, 120])
def test_the_dns_walk_keeps_who_asks_whom_whole(width):
    body = walk()
    lines = table(body, width)
    assert max(len(line) for line in lines) <= width
    said = "\n".join(lines)
    for row in body.splitlines()[1:]:
        assert row.split("\t")[1] in said, row


def test_a_column_gives_way_to_one_it_would_wrap_mid_phrase():
    rows = [r.split("\t") for r in walk().splitlines()]
    rows = [[c for k, c in enumerate(r) if k != 3] for r in rows]  # "What came back" under
    widths = column_widths(rows, 68)
    assert sum(widths) <= 68
    assert widths[1] == max(len(r[1]) for r in rows), widths
