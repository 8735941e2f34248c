"""The http-api lab end to end against real local servers: the embedded API
scenario, a live target with redirects, and https (cancelling: test_lab_cancel.py);
reconstructed for any user and captured live as root."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from labs.catalog.http_api.server import API_KEY, ApiServer
from labs.dissect.narrate import field_map
from labs.registry import get, run_lab
from labs.spec import LabRequest

sys.path.insert(0, str(Path(__file__).parent))
from testserver import https_server  # noqa: E402

#: FACTS.md: what the embedded scenario must prove, and the values.
FACTS = {
    "packets_to_connect": ("3", "tcp.flags"),
    "status_without_key": ("401", "http.response.code"),
    "status_created": ("201", "http.response.code"),
    "status_rate_limited": ("429", "http.response.code"),
    "status_revalidated": ("304", "http.response.code"),
    "user_agent_set_by": ("requests", "http.user_agent"),
}
SCENARIO_CODES = ["401", "200", "201", "200", "304", "301", "200", "404", "200", "429"]


def request(target: str | None = None, **given) -> LabRequest:
    return get("http-api").request(target=target, given=given)


def values(packets, name: str) -> list[str]:
    return [field_map(p.layers)[name].value for p in packets if name in field_map(p.layers)]


def flag_bits(p) -> int:
    return int(field_map(p.layers)["tcp.flags"].value, 16)


def port_of(url: str) -> int:
    return int(url.split(":")[2].split("/")[0])


class Noise:
    """Unrelated traffic on another port for the whole run: none of it may appear."""

    def __init__(self) -> None:
        self.api = ApiServer().start()
        self.stop = threading.Event()
        self.made = 0
        self.thread = threading.Thread(target=self._run)
        self.thread.start()

    def _run(self) -> None:
        import requests

        while not self.stop.is_set():
            requests.get(self.api.url("/"), timeout=5)
            self.made += 1

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        self.api.stop()


def test_embedded_scenario(mode):
    noise = Noise()
    try:
        trace = run_lab(request())
    finally:
        noise.close()
    assert noise.made > 0
    assert trace.capture == mode and trace.lab == "http-api"
    port = port_of(trace.target)
    wire = trace.wire_packets()
    assert len(wire) == len(trace.packets) > 40
    for p in wire:
        assert str(port) in (p.src.rsplit(":", 1)[1], p.dst.rsplit(":", 1)[1]), p.summary
        assert str(noise.api.port) not in (p.src + p.dst)
    assert values(wire, "http.response.code") == SCENARIO_CODES
    assert values(wire, "http.request.method")[:3] == ["GET", "GET", "POST"]
    # Ten connections: each opened with SYN, SYN-ACK, ACK and closed with a FIN each way.
    syns = [p for p in wire if flag_bits(p) & 0x12 == 0x02]
    fins = [p for p in wire if flag_bits(p) & 0x01]
    assert len(syns) == 10 and len(fins) == 20
    assert [flag_bits(p) & 0x17 for p in wire[:3]] == [0x02, 0x12, 0x10]
    # Every fact of FACTS.md, with evidence that shows it.
    assert {f.name: f.value for f in trace.facts} == {k: v for k, (v, _) in FACTS.items()}
    for f in trace.facts:
        assert f.filter == FACTS[f.name][1] and f.packets
        evidence = [trace.packets[i] for i in f.packets]
        if f.filter == "http.response.code":
            assert values(evidence, f.filter) == [f.value]
    # The key is in the packets, marked secret so renderers mask it.
    secrets = [fl for p in wire for layer in p.layers for fl in layer.fields if fl.secret]
    assert any(API_KEY in fl.value for fl in secrets)
    titles = [s.title for s in trace.sections]
    assert titles[0] == "The exchanges, in order"
    assert titles[1].startswith("1. GET /orders -> 401") and titles[-1].startswith("The same")
    assert len(trace.sections) == 12
    created = trace.sections[3].body
    assert "Location: /orders/43" in created
    assert "added by requests because the body was given as JSON" in created
    assert "User-Agent: python-requests/" in created and "added by requests on its own" in created


def test_live_target_follows_redirects_hop_by_hop(mode):
    with ApiServer() as api:
        trace = run_lab(request(api.url("/v1/orders/42"), headers=[f"X-API-Key: {API_KEY}"]))
    assert values(trace.wire_packets(), "http.response.code") == ["301", "200"]
    assert [s.title for s in trace.sections[1:3]] == [
        "1. GET /v1/orders/42 -> 301 Moved Permanently",
        "2. GET /orders/42 -> 200 OK",
    ]
    assert "set by you" in trace.sections[1].body
    assert "follow the redirect to /orders/42" in trace.sections[2].body
    names = {f.name for f in trace.facts}
    assert names == {"packets_to_connect", "user_agent_set_by"}


def test_live_target_post_json_data(mode):
    with ApiServer() as api:
        trace = run_lab(
            request(
                api.url("/orders"),
                headers=[f"Authorization: Bearer {API_KEY}"],
                data='{"item": "cups", "quantity": 4}',
            )
        )
    assert values(trace.wire_packets(), "http.request.method") == ["POST"]
    assert values(trace.wire_packets(), "http.response.code") == ["201"]
    body = trace.sections[1].body
    assert "added by tutor because --data looked like JSON" in body
    assert "--data-raw" in trace.sections[-1].body


def test_https_wire_is_encrypted_and_the_inside_is_labelled(mode):
    with https_server() as url:
        target = url.replace("127.0.0.1", "localhost") + "/private/path?q=1"
        trace = run_lab(request(target, insecure=True, headers=["X-API-Key: k-secret-123"]))
    wire = trace.wire_packets()
    inside = [p for p in trace.packets if p.origin == "inside-tls"]
    assert wire and len(inside) == 2
    for p in wire:
        assert b"/private/path" not in p.data and b"k-secret-123" not in p.data
    assert values(inside, "http.request.uri") == ["/private/path?q=1"]
    assert values(inside, "http.response.code") == ["200"]
    assert "localhost" in values(wire, "tls.handshake.extensions_server_name")
    tunnel = trace.sections[0]
    assert tunnel.title.startswith("What the wire shows")
    assert "server name localhost" in tunnel.body and "not visible on the wire" in tunnel.body
    assert "inside TLS" in trace.sections[2].body
    # The server kept the connection open; the lab hung up itself rather
    # than wait out the capture's grace period.
    assert trace.duration < 1.5
