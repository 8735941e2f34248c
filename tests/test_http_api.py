"""The http-api lab end to end against real local servers: the embedded API
scenario, a live target with redirects, and https (cancelling: test_lab_cancel.py);
reconstructed for any user and captured live as root."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from labs.catalog.http_api.server import API_KEY, ApiServer
from labs.core.spec import LabRequest
from labs.dissect.narrate import field_map
from labs.registry import get, run_lab

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
    "keepalive_handshakes": ("1", "tcp.flags.syn"),
    "close_handshakes": ("10", "tcp.flags.syn"),
}
SCENARIO_CODES = ["401", "200", "201", "200", "304", "301", "200", "404", "200", "429"]
#: Then three requests on one kept-alive connection.
KEPT_CODES = ["200", "200", "200"]


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
    kept = trace.fact("keepalive_handshakes")
    assert kept is not None
    kept_port = port_of("http://" + trace.packets[kept.packets[0]].dst)
    wire = trace.wire_packets()
    assert len(wire) == len(trace.packets) > 40
    for p in wire:
        ends = (p.src.rsplit(":", 1)[1], p.dst.rsplit(":", 1)[1])
        assert str(port) in ends or str(kept_port) in ends, p.summary
        assert str(noise.api.port) not in (p.src + p.dst)
    closing = [p for p in wire if str(port) in (p.src + p.dst)]
    keeping = [p for p in wire if str(kept_port) in (p.src + p.dst)]
    assert values(closing, "http.response.code") == SCENARIO_CODES
    assert values(keeping, "http.response.code") == KEPT_CODES
    assert values(wire, "http.request.method")[:3] == ["GET", "GET", "POST"]
    # Ten connections: each opened with SYN, SYN-ACK, ACK and closed with a FIN each way.
    syns = [p for p in closing if flag_bits(p) & 0x12 == 0x02]
    fins = [p for p in closing if flag_bits(p) & 0x01]
    assert len(syns) == 10 and len(fins) == 20
    assert [flag_bits(p) & 0x17 for p in wire[:3]] == [0x02, 0x12, 0x10]
    # Kept alive: one handshake, three requests, keep-alive asked and answered, one close.
    assert len([p for p in keeping if flag_bits(p) & 0x12 == 0x02]) == 1
    assert len([p for p in keeping if flag_bits(p) & 0x01]) == 2
    assert set(values(keeping, "http.connection")) == {"keep-alive"}
    assert set(values(closing, "http.connection")) == {"keep-alive", "close"}
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
    # Its first column counts calls, not packets: "#" read as packet numbers.
    assert trace.sections[0].body.startswith("Call\tRequest\tStatus\tWhy\n1\t")
    assert titles[1].startswith("One connection per request, or one kept alive")
    assert titles[2] == "What keep-alive changes"
    assert titles[3].startswith("1. GET /orders -> 401") and titles[-1].startswith("The same")
    assert len(trace.sections) == 17
    changes = trace.sections[2].body
    assert "its 10 requests took 10 handshakes" in changes
    assert "its 3 requests travelled on 1 connection(s)" in changes
    created = trace.sections[5].body
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
    said: list[str] = []
    with ApiServer() as api:
        trace = run_lab(
            request(
                api.url("/orders"),
                headers=[f"Authorization: Bearer {API_KEY}"],
                data='{"item": "cups", "quantity": 4}',
            ),
            progress=said.append,
        )
    # An address needs no lookup: nothing may claim one.
    assert "127.0.0.1 is an address: no DNS lookup needed." in said
    assert not any(line.startswith("Looking up") for line in said)
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


def test_kept_alive_fields_equal_tsharks_on_the_saved_pcap(mode, tmp_path):
    import shutil
    import subprocess

    import pytest

    from labs.files.pcapio import write_pcap

    if shutil.which("tshark") is None:
        pytest.skip("tshark is not installed")
    trace = run_lab(request())
    kept = trace.fact("keepalive_handshakes")
    assert kept is not None and kept.value == "1"
    kept_port = port_of("http://" + trace.packets[kept.packets[0]].dst)
    path = tmp_path / "api.pcap"
    write_pcap(trace, path)
    names = ["tcp.srcport", "tcp.dstport", "tcp.flags.syn", "tcp.flags.fin", "http.connection",
             "http.request.method", "http.response.code"]  # fmt: skip
    rules = [f"tcp.port=={port_of(trace.target)},http", f"tcp.port=={kept_port},http"]
    args = ["tshark", "-r", str(path), "-T", "fields"]
    for rule in rules:
        args += ["-d", rule]
    for name in names:
        args += ["-e", name]
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=60).stdout
    rows = [dict(zip(names, line.split("\t"), strict=True)) for line in out.splitlines()]
    wire = trace.wire_packets()
    assert len(rows) == len(wire)
    tcp, http = names[:4], names[4:]
    for p, theirs in zip(wire, rows, strict=True):
        fields = field_map(p.layers)
        assert {n: fields[n].value if n in fields else "" for n in tcp} == {
            n: theirs[n] for n in tcp
        }, p.index
    # HTTP values in order (which segment of a message carries them depends on
    # reassembly, which tshark and the dissector may choose differently).
    for n in http:
        ours = [field_map(p.layers)[n].value for p in wire if n in field_map(p.layers)]
        assert ours == [r[n] for r in rows if r[n]], n
    assert values(wire, "http.connection").count("keep-alive") == 13 + 3  # every request asked
    # The times the section quotes are the packets' own.
    body = next(s.body for s in trace.sections if s.title == "What keep-alive changes")
    keeping = [p for p in wire if str(kept_port) in (p.src + p.dst)]
    syn = next(p for p in keeping if flag_bits(p) & 0x12 == 0x02)
    first = next(p for p in keeping if "http.response.code" in field_map(p.layers))
    assert f"came {(first.time - syn.time) * 1000:.1f} ms after its SYN (#{syn.index + 1})" in body
