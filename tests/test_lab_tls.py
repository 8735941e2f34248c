"""The tls lab end to end against real HTTPS servers on 127.0.0.1: the
embedded one (reconstructed and live), a second server given with --target
(trusted through SSL_CERT_FILE, untrusted, or looked at with --insecure), and
bad input. The servers and the lab's key-log file must be gone afterwards."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import tempfile
import threading

import pytest
from tshark_rows import tshark_rows

from labs.catalog.tls.run import INSIDE, parse_target
from labs.catalog.tls.server import https_server
from labs.core.hostport import free_port, port_is_closed
from labs.dissect.narrate import field_map
from labs.kit import KEYLOG_ENV
from labs.model.errors import BadInput, Cancelled, LabError
from labs.model.trace import Trace
from labs.registry import get, run_lab

OTHER = {"/status": {"service": "other", "ok": True}}


@pytest.fixture(autouse=True)
def no_learner_keylog(monkeypatch):
    monkeypatch.delenv(KEYLOG_ENV, raising=False)


def _keylogs() -> set[str]:
    """This process's key logs (named with its pid): another test process's
    runs (pytest -n 2) never count."""
    mine = f"tutor-tls-{os.getpid()}-*.keys"
    return set(glob.glob(os.path.join(tempfile.gettempdir(), mine)))


def _run(target: str | None = None, timeout: float = 5, **options) -> Trace:
    return run_lab(get("tls").request(target=target, timeout=timeout, given=options))


def _section(trace: Trace, title: str) -> str:
    return next(s.body for s in trace.sections if s.title.startswith(title))


def _port(trace: Trace) -> int:
    return int(trace.target.rsplit(":", 1)[1].rstrip(")"))


def _check_embedded(trace: Trace) -> None:
    assert {f.name: f.value for f in trace.facts} == {
        "sni_visible": "yes",
        "path_visible": "no",
        "first_tls_message": "ClientHello",
    }
    wire = trace.wire_packets()
    hello = next(p for p in wire if "tls.handshake.extensions_server_name" in field_map(p.layers))
    assert field_map(hello.layers)["tls.handshake.extensions_server_name"].value == "shop.example"
    assert trace.fact("sni_visible").packets == (hello.index,)
    # The path is never in clear on the wire; inside the tunnel it is.
    assert not any(b"/api/orders/42" in p.data for p in wire)
    inside = [p for p in trace.packets if p.origin == "inside-tls"]
    assert {p.conversation for p in inside} == {INSIDE}
    methods = [field_map(p.layers).get("http.request.method") for p in inside]
    assert [m.value for m in methods if m] == ["GET"]
    codes = [field_map(p.layers).get("http.response.code") for p in inside]
    assert [c.value for c in codes if c] == ["200"]
    assert [s.name for s in trace.steps] == [
        "tcp-connect",
        "tls",
        "request",
        "response",
        "close",
    ], [p.summary for p in trace.packets]
    request_step = next(s for s in trace.steps if s.name == "request")
    assert "plus 17 bytes of TLS 1.3" in request_step.explain
    visible = _section(trace, "Visible vs hidden")
    assert "server name (SNI)\tyes" in visible and "URL path and query\tno" in visible
    cert = _section(trace, "The server's certificate")
    assert "shop.example, localhost, 127.0.0.1" in cert and "Example Shop" in cert
    assert "encrypted records" in _section(trace, "Where the certificate came from")
    assert "CLIENT_TRAFFIC_SECRET_0" in _section(trace, "TLS key log")
    # The keys a saved pcap needs travel typed with the trace, not found by a section's title.
    assert trace.keylog.strip() == _section(trace, "TLS key log")
    assert port_is_closed("127.0.0.1", _port(trace))


def test_embedded_reconstructed(reconstructed):
    before = _keylogs()
    trace = _run()
    assert trace.capture == "reconstructed"
    _check_embedded(trace)
    assert _keylogs() <= before


@pytest.mark.needs_root
def test_embedded_live():
    trace = _run()
    assert trace.capture == "live"
    _check_embedded(trace)


def test_learners_keylog_file_is_used_and_named(reconstructed, monkeypatch, tmp_path):
    keys = tmp_path / "keys.log"
    monkeypatch.setenv(KEYLOG_ENV, str(keys))
    trace = _run()
    assert "CLIENT_TRAFFIC_SECRET_0" in keys.read_text()
    assert str(keys) in _section(trace, "Decrypt it yourself")
    assert not any(s.title == "TLS key log" for s in trace.sections)
    assert trace.keylog == ""  # the learner's file has them already


def test_target_trusted_through_ssl_cert_file(reconstructed, monkeypatch, tmp_path):
    with https_server(routes=OTHER, organization="Other Org", path="/status") as other:
        ca = tmp_path / "ca.pem"
        ca.write_bytes(other.ca_pem)
        monkeypatch.setenv("SSL_CERT_FILE", str(ca))
        trace = _run(target=f"https://localhost:{other.port}/status")
    assert trace.fact("sni_visible").value == "yes"
    assert trace.fact("path_visible").value == "no"
    assert '"service": "other"' in _section(trace, "Inside the encrypted tunnel")
    assert "Other Org" in _section(trace, "The server's certificate")
    assert "system's trusted authorities" in _section(trace, "Where the certificate came from")


def test_untrusted_target_says_use_insecure_and_insecure_works(reconstructed):
    with https_server(routes=OTHER, path="/status") as other:
        with pytest.raises(LabError, match="could not be verified.*--insecure") as info:
            _run(target=f"https://127.0.0.1:{other.port}/status")
        assert "\n" not in str(info.value)
        trace = _run(target=f"https://127.0.0.1:{other.port}/status", insecure=True)
    # An IP address is not a name: no SNI is sent.
    assert trace.fact("sni_visible").value == "no"
    assert "did not check it" in _section(trace, "Where the certificate came from")
    assert port_is_closed("127.0.0.1", other.port)


@pytest.mark.needs_root
def test_target_live(monkeypatch, tmp_path):
    with https_server(routes=OTHER, path="/status") as other:
        trace = _run(target=f"https://localhost:{other.port}/status", insecure=True)
    assert trace.capture == "live"
    assert trace.fact("sni_visible").value == "yes"
    assert trace.fact("first_tls_message").value == "ClientHello"


@pytest.mark.parametrize(
    "target, message",
    [
        ("http://127.0.0.1/", "speaks HTTPS, not http"),
        ("https://127.0.0.1:0x50/", "not a number from 1 to 65535"),
        ("https:///nohost", "names no host"),
    ],
)
def test_bad_urls_are_bad_input(target, message):
    with pytest.raises(BadInput, match=message):
        _run(target=target)


def test_parse_target_defaults():
    t = parse_target("shop.example")
    assert (t.host, t.port, t.path) == ("shop.example", 443, "/")
    assert parse_target("https://h.example:8443/a?b=1").path == "/a?b=1"


def test_refused_and_silent_servers_are_one_line(reconstructed):
    with pytest.raises(LabError, match="connection refused"):
        _run(target=f"https://127.0.0.1:{free_port()}/")
    with socket.socket() as silent:  # accepts (backlog) but never answers the ClientHello
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        with pytest.raises(LabError, match="0.5 s"):
            _run(target=f"https://127.0.0.1:{silent.getsockname()[1]}/", timeout=0.5)


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
@pytest.mark.parametrize(
    "capture", ["reconstructed", pytest.param("live", marks=pytest.mark.needs_root)]
)
def test_wireshark_reads_the_same_tls_fields(capture, tmp_path, monkeypatch):
    from labs.files.pcapio import write_pcap

    monkeypatch.setenv("TUTOR_CAPTURE", capture)
    trace = _run()
    assert trace.capture == capture
    pcap = tmp_path / "tls.pcap"
    assert write_pcap(trace, pcap) == len(trace.wire_packets())
    # TLS 1.3: Wireshark files an encrypted record's outer type as opaque_type.
    names = (
        "tls.handshake.extensions_server_name",
        "tls.handshake.type",
        "tls.record.length",
        "tls.record.content_type",
        "tls.record.opaque_type",
    )
    rows = tshark_rows(pcap, names, [f"tcp.port=={_port(trace)},tls"])
    wire = trace.wire_packets()
    assert len(rows) == len(wire)
    checked = 0
    for p, theirs in zip(wire, rows, strict=True):
        for name in names:
            ours = ",".join(f.value for layer in p.layers for f in layer.fields if f.filter == name)
            assert ours == theirs[name], (p.index, name)
            checked += bool(ours)
    assert "23" in {v for row in rows for v in row["tls.record.opaque_type"].split(",")}
    assert checked >= 6


def test_cancel_stops_the_lab_its_server_and_removes_the_key_log(reconstructed):
    cancel = threading.Event()
    before = _keylogs()

    def progress(message: str) -> None:
        if message.startswith("Requesting"):
            cancel.set()

    with pytest.raises(Cancelled):
        run_lab(get("tls").request(timeout=5), progress=progress, cancel=cancel)
    assert not [t.name for t in threading.enumerate() if t.name.startswith("tutor-https-")]
    assert _keylogs() <= before
