"""`tutor explain` at the width the learner has, in the two parts that kept
their own: the timing waterfall (its legend and clock wrapped at 78, its bars
40 cells, so `COLUMNS=60 tutor explain x | cat` wrote 77-column lines) and the
`-v` field lines (`Options tcp.options = 02:04:…  [54+20]` at 109 columns
under COLUMNS=80).

Documented exceptions: a line holding one word alone (a hex string or a
name longer than the line gets a line of its own and is never cut: tshark's
value whole), a packet's heading of #N, time and two addresses longer than
the line (they stay together), and waterfall bars never narrower than 10 cells (below a width
of 34 their rows pass the edge)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from labs.files.explain import explain_file
from labs.model.trace import Trace
from tutor.cli import main
from tutor.tracetext import Heading, lines_of
from tutor.waterfall_text import block

DATA = Path(__file__).parent / "data"
CAPTURES = sorted((DATA / "pcaps").iterdir()) + sorted((DATA / "programs").glob("*.pcap*"))
LOSSY = DATA / "pcaps" / "lossy-http.pcapng"
#: Parts of the output written by other modules, with widths of their own
#: to fix there (tutor.steptext: a title's two-space gap is counted as one).
OTHERS = ("Steps",)
#: A packet's heading with no room for its summary: #N, its time and both
#: addresses stay on one line, where a learner scanning looks for #N.
ADDRESSES = re.compile(r"^  #\S+ +\+ *\S+ \S+  \S+ → \S+$")
#: A waterfall row: "   connect  |█      |     17 µs".
ROW = re.compile(r"^   \S+ +\|([ █]*)\|")


@cache
def trace_of(path: Path) -> Trace:
    return explain_file(str(path))


def parts(lines: list[str]) -> dict[str, list[str]]:
    """The output's lines by the heading of the part they are in ("" before the first)."""
    out: dict[str, list[str]] = {"": []}
    here = ""
    for entry in lines:
        if isinstance(entry, Heading):
            here = entry.split("\n")[0]
            out[here] = []
        out[here] += entry.split("\n")
    return out


def too_wide(lines: list[str], width: int) -> list[str]:
    """The lines past `width`, but for a word alone on its line, a heading's
    addresses and the OTHERS' parts."""
    return [
        line
        for title, part in parts(lines).items()
        if title not in OTHERS
        for line in part
        if len(line) > width and len(line.split()) > 1 and not ADDRESSES.match(line)
    ]


def waterfall(lines: list[str]) -> list[str]:
    return next(part for title, part in parts(lines).items() if title.startswith("Timing"))


def packets(lines: list[str]) -> list[str]:
    return parts(lines).get("Packets", [])


@pytest.mark.parametrize("width", [60, 80])
@pytest.mark.parametrize("capture", CAPTURES, ids=lambda p: p.name)
def test_every_line_fits_the_width(capture, width):
    trace = trace_of(capture)
    full = lines_of(trace, verbose=True, width=width)
    brief = lines_of(trace, full=False, width=width)
    assert too_wide(full, width) == []
    assert too_wide(brief, width) == []


def test_a_pipe_at_60_columns_fits_the_waterfall(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    assert main(["explain", str(LOSSY)]) == 0
    out = capsys.readouterr().out
    part = out.split("\nTiming waterfall", 1)[1].split("\n\n", 1)[0].splitlines()
    assert max(map(len, part)) <= 60
    assert any(line.startswith("  Clock: ") for line in part)
    assert any(line.startswith("  connect:  SYN to SYN-ACK") for line in part)
    bars = [m.group(1) for m in map(ROW.match, part) if m]
    # Narrower than the 40 cells of a wide screen, the rows filling the 60 columns.
    assert bars and {len(b) for b in bars} == {60 - len("   download |") - len("|    606 ms")}


@pytest.mark.parametrize("width", [60, 80])
def test_the_waterfall_says_all_it_said_wide(width):
    trace = trace_of(LOSSY)
    narrow, wide = (waterfall(lines_of(trace, width=w)) for w in (width, 1000))
    words = [w for line in narrow if not ROW.match(line) for w in line.split()]
    assert words == [w for line in wide if not ROW.match(line) for w in line.split()]
    # The same bars, drawn in fewer cells at 60 and as at 100 from 80 on.
    cells = {len(m.group(1)) for m in map(ROW.match, narrow) if m}
    assert cells == ({36} if width == 60 else {40})


def test_bars_are_never_narrower_than_ten_cells():
    lines = block(trace_of(LOSSY), width=20)
    cells = {len(m.group(1)) for m in map(ROW.match, lines) if m}
    assert cells == {10}


@pytest.mark.parametrize("width", [60, 80])
@pytest.mark.parametrize("name", ["lossy-http.pcapng", "dns-tcp.pcap", "tls.pcap"])
def test_field_lines_wrap_losing_nothing_and_splitting_no_name(name, width):
    trace = trace_of(DATA / "pcaps" / name)
    narrow, wide = (packets(lines_of(trace, verbose=True, width=w)) for w in (width, 10_000))
    assert [line for line in narrow if len(line) > width and len(line.split()) > 1] == []
    assert "".join("".join(narrow).split()) == "".join("".join(wide).split())
    words = [line.split() for line in narrow]
    for p in trace.packets:
        for layer in p.layers:
            for f in layer.fields:
                # A name that fits a line is on one; a filter name is never split
                # (copied into --filter, half a name is a wrong one).
                if len(f"        {f.name}") <= width:
                    assert any(f"        {f.name}" in line for line in narrow), f.name
                if f.filter:
                    assert any(f.filter in said for said in words), f.filter


def test_a_hex_string_too_long_for_the_line_gets_a_line_of_its_own():
    options = "02:04:05:b4:04:02:08:0a:2c:1f:2e:47:00:00:00:00:01:03:03:0a"
    for width in (60, 80):
        lines = packets(lines_of(trace_of(LOSSY), verbose=True, width=width))
        at = lines.index("        Options tcp.options =")
        # Whole, under a hanging indent, past the edge at 60 (tshark's value is not cut).
        assert lines[at + 1].startswith(f"          {options}")
        assert " ".join(lines[at + 1 : at + 3]).split()[1:] == ["(20", "bytes)", "[54+20]"]
