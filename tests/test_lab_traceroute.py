"""The traceroute lab, for real through namespace routers (root) and simulated
(TUTOR_SIMULATE=1): hops, ICMP types, routing tables and facts."""

from __future__ import annotations

import os

import pytest
from labrun import run

from labs.dissect.narrate import field_map
from labs.model.errors import BadInput
from labs.model.trace import Packet, Trace
from labs.netsim import netns

HOPS = ["192.0.2.1", "198.51.100.2", "203.0.113.10"]


def field(packet: Packet, name: str) -> str | None:
    found = field_map(packet.layers).get(name)  # the outermost field of that name
    return found.value if found else None


def answers(trace: Trace) -> list[Packet]:
    """Packets that come back to host A (not ARP)."""
    return [p for p in trace.packets if field(p, "ip.dst") == "192.0.2.10"]


def check_route(trace: Trace, final: tuple[str, str] | None) -> None:
    back = answers(trace)
    assert [field(p, "ip.src") for p in back] == HOPS
    assert [(field(p, "icmp.type"), field(p, "icmp.code")) for p in back[:2]] == [("11", "0")] * 2
    if final is not None:
        assert (field(back[2], "icmp.type"), field(back[2], "icmp.code")) == final
    probes = [p for p in trace.packets if field(p, "ip.src") == "192.0.2.10"]
    assert [field(p, "ip.ttl") for p in probes[:3]] == ["1", "2", "3"]
    assert trace.fact("ttl1_responder").value == "router 1"
    assert trace.fact("hops").value == "3"
    tables = {s.title: s.body for s in trace.sections if s.kind == "table"}
    r2 = next(body for title, body in tables.items() if "router 2" in title)
    # router 2 has a default route and the connected /24: the /24 wins.
    chosen = [row for row in r2.splitlines() if "longest match" in row]
    assert chosen and chosen[0].startswith("203.0.113.0/24")
    arp = [p for p in trace.packets if field(p, "arp.opcode") is not None]
    assert [field(p, "arp.opcode") for p in arp] == ["1", "2"]
    assert trace.steps[0].name == "arp"


@pytest.mark.needs_root
@pytest.mark.parametrize(
    ("mode", "final"), [("udp", ("3", "3")), ("icmp", ("0", "0")), ("tcp", None)]
)
def test_live_traceroute_through_two_routers(mode, final):
    trace = run("traceroute", mode=mode)
    assert trace.capture == "live"
    check_route(trace, final)
    assert trace.fact("expiry_icmp_type").value == "11"
    hop_steps = [s for s in trace.steps if s.name.startswith("hop")]
    assert [s.title for s in hop_steps] == ["TTL 1: router 1", "TTL 2: router 2", "TTL 3: host B"]
    assert "ms later" in hop_steps[0].explain  # a real round-trip time
    if mode == "tcp":
        last = answers(trace)[2]
        assert int(field(last, "tcp.flags") or "0", 16) == 0x12  # SYN-ACK from host B's server
        assert "RST" in trace.packets[-1].summary  # host A's kernel refuses it
    assert not [n for n in netns.ours() if n.startswith(f"{netns.PREFIX}{os.getpid()}-")]


def test_simulated_traceroute_says_so_on_every_packet(monkeypatch):
    monkeypatch.setenv("TUTOR_SIMULATE", "1")
    before = netns.ours()
    trace = run("traceroute")
    assert netns.ours() == before  # nothing was built
    assert trace.capture == "simulated"
    assert trace.capture_note.startswith("SIMULATED: nothing was sent")
    assert all(p.explain.startswith("Built by the simulator") for p in trace.packets)
    check_route(trace, ("3", "3"))
    assert "not measured" in next(s.body for s in trace.sections if "traceroute prints" in s.title)


@pytest.mark.parametrize("mode", ["icmp", "tcp"])
def test_simulated_modes(mode):
    trace = run("traceroute", mode=mode, simulate=True)
    assert trace.capture == "simulated"
    assert [field(p, "ip.src") for p in answers(trace)] == HOPS


def test_unknown_mode_is_bad_input_before_anything_is_built():
    before = netns.ours()
    with pytest.raises(BadInput, match="--mode 'carrier-pigeon' is not one of udp, icmp, tcp"):
        run("traceroute", mode="carrier-pigeon")
    assert netns.ours() == before
