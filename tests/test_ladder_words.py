"""What a learner found in the ladder and the waterfall: labels that ended in
tshark's field names, labels cut while the width had room, a filtered ladder
that restarted its clock and swapped the hosts' sides, and a request row
reading "0 µs" with nothing to say what it measured."""

from __future__ import annotations

from pathlib import Path

from labs.api import filter_trace
from labs.model.trace import Trace, loads
from tutor import ladder, waterfall_text
from tutor.timetext import took

EXPLAIN = Path(__file__).parent / "data" / "golden" / "explain"


def golden(name: str) -> Trace:
    return loads((EXPLAIN / name).read_text(encoding="utf-8"))


def test_a_label_is_the_packets_summary_never_field_names():
    trace = golden("tcp-analysis.pcap.json")
    lad = ladder.ladder(trace)
    flagged = [p for p in trace.packets if p.summary.startswith("[TCP ")]
    assert flagged, "the capture has tshark's expert notes"
    for p, arr in zip(trace.packets, lad.arrows, strict=True):
        assert arr.label == p.summary
    text = "\n".join(ladder.text_lines(lad))
    for name in ("flags", "duplicate_ack", "window_update", "out_of_order"):
        assert name not in text


def test_labels_take_the_room_the_width_has():
    trace = golden("lossy-http.pcapng.json")
    longest = max(len(p.summary) for p in trace.packets)
    wide = ladder.brief_lines(trace, ladder.MAX_ARROWS, width=longest + 30)
    assert not any("…" in line for line in wide), wide
    narrow = ladder.brief_lines(trace, ladder.MAX_ARROWS, width=80)
    assert max(len(line) for line in narrow) <= 80
    # Cut only where the line is as long as the width lets it be.
    for line in narrow[1:]:
        if "…" in line:
            assert len(line) >= 80 - len(ladder.ladder(trace).hosts[-1]), line


def test_a_filtered_ladder_keeps_the_capture_times_and_the_sides():
    trace = golden("lossy-http.pcapng.json")
    whole = ladder.ladder(trace)
    part = filter_trace(trace, "tcp.analysis.flags")
    assert part.packets and part.packets[0].index > 0
    lad = ladder.ladder(part)
    assert lad.hosts == whole.hosts
    assert whole.hosts[0] == ladder.host(trace.packets[0].src)  # the client, left
    by_index = {arr.index: arr for arr in whole.arrows}
    for p, arr in zip(part.packets, lad.arrows, strict=True):
        assert arr.time == p.time  # as the packet list writes it
        assert (arr.src, arr.dst) == (by_index[p.index].src, by_index[p.index].dst)


def test_the_waterfall_says_what_the_request_row_measures():
    trace = golden("lossy-http.pcapng.json")
    lines = waterfall_text.block(trace)
    request = next(line for line in lines if line.lstrip().startswith("request  "))
    assert request.endswith("|  1 packet"), request
    assert not any(line.endswith("0 µs") for line in lines)
    assert any(line.startswith("  request: ") for line in lines)  # the legend
    last = took(trace.packets[-1].time)
    assert lines[0].endswith(f"; packets until {last})"), lines[0]
