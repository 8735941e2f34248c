"""gateway-nat's --mtu narrows the gateway's Internet side (wan0, and the
server's end of that cable): the run says so, not "between the routers",
which is the slow-network and traceroute labs' cable."""

from __future__ import annotations

import importlib

from labrun import run

RUN = importlib.import_module("labs.catalog.gateway_nat.run")


def test_the_mtu_is_said_where_the_code_puts_it():
    trace = run("gateway-nat", simulate=True, mtu="1280")
    assert "MTU 1280 on the gateway's Internet side" in trace.capture_note, trace.capture_note
    assert "between the routers" not in trace.capture_note


def test_the_narrow_cable_is_the_gateways_internet_side():
    assert ("gw", "wan0") in RUN.WHERE.narrow  # what the words below describe
    assert RUN.WHERE.cable.startswith("the gateway's Internet side")
