"""A lab trace can hold packets read inside TLS (origin "inside-tls"), which
never crossed the wire: Wireshark numbers only the frames of the saved pcap.
So every number shown for a wire packet is tshark's frame.number on the
lab's saved pcap, and a packet read inside TLS carries the number of the
wire packet before it with a letter ("#6a"), as Wireshark shows decrypted
data inside the frame that carried it. Checked on real runs of the tls lab
against tshark itself."""

from __future__ import annotations

import re
import shutil

import pytest
from tshark_rows import tshark_rows

from labs.core.display_filter import filter_trace
from labs.kit import KEYLOG_ENV
from labs.model.numbers import Numbering, letters
from labs.model.trace import Trace
from labs.registry import get, run_lab
from tutor.ladder import ladder, render_mermaid, render_svg
from tutor.ladder_aside import said
from tutor.steptext import packets_said, step_lines

pytestmark = pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")


@pytest.fixture(
    scope="module",
    params=["reconstructed", pytest.param("live", marks=pytest.mark.needs_root)],
)
def run(request, tmp_path_factory):
    """(the trace of one tls lab run, tshark's rows for its saved pcap)."""
    from labs.files.pcapio import write_pcap

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TUTOR_CAPTURE", request.param)
        mp.delenv(KEYLOG_ENV, raising=False)
        trace = run_lab(get("tls").request(target=None, timeout=5, given={}))
    pcap = tmp_path_factory.mktemp("tls") / "tls.pcap"
    write_pcap(trace, pcap)
    port = trace.target.rsplit(":", 1)[1].rstrip(")")
    rows = tshark_rows(pcap, ("frame.number", "tls.record.length"), [f"tcp.port=={port},tls"])
    return trace, rows


def _shown(trace: Trace) -> dict[int, str]:
    """Each packet's number as the ladder's Mermaid text writes it."""
    found = re.findall(r"->>H\d+: (\S+) ", render_mermaid(trace))
    return dict(zip((p.index for p in trace.packets), found, strict=True))


def test_wire_packets_have_tsharks_frame_numbers_and_inside_ones_a_letter(run):
    trace, rows = run
    wire = trace.wire_packets()
    assert len(rows) == len(wire) and len(wire) < len(trace.packets)
    shown = _shown(trace)
    frames = iter(row["frame.number"] for row in rows)
    before = "0"
    for p in trace.packets:
        if p.origin == "wire":
            before = next(frames)
            assert shown[p.index] == before, p.summary
        else:
            assert re.fullmatch(rf"{before}[a-z]+", shown[p.index]), (p.summary, shown[p.index])
    # The SVG's numbers and the narrow ladder's say the same.
    svg = re.findall(r'data-packet="([^"]+)"', render_svg(trace))
    assert svg == [shown[p.index] for p in trace.packets if p.src != p.dst]
    assert [said(a).split()[0] for a in ladder(trace).arrows] == [
        f"#{shown[p.index]}" for p in trace.packets
    ]


def test_the_labs_own_texts_name_packets_by_tsharks_numbers(run):
    trace, rows = run
    shown = _shown(trace)
    lengths = {row["frame.number"]: row["tls.record.length"].split(",") for row in rows}
    records = next(s.body for s in trace.sections if s.title.startswith("TLS records"))
    for line in records.splitlines()[1:]:
        number, *_cells, sizes = line.split("\t")
        assert sizes.split(", ") == lengths[number], line
    inside = next(s.body for s in trace.sections if s.title.startswith("Inside the encrypted"))
    named = re.findall(r"^\[(\w+)\] (.*)$", inside, re.M)
    assert named == [(shown[p.index], p.summary) for p in trace.packets if p.origin == "inside-tls"]
    request = next(s for s in trace.steps if s.name == "request").explain
    length, number = re.search(r"The (\d+)-byte record in packet (\d+) ", request).groups()
    assert length in lengths[number]


def test_steps_and_facts_say_the_numbers_shown(run):
    trace, _rows = run
    shown = _shown(trace)
    numbering = Numbering(trace.packets)
    text = "\n".join(step_lines(trace, 200))
    for step in trace.steps:
        said_here = packets_said(step.packets, numbering=numbering)
        assert said_here in text
        ends = re.findall(r"[\da-z]+", said_here.split(" ", 1)[1])
        assert ends[0] == shown[step.packets[0]] and ends[-1] == shown[step.packets[-1]]


def test_frame_number_filter_selects_the_frame_and_what_was_read_inside_it(run):
    trace, rows = run
    shown = _shown(trace)
    wire = trace.wire_packets()
    for row in rows:
        n = row["frame.number"]
        chosen = filter_trace(trace, f"frame.number == {n}").packets
        assert chosen[0] == wire[int(n) - 1]
        assert all(re.fullmatch(rf"{n}[a-z]*", shown[p.index]) for p in chosen)
    carried = next(p for p in trace.packets if p.origin == "inside-tls")
    frame = shown[carried.index].rstrip("abcdefghijklmnopqrstuvwxyz")
    assert carried in filter_trace(trace, f"frame.number == {frame}").packets


def test_letters_go_on_past_z():
    assert [letters(n) for n in (1, 2, 26, 27, 28, 52, 53)] == [
        "a",
        "b",
        "z",
        "aa",
        "ab",
        "az",
        "ba",
    ]
