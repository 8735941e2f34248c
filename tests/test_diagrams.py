"""The timing waterfall (computed in labs, carried in the trace) and what the
app draws from a trace: the ladder as text, Mermaid and SVG (snapshots of a
stored run), the waterfall bars, and two runs compared in meaning
(`tutor diff`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest

from labs.model.trace import Trace, dumps, loads
from tutor import ladder, tracediff, waterfall_text

ROOT = Path(__file__).parent.parent
GOLDEN = ROOT / "tests" / "data" / "golden"
SNAPSHOTS = ROOT / "tests" / "data" / "diagrams"
TUTOR = [sys.executable, "-m", "tutor.cli"]


def golden(path: str) -> Trace:
    return loads((GOLDEN / path).read_text(encoding="utf-8"))


def snapshot(name: str, text: str) -> None:
    """Compare with the stored snapshot; UPDATE_GOLDEN=1 rewrites it."""
    path = SNAPSHOTS / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "path", sorted(str(p.relative_to(GOLDEN)) for p in GOLDEN.glob("**/trace.json"))
)
def test_every_stored_lab_run_has_a_waterfall_with_its_clock(path):
    trace = golden(path)
    assert trace.waterfall, path
    assert trace.clock
    for ph in trace.waterfall:
        assert 0 <= ph.start <= ph.end
        first = min(trace.packets[i].time for i in ph.packets) - trace.packets[0].time
        assert first == pytest.approx(ph.start, abs=2e-6)


def test_the_http_api_waterfall_times_each_phase_from_the_packets():
    trace = golden("http-api/default/trace.json")
    first = [ph for ph in trace.waterfall if ph.exchange == 0]
    assert [ph.name for ph in first] == ["connect", "request", "wait", "download"]
    assert first[0].label == "GET /orders"
    syn, synack = (trace.packets[i] for i in first[0].packets[:2])
    assert first[0].end - first[0].start == pytest.approx(synack.time - syn.time, abs=1e-6)
    assert "socket" in trace.clock  # reconstructed: said to be the socket's clock


def test_a_capture_file_gets_dns_and_https_phases():
    dns = golden("explain/dns.pcap.json")
    assert {ph.name for ph in dns.waterfall} == {"dns"}
    tls = golden("explain/tls.pcap.json")
    assert [ph.name for ph in tls.waterfall if ph.exchange == 0] == [
        "connect",
        "tls",
        "request",
        "wait",
        "download",
    ]
    assert tls.clock.startswith("Timestamps stored in the capture file")


def test_ladder_snapshots_text_mermaid_svg():
    trace = golden("tcp-handshake/default/trace.json")
    snapshot("tcp-handshake.txt", ladder.render_text(trace))
    snapshot("tcp-handshake.mmd", ladder.render_mermaid(trace))
    svg = ladder.render_svg(trace)
    snapshot("tcp-handshake.svg", svg)
    root = ET.fromstring(svg)
    arrows = [e for e in root.iter("{http://www.w3.org/2000/svg}line") if e.get("marker-end")]
    assert len(arrows) == len(trace.packets)


def test_ladder_columns_are_hosts_and_arrows_point_the_right_way():
    trace = golden("traceroute/default/trace.json")
    lad = ladder.ladder(trace)
    assert "192.0.2.10" in lad.hosts and "192.0.2.1" in lad.hosts
    lines = ladder.text_lines(lad)
    assert len(lines) == len(trace.packets) + 1
    for arrow, line in zip(lad.arrows, lines[1:], strict=True):
        if arrow.dst > arrow.src:
            assert ">" in line
        elif arrow.dst < arrow.src:
            assert "<" in line


def test_mermaid_keeps_out_what_breaks_it_and_masks_secrets():
    trace = golden("http-api/default/trace.json")
    text = ladder.render_mermaid(trace)
    body = [line for line in text.splitlines()[1:] if "->>" in line]
    assert len(body) == len(trace.packets)
    assert not any(";" in line or "#" in line for line in body)
    for secret in trace.secret_values():
        assert secret not in text


def test_waterfall_text_draws_bars_and_names_the_clock():
    trace = golden("slow-network/rtt-200-loss-5/trace.json")
    text = waterfall_text.render(trace)
    assert text.splitlines()[1].startswith("  Clock: Packet timestamps from the live capture")
    assert "connect  |" in text and "█" in text
    assert waterfall_text.render(replace(trace, waterfall=())) == ""


def test_a_run_compared_with_itself_or_renumbered_is_the_same():
    trace = golden("http-api/default/trace.json")
    assert tracediff.diff(trace, trace) == []
    # Another run: other ports and sequence numbers, other ids, same meaning.
    moved = loads(dumps(trace).replace(":43121", ":50000"))
    assert tracediff.diff(trace, moved) == []


def test_slow_and_fast_runs_differ_in_phase_times_and_facts():
    slow = golden("slow-network/rtt-200-loss-5/trace.json")
    fast = golden("slow-network/simulated/trace.json")
    lines = tracediff.diff(fast, slow)
    assert any(line.startswith("phase ") and " ms -> " in line for line in lines)
    # A fact is said in the learner's words, with its unit.
    assert "fact Round trip (SYN to SYN-ACK): 100 ms -> " in "\n".join(lines)
    assert any(line.startswith("tcp.analysis.") for line in lines)


def test_a_phase_that_took_no_time_is_said_in_words_not_as_a_ratio():
    trace = golden("slow-network/rtt-200-loss-5/trace.json")
    instant = replace(trace, waterfall=tuple(replace(ph, end=ph.start) for ph in trace.waterfall))
    lines = [line for line in tracediff.diff(trace, instant) if line.startswith("phase ")]
    assert lines and not any("0.0x" in line or "x)" in line for line in lines)
    assert all(
        line.endswith(" -> 0 µs (none in B: its packets share one timestamp)") for line in lines
    )
    back = [line for line in tracediff.diff(instant, trace) if line.startswith("phase ")]
    assert back and all("(none in A: its packets share one timestamp)" in line for line in back)


def test_tutor_diff_cli(tmp_path):
    a = GOLDEN / "slow-network" / "simulated" / "trace.json"
    b = GOLDEN / "slow-network" / "rtt-200-loss-5" / "trace.json"
    out = subprocess.run(
        [*TUTOR, "diff", str(a), str(b)], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert "fact Round trip (SYN to SYN-ACK)" in out.stdout
    js = subprocess.run(
        [*TUTOR, "diff", str(a), str(b), "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert isinstance(json.loads(js.stdout), list)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    out = subprocess.run(
        [*TUTOR, "diff", str(bad), str(b)], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 2
    assert len(out.stderr.strip().splitlines()) == 1


def test_explain_prints_the_waterfall_and_ladder_and_exports_the_diagram():
    pcap = "tests/data/pcaps/tls.pcap"
    text = subprocess.run(
        [*TUTOR, "explain", pcap, "--short"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert text.returncode == 0, text.stderr
    assert (
        "Timing waterfall" in text.stdout
        and "Clock: Timestamps stored in the capture file" in text.stdout
    )
    assert "Ladder diagram" not in text.stdout  # the summary fits a screen
    full = subprocess.run(
        [*TUTOR, "explain", pcap, "--full"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert "Ladder diagram" in full.stdout and "TLS Client Hello" in full.stdout
    mermaid = subprocess.run(
        [*TUTOR, "explain", pcap, "--diagram", "mermaid"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert mermaid.stdout.startswith("sequenceDiagram\n")
    svg = subprocess.run(
        [*TUTOR, "explain", pcap, "--diagram", "svg"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    ET.fromstring(svg.stdout)


def test_lab_run_exports_its_ladder():
    out = subprocess.run(
        [*TUTOR, "lab", "run", "slow-network", "--simulate", "--diagram", "mermaid"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("sequenceDiagram\n")
    assert "participant H0 as 192.0.2.10" in out.stdout
