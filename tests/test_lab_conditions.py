"""Network conditions on the routing labs (traceroute, gateway-nat), for real
in their own namespaces (root): the same knobs as slow-network, applied on the
lab's router by the same mechanism, labelled, explained from what they did in
this run, and every field read agrees with tshark on the saved pcap. Nothing
is left behind, after a run and after a cancel."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import threading
from pathlib import Path

import pytest
from labrun import run
from tshark_rows import tshark_rows

from labs.api import save_capture
from labs.kit import load_recording
from labs.model.errors import BadInput, Cancelled
from labs.model.trace import Trace
from labs.netsim import netns

TRACEROUTE = importlib.import_module("labs.catalog.traceroute.run")
GATEWAY = importlib.import_module("labs.catalog.gateway_nat.run")
GOLDEN = Path(__file__).parent / "data" / "golden"
FLAGS = ("tcp.analysis.retransmission", "tcp.analysis.fast_retransmission",
         "tcp.analysis.duplicate_ack", "tcp.analysis.lost_segment")  # fmt: skip


def stored(lab: str, variant: str) -> Trace:
    """A live run stored as a recording (root made it), explained again here."""
    module = TRACEROUTE if lab == "traceroute" else GATEWAY
    trace: Trace = module.explain(
        load_recording(GOLDEN / lab / variant / "recording.json", module.RESULT)
    )
    return trace


def mine() -> list[str]:
    return [n for n in netns.ours() if n.startswith(f"{netns.PREFIX}{os.getpid()}-")]


def section(trace: Trace, title: str) -> str:
    return next(s.body for s in trace.sections if s.title == title)


def hop_rtts(trace: Trace) -> dict[int, float]:
    """Each answered hop's RTT as traceroute printed it (ms)."""
    report = section(trace, "The route, as traceroute prints it")
    found = re.findall(r"^\s*(\d+)\s+\S+\s+.*?([\d.]+) ms$", report, re.M)
    return {int(ttl): float(ms) for ttl, ms in found}


def mechanism_said(trace: Trace, said: str = "") -> None:
    """The trace and the screen (capture note, sections) name the mechanism:
    delay and loss by netem or (this kernel) the forwarder."""
    body = section(trace, "The conditions and how they were made")
    said = said or ("forwarder" if "forwarder" in body else "netem")
    assert said in body.splitlines()[1]  # "mechanism: ..."
    assert said in trace.capture_note


def pcap_of(trace: Trace, tmp_path: Path) -> Path:
    pcap = tmp_path / "run.pcap"
    save_capture(trace, pcap)
    return pcap


def rtts_agree_with_tshark(trace: Trace, tmp_path: Path) -> None:
    """Each hop's RTT is its probe and answer's own timestamps, as tshark reads them."""
    rtts = hop_rtts(trace)
    rows = tshark_rows(pcap_of(trace, tmp_path), ["frame.time_epoch", "ip.src", "ip.ttl"])
    for step in (s for s in trace.steps if s.name.startswith("hop") and len(s.packets) > 1):
        probe, answer = step.packets[:2]
        took = float(rows[answer]["frame.time_epoch"]) - float(rows[probe]["frame.time_epoch"])
        assert took * 1000 == pytest.approx(rtts[int(step.name.split()[1])], abs=0.002)
        assert rows[probe]["ip.ttl"] == step.name.split()[1]
        # tshark lists the quoted probe's ip.src after the answer's own
        assert rows[answer]["ip.src"].split(",")[0] == trace.packets[answer].field("ip.src").value


def flags_agree_with_tshark(trace: Trace, tmp_path: Path) -> None:
    pcap = pcap_of(trace, tmp_path)
    for flag in FLAGS:
        rows = tshark_rows(pcap, ["frame.number"], display_filter=flag)
        theirs = {int(r["frame.number"]) - 1 for r in rows}
        assert {p.index for p in trace.packets if p.field(flag) is not None} == theirs, flag


# -- traceroute ----------------------------------------------------------------


def test_stored_traceroute_at_50_ms_every_hop_took_the_delay_and_more(tmp_path):
    trace = stored("traceroute", "delay-50")
    rtts = hop_rtts(trace)
    assert sorted(rtts) == [1, 2, 3] and all(50 <= ms < 65 for ms in rtts.values()), rtts
    table = section(trace, "What the conditions did to each hop")
    assert [row.split("\t")[3] for row in table.splitlines()[1:]] == ["50 ms"] * 3
    mechanism_said(trace)
    rtts_agree_with_tshark(trace, tmp_path)


def test_stored_gateway_nat_with_loss_flags_what_tshark_flags(tmp_path):
    trace = stored("gateway-nat", "delay-50-loss-30")
    assert any(p.field("tcp.analysis.retransmission") for p in trace.packets)
    assert next(s for s in trace.steps if s.name == "lost").packets
    assert "tcp.analysis.retransmission" in section(trace, "What the conditions did")
    mechanism_said(trace)
    flags_agree_with_tshark(trace, tmp_path)


