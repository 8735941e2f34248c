"""Routing tables and longest-prefix match (`labs.netsim.routes`) and the simulator's
walk through the lab topologies (`labs.netsim.routing_sim`), without privileges."""

from __future__ import annotations

import pytest
from labrun import run

from labs.model.errors import BadInput
from labs.netsim import routes, routing_sim
from labs.netsim.topology import GATEWAY_NAT, TRACEROUTE, draw, draw_packet

# `ip -j route` output as the kernel printed it inside router 2.
R2_REAL = [
    {"dst": "default", "gateway": "198.51.100.1", "dev": "eth0", "flags": []},
    {"dst": "198.51.100.0/24", "dev": "eth0", "protocol": "kernel", "scope": "link",
     "prefsrc": "198.51.100.2", "flags": []},
    {"dst": "203.0.113.0/24", "dev": "eth1", "protocol": "kernel", "scope": "link",
     "prefsrc": "203.0.113.1", "flags": []},
]  # fmt: skip


def test_longest_prefix_wins_over_default():
    table = routes.parse(routes.read(R2_REAL))
    decision = routes.lookup(table, "203.0.113.10")
    assert decision.matches == (True, False, True)
    assert decision.chosen is table[2]
    assert decision.next_hop == "203.0.113.10"  # connected: deliver directly
    text = routes.explain("router 2", decision)
    assert "/24 is more specific than /0" in text
    assert text.startswith("Router 2 looks up 203.0.113.10")


def test_only_the_default_route_matches_elsewhere():
    decision = routes.lookup(routes.parse(routes.read(R2_REAL)), "192.0.2.10")
    assert decision.chosen is not None and decision.chosen.destination == "default"
    assert decision.next_hop == "198.51.100.1"


def test_more_specific_static_route_beats_a_shorter_one():
    table = routes.parse(
        (
            routes.RouteEntry("10.0.0.0/8", "eth0", "192.0.2.1"),
            routes.RouteEntry("10.1.0.0/16", "eth0", "192.0.2.2"),
            routes.RouteEntry("10.1.2.3", "eth0", "192.0.2.3"),
        )
    )
    assert routes.lookup(table, "10.1.2.3").next_hop == "192.0.2.3"  # a host route is /32
    assert routes.lookup(table, "10.1.9.9").next_hop == "192.0.2.2"
    assert routes.lookup(table, "10.200.0.1").next_hop == "192.0.2.1"
    assert routes.lookup(table, "192.168.0.1").chosen is None


def test_no_route_means_unreachable():
    server = routes.parse(routes.model(GATEWAY_NAT.node("server")))
    decision = routes.lookup(server, "192.168.1.23")
    assert decision.chosen is None
    assert "drops the packet" in routes.explain("the API server", decision)


def test_modelled_table_matches_the_kernel_shape():
    assert [
        (r.destination, r.via, r.dev) for r in routes.parse(routes.model(TRACEROUTE.node("r2")))
    ] == [(r.destination, r.via, r.dev) for r in routes.parse(routes.read(R2_REAL))]


def test_table_section_marks_the_choice():
    section = routes.table_section(
        "router 2", routes.parse(routes.read(R2_REAL)), "203.0.113.10", "test"
    )
    rows = [row.split("\t") for row in section.body.splitlines()]
    assert section.kind == "table" and len(rows) == 4
    assert [r[5] for r in rows[1:]] == ["", "", "<- longest match"]


def test_path_follows_the_tables_hop_by_hop():
    hops = routing_sim.path(TRACEROUTE, "a", "203.0.113.10")
    assert [h.node.role for h in hops] == ["a", "r1", "r2", "b"]
    assert [h.came_in.ip if h.came_in else None for h in hops] == [
        None,
        "192.0.2.1",
        "198.51.100.2",
        "203.0.113.10",
    ]
    assert hops[-1].decision is None  # arrived


@pytest.mark.parametrize("mode", ["udp", "icmp", "tcp"])
def test_simulated_traceroute_decrements_ttl_hop_by_hop(mode):
    from scapy.layers.inet import IP, IPerror
    from scapy.layers.l2 import Ether

    frames = [Ether(r.data) for r in routing_sim.traceroute(TRACEROUTE, "a", "203.0.113.10", mode)]
    answers = [f for f in frames if f.haslayer(IP) and f[IP].dst == "192.0.2.10"]
    assert [f[IP].src for f in answers] == ["192.0.2.1", "198.51.100.2", "203.0.113.10"]
    # Each ICMP error quotes the probe as it arrived: with TTL 1.
    assert [f[IPerror].ttl for f in answers[:2]] == [1, 1]
    # Answers cross the routers on the way back: TTL 64, 63, 62 when they reach host A.
    assert [f[IP].ttl for f in answers] == [64, 63, 62]


def test_simulated_nat_rewrites_source_and_conntrack_agrees():
    from scapy.layers.inet import IP, TCP
    from scapy.layers.l2 import Ether

    sim = routing_sim.gateway_nat(GATEWAY_NAT, "192.168.1.0/24")
    wan = [Ether(r.data) for r in sim.frames if "wan0" in r.interface]
    out = [f for f in wan if f.haslayer(TCP) and f[TCP].dport == 80]
    assert {f[IP].src for f in out} == {"203.0.113.2"}
    assert {f[TCP].sport for f in out} == {routing_sim.SIM_NAT_PORT}
    assert f"dport={routing_sim.SIM_NAT_PORT}" in sim.conntrack[0]
    assert "masquerade" in sim.ruleset


def test_drawing_marks_where_the_packet_is():
    picture = draw(TRACEROUTE, at="r2", note="here")
    lines = picture.splitlines()
    assert lines[0].split(" ---- ")[2].strip() == "router 2"
    marker, note = lines[-2:]
    assert marker.strip() == "^" and note.strip() == "here"
    assert marker.index("^") == note.index("here") == lines[0].index("router 2")
    assert lines[:-2] == draw(TRACEROUTE).splitlines()  # same layout wherever the packet is


def test_a_packet_is_drawn_at_the_node_that_sent_it():
    picture = draw_packet("gateway-nat", "203.0.113.2:40123", "203.0.113.80:80", "TCP SYN")
    assert picture is not None
    lines = picture.splitlines()
    assert lines[-1].strip() == "TCP SYN, to the API server"
    assert lines[-1].index("TCP") == lines[0].index("the gateway")
    assert draw_packet("dns", "127.0.0.1:5353", "127.0.0.1:53", "DNS query") is None


@pytest.mark.parametrize("lab", ["traceroute", "gateway-nat"])
def test_a_target_is_refused_before_anything_runs(lab):
    with pytest.raises(BadInput, match="takes no --target"):
        run(lab, target="203.0.113.7", simulate=True)
