"""The gateway-nat lab, for real through a masquerading namespace gateway
(root) and simulated: the packet before and after translation, the reply
translated back, the ARP for the gateway, conntrack and facts."""

from __future__ import annotations

import json

import pytest
from labrun import run

from labs.dissect.narrate import field_map
from labs.model.trace import Packet, Trace

LAPTOP, PUBLIC, SERVER = "192.168.1.23", "203.0.113.2", "203.0.113.80"


def field(packet: Packet, name: str) -> str | None:
    found = field_map(packet.layers).get(name)  # the outermost field of that name
    return found.value if found else None


def step(trace: Trace, name: str) -> tuple[Packet, ...]:
    found = next(s for s in trace.steps if s.name == name)
    return tuple(trace.packets[i] for i in found.packets)


def check_translation(trace: Trace) -> None:
    before, after = step(trace, "nat-out")
    assert before.interface.startswith("LAN side") and after.interface.startswith("Internet side")
    assert field(before, "ip.src") == LAPTOP
    assert field(after, "ip.src") == PUBLIC != field(before, "ip.src")
    assert field(before, "ip.dst") == field(after, "ip.dst") == SERVER
    assert field(before, "ip.id") == field(after, "ip.id")  # the same packet...
    assert field(before, "tcp.seq_raw") == field(after, "tcp.seq_raw")
    assert field(before, "ip.checksum") != field(after, "ip.checksum")  # ...rewritten
    assert field(before, "tcp.checksum") != field(after, "tcp.checksum")
    assert int(field(after, "ip.ttl")) == int(field(before, "ip.ttl")) - 1
    reply_in, reply_out = step(trace, "nat-in")
    assert field(reply_in, "ip.dst") == PUBLIC
    assert field(reply_out, "ip.dst") == LAPTOP
    assert field(reply_out, "tcp.dstport") == field(before, "tcp.srcport")
    assert field(reply_in, "tcp.dstport") == field(after, "tcp.srcport")
    arp = step(trace, "arp")
    assert [field(p, "arp.opcode") for p in arp] == ["1", "2"]
    assert field(arp[0], "arp.dst.proto_ipv4") == "192.168.1.1"
    assert trace.fact("server_sees").value == "gateway"
    assert trace.fact("arp_first").value == "yes"
    assert trace.fact("address_rewritten").value == "source"
    # What the API itself answered: the address it saw.
    response = next(
        p for p in trace.packets if "200" in p.summary and p.interface.startswith("LAN")
    )
    said = json.loads(response.data.split(b"\r\n\r\n", 1)[1])
    assert said["you_are"] == PUBLIC
    why = next(s.body for s in trace.sections if s.title.startswith("Why the API"))
    assert LAPTOP in why and PUBLIC in why and "RFC 1918" in why


@pytest.mark.needs_root
def test_live_nat_rewrites_the_source_and_translates_the_reply_back():
    trace = run("gateway-nat")
    assert trace.capture == "live"
    check_translation(trace)
    before, after = step(trace, "nat-out")
    entry = next(s for s in trace.sections if "connection-tracking entry (" in s.title)
    assert "nf_conntrack" in entry.title or "conntrack -L" in entry.title
    assert f"src={LAPTOP} dst={SERVER} sport={field(before, 'tcp.srcport')}" in entry.body
    assert f"dst={PUBLIC} sport=80 dport={field(after, 'tcp.srcport')}" in entry.body


def test_simulated_nat_walks_the_table_and_says_so(monkeypatch):
    monkeypatch.setenv("TUTOR_SIMULATE", "1")
    trace = run("gateway-nat")
    assert trace.capture == "simulated"
    assert "nothing was sent" in trace.capture_note
    assert all(p.explain.startswith("Built by the simulator") for p in trace.packets)
    check_translation(trace)
    walk = next(s.body for s in trace.sections if s.title == "The NAT table, step by step")
    assert "new connection" in walk and f"{PUBLIC}:" in walk