@pytest.mark.needs_root
def test_traceroute_with_delay_every_hop_grows_by_about_the_delay(tmp_path):
    base = hop_rtts(run("traceroute"))
    slow = run("traceroute", delay="50")
    grown = hop_rtts(slow)
    assert sorted(base) == sorted(grown) == [1, 2, 3]
    for ttl in base:
        # The forwarder holds every frame at least half the delay each way, so
        # 50 ms is a floor; above it only this machine's load adds (bounded loosely).
        assert grown[ttl] >= 50 and grown[ttl] - base[ttl] < 50 + 100, (ttl, base, grown)
    mechanism_said(slow)
    assert "grew by about the 50 ms" in section(slow, "What the conditions did")
    hop1 = next(s for s in slow.steps if s.name == "hop 1")
    assert "added delay" in hop1.explain
    rtts_agree_with_tshark(slow, tmp_path)
    assert mine() == []


@pytest.mark.needs_root
def test_traceroute_a_lost_probe_shows_a_star_and_says_why(monkeypatch):
    # Seed 1: the slow link's first draw (0.13) is under 50%: the TTL 1 probe,
    # the first frame through it that is not ARP, is dropped.
    monkeypatch.setattr(TRACEROUTE, "SEED", 1)
    trace = run("traceroute", loss="50")
    assert " 1  *" in section(trace, "The route, as traceroute prints it")
    hop1 = next(s for s in trace.steps if s.name == "hop 1")
    assert hop1.title == "TTL 1: *"
    assert "slow link dropped this probe" in hop1.explain
    assert "show `*`" in section(trace, "What the conditions did")
    mechanism_said(trace)
    assert mine() == []


def test_traceroute_conditions_are_checked_before_anything_is_built():
    before = netns.ours()
    with pytest.raises(BadInput, match="--loss 80: give 0 to 50 percent"):
        run("traceroute", loss="80")
    assert netns.ours() == before


def test_simulated_traceroute_says_the_conditions_need_namespaces():
    trace = run("traceroute", delay="50", simulate=True)
    assert trace.capture == "simulated"
    assert "the simulator does not apply them" in trace.capture_note


# -- gateway-nat ----------------------------------------------------------------


@pytest.mark.needs_root
def test_gateway_nat_with_loss_and_delay_retransmits_as_tshark_flags_it(monkeypatch, tmp_path):
    # Seed 7 at 30%: the SYN passes (0.32), the SYN-ACK is dropped (0.15), so
    # the laptop's SYN is sent again when its 1-second timer runs out.
    monkeypatch.setattr(GATEWAY, "SEED", 7)
    trace = run("gateway-nat", delay="50", loss="30")
    mechanism_said(trace)
    did = section(trace, "What the conditions did")
    assert "tcp.analysis.retransmission" in did
    lost = next(s for s in trace.steps if s.name == "lost")
    assert "sent again" in lost.explain
    # The SYN went out twice on the LAN side, the second flagged as tshark flags it.
    syns = [
        p for p in trace.packets if p.interface.startswith("LAN") and p.number("tcp.flags") == 0x02
    ]
    assert len(syns) >= 2 and syns[1].field("tcp.analysis.retransmission") is not None
    flags_agree_with_tshark(trace, tmp_path)
    # The gateway held the first packet about half the delay on its way out.
    nat_out = next(s for s in trace.steps if s.name == "nat-out")
    rows = tshark_rows(
        pcap_of(trace, tmp_path), ["frame.time_epoch", "ip.src", "ip.id", "tcp.seq_raw"]
    )
    before, after = (rows[i] for i in nat_out.packets)
    held = float(after["frame.time_epoch"]) - float(before["frame.time_epoch"])
    assert 0.025 <= held < 0.025 + 0.1  # at least half the delay; load may add
    assert before["ip.id"] == after["ip.id"] and before["tcp.seq_raw"] == after["tcp.seq_raw"]
    assert before["ip.src"] == "192.168.1.23" and after["ip.src"] == "203.0.113.2"
    assert mine() == []


@pytest.mark.needs_root
def test_gateway_nat_with_a_rate_and_mtu_says_what_they_did():
    trace = run("gateway-nat", rate="256", mtu="1280")
    mechanism_said(trace, "tbf")
    body = section(trace, "The conditions and how they were made")
    assert "tbf rate 256kbit" in body and "mtu 1280" in body
    did = section(trace, "What the conditions did")
    assert "256 kbit/s" in did and "at most 1280 bytes" in did
    assert mine() == []


# -- nothing left behind ---------------------------------------------------------


def _forwarders() -> set[int]:
    """This process's forwarders (an agent's command line names its parent),
    so another test process's runs never count."""
    mark = f"getppid\\(\\) == {os.getpid()} .*slow_agent import main"
    out = subprocess.run(["pgrep", "-f", mark], capture_output=True, text=True)
    return {int(p) for p in out.stdout.split()}


@pytest.mark.needs_root
@pytest.mark.parametrize(
    ("lab", "when", "options"),
    [("traceroute", "Sending", {"delay": "300"}), ("gateway-nat", "calls the API", {"loss": "20"})],
)
def test_cancel_with_conditions_leaves_no_namespace_and_no_forwarder(lab, when, options):
    before = _forwarders()
    cancel = threading.Event()
    seen: list[str] = []

    def progress(message: str) -> None:
        if message.startswith("Making the network"):
            seen.append(message)
        if when in message:
            cancel.set()

    with pytest.raises(Cancelled):
        run(lab, progress=progress, cancel=cancel, **options)
    assert seen  # the conditions were being made when it was cancelled
    assert mine() == []
    assert _forwarders() - before == set()
