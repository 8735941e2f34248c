"""The http2 lab end to end against real servers on 127.0.0.1: its own (over
TLS and in clear, reconstructed and live), a second one with --target (Node's
http2 module, over TLS and h2c), bad input, cancel; every http2.* field
compared with tshark on the saved pcap (decrypted with the key log)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import trustme
from labrun import run
from tshark_compare import compare

from labs.api import save_capture
from labs.core.hostport import port_is_closed
from labs.kit import KEYLOG_ENV
from labs.model.errors import BadInput, Cancelled, LabError
from labs.model.trace import Trace

EMBEDDED_FACTS = {
    "h2_connections": "1",
    "h2_streams": "1, 3, 5",
    "first_frame": "SETTINGS",
    "second_headers_smaller": "yes",
    "window_update_from": "client",
    "goaway_sender": "client",
}
NODE_SERVER = """
const http2 = require('http2'); const fs = require('fs');
const answer = (req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({server: 'node', path: req.url}) + '\\n');
};
const tls = process.argv.length > 2;
const srv = tls
  ? http2.createSecureServer({key: fs.readFileSync(process.argv[2]),
                              cert: fs.readFileSync(process.argv[3]), allowHTTP1: true}, answer)
  : http2.createServer(answer);
srv.listen(0, '127.0.0.1', () => console.log(srv.address().port));
"""


@pytest.fixture(autouse=True)
def no_learner_keylog(monkeypatch):
    monkeypatch.delenv(KEYLOG_ENV, raising=False)


def _keylogs() -> set[str]:
    """This process's key logs (named with its pid): another test process's
    runs (pytest -n 2) never count."""
    mine = f"tutor-http2-{os.getpid()}-*.keys"
    return set(glob.glob(os.path.join(tempfile.gettempdir(), mine)))


def _port(trace: Trace) -> int:
    return int(trace.target.rsplit(":", 1)[1].rstrip(")"))


def _facts(trace: Trace) -> dict[str, str]:
    return {f.name: f.value for f in trace.facts}


def _threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("tutor-h2")]


@pytest.mark.parametrize("h2c", [False, True], ids=["tls", "h2c"])
def test_embedded(mode, h2c):
    before = _keylogs()
    trace = run("http2", h2c=h2c, timeout=5)
    assert trace.capture == mode
    want = dict(EMBEDDED_FACTS, **({} if h2c else {"alpn_choice": "h2"}))
    assert _facts(trace) == want
    titles = [s.title for s in trace.sections]
    assert titles[:4] == [
        "HTTP/1.1 and HTTP/2 side by side",
        "The first request's headers, decoded (HPACK)",
        "Why the second request's headers are smaller",
        "Flow control",
    ]
    steps = [s.name for s in trace.steps]
    for name in ("h1", "h2-requests", "h2-responses", "h2-flow", "h2-close"):
        assert name in steps
    # Over TLS the keys travel with the trace (for a saved pcap), never in a section.
    assert bool(trace.keylog) is not h2c
    assert all("CLIENT_TRAFFIC_SECRET" not in s.body for s in trace.sections)
    assert port_is_closed("127.0.0.1", _port(trace))
    assert not _threads()
    assert _keylogs() <= before


def _tshark_check(trace: Trace, tmp_path: Path, h2c: bool) -> int:
    pcap = tmp_path / "h2.pcap"
    count, keys = save_capture(trace, pcap)
    assert count == len(trace.wire_packets())
    port = _port(trace)
    if h2c:
        assert keys is None
        return compare(trace, pcap, ("http2.",), [f"tcp.port=={port},http2"])
    assert keys is not None and keys.stat().st_mode & 0o777 == 0o600
    return compare(trace, pcap, ("http2.",), [f"tcp.port=={port},tls"], keys, inside=True)


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
@pytest.mark.parametrize("h2c", [False, True], ids=["tls", "h2c"])
def test_wireshark_reads_the_same_http2_fields(mode, h2c, tmp_path):
    trace = run("http2", h2c=h2c, timeout=5)
    assert _tshark_check(trace, tmp_path, h2c) > 250


@pytest.fixture
def node_server(tmp_path) -> Iterator[Callable[[bool], tuple[int, Path | None]]]:
    """Start Node's own HTTP/2 server (over TLS with a certificate made now,
    or h2c); yields a starter returning (port, CA file); stops it after."""
    procs: list[subprocess.Popen[str]] = []

    def start(tls: bool) -> tuple[int, Path | None]:
        script = tmp_path / "server.js"
        script.write_text(NODE_SERVER)
        args = ["node", str(script)]
        ca_file = None
        if tls:
            ca = trustme.CA()
            leaf = ca.issue_cert("127.0.0.1", "localhost")
            leaf.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
            leaf.cert_chain_pems[0].write_to_path(str(tmp_path / "cert.pem"))
            ca_file = tmp_path / "ca.pem"
            ca.cert_pem.write_to_path(str(ca_file))
            args += [str(tmp_path / "key.pem"), str(tmp_path / "cert.pem")]
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        procs.append(proc)
        assert proc.stdout is not None
        return int(proc.stdout.readline()), ca_file

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=5)


needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")


@needs_node
@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
def test_target_node_h2c(mode, node_server, tmp_path):
    port, _ = node_server(False)
    trace = run("http2", target=f"http://127.0.0.1:{port}/api/x", timeout=5)
    facts = _facts(trace)
    assert facts["h2_connections"] == "1" and facts["h2_streams"] == "1, 3, 5"
    assert "alpn_choice" not in facts  # no TLS, no ALPN
    side = trace.sections[0].body
    # An h2c-only server answers an HTTP/1.1 request with HTTP/2 frames.
    assert "(no HTTP/1.1 answer)" in side
    assert _tshark_check(trace, tmp_path, h2c=True) > 100


@needs_node
@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
def test_target_node_tls(mode, node_server, tmp_path, monkeypatch):
    port, ca_file = node_server(True)
    url = f"https://127.0.0.1:{port}/api/x"
    with pytest.raises(LabError, match="--insecure"):
        run("http2", target=url, timeout=5)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    trace = run("http2", target=url, timeout=5)
    assert _facts(trace)["alpn_choice"] == "h2"
    assert "200, 200, 200" in trace.sections[0].body
    assert _tshark_check(trace, tmp_path, h2c=False) > 100
    monkeypatch.delenv("SSL_CERT_FILE")
    assert _facts(run("http2", target=url, timeout=5, insecure=True))["alpn_choice"] == "h2"


def test_learners_keylog_file_gets_the_keys(reconstructed, monkeypatch, tmp_path):
    mine = tmp_path / "keys.log"
    monkeypatch.setenv(KEYLOG_ENV, str(mine))
    trace = run("http2", timeout=5)
    assert trace.keylog == ""  # the learner's own file has them
    assert "CLIENT_HANDSHAKE_TRAFFIC_SECRET" in mine.read_text()


@pytest.mark.parametrize(
    ("target", "options", "message"),
    [
        ("ftp://127.0.0.1/", {}, "speaks HTTP/2, not ftp"),
        ("https://127.0.0.1:99999/", {}, "1 to 65535"),
        ("https://127.0.0.1/", {"h2c": True}, "--h2c asks for HTTP/2 in clear"),
        ("http:// spaces", {}, "not a URL"),
    ],
)
def test_bad_input_is_one_line(target, options, message):
    with pytest.raises(BadInput, match=message) as info:
        run("http2", target=target, **options)
    assert "\n" not in str(info.value)


def test_refused_and_silent_servers_are_one_line(reconstructed):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with pytest.raises(LabError, match="refused"):
        run("http2", target=f"http://127.0.0.1:{port}/", timeout=2)
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        with pytest.raises(LabError, match="0.5 s"):
            run("http2", target=f"https://127.0.0.1:{port}/", timeout=0.5)


def test_cancel_stops_the_lab_its_server_and_removes_the_key_log(reconstructed):
    cancel = threading.Event()
    before = _keylogs()

    def progress(message: str) -> None:
        if message.startswith("HTTP/2:"):
            cancel.set()

    with pytest.raises(Cancelled):
        run("http2", timeout=5, progress=progress, cancel=cancel)
    assert not _threads()
    assert _keylogs() <= before


def test_servers_that_speak_only_http1_are_one_line(reconstructed, monkeypatch, tmp_path):
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    from labs.catalog.tls.server import https_server

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), SimpleHTTPRequestHandler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        with pytest.raises(LabError, match="only HTTP/1.1"):
            run("http2", target=f"http://127.0.0.1:{httpd.server_address[1]}/", timeout=5)
    finally:
        httpd.shutdown()
        httpd.server_close()
    # The tls lab's server offers only http/1.1 in ALPN.
    with https_server() as server:
        with pytest.raises(LabError, match="did not choose HTTP/2: ALPN answered 'http/1.1'"):
            run("http2", target=f"https://127.0.0.1:{server.port}/", timeout=5, insecure=True)
