"""A targeted live capture keeps only the lab's own connections (issue 16,
item 5): another program calling the same server during the run, with its
own credentials, must not appear in the trace as the learner's exchanges."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from labs.catalog.http_api.server import ApiServer
from labs.registry import get, run_lab

TOKEN = "OTHER-PROGRAMS-TOKEN"
NOISE = (
    "import sys, time, urllib.request\n"
    "url, token = sys.argv[1], sys.argv[2]\n"
    "end = time.time() + 30\n"
    "while time.time() < end:\n"
    "    req = urllib.request.Request(url, headers={'Authorization': 'Bearer ' + token})\n"
    "    try:\n"
    "        urllib.request.urlopen(req, timeout=2).read()\n"
    "    except Exception:\n"
    "        pass\n"
    "    print('.', flush=True)\n"
)


@pytest.mark.needs_root
def test_other_clients_of_the_target_stay_out(monkeypatch):
    monkeypatch.setenv("TUTOR_CAPTURE", "live")
    with ApiServer() as api:
        noise = subprocess.Popen(
            [sys.executable, "-c", NOISE, api.url("/orders"), TOKEN],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert noise.stdout is not None
            noise.stdout.readline()  # it is calling the server
            request = get("http-api").request(target=api.url("/orders"))
            started = time.monotonic()
            trace = run_lab(request)
            took = time.monotonic() - started
        finally:
            noise.kill()
            noise.wait(5)
    assert trace.capture == "live"
    wire = trace.wire_packets()
    assert all(TOKEN.encode() not in p.data for p in trace.packets)
    assert all(TOKEN not in s.body for s in trace.sections)
    syns = [p for p in wire if p.summary.startswith("TCP SYN") and "ACK" not in p.summary]
    clients = {p.src for p in syns}
    # the lab makes one call: one connection, its 4-ish steps, nothing else
    assert len(clients) == 1, (clients, took)
    assert {p.src for p in wire} <= clients | {p.dst for p in syns}
    assert "other programs made to the same port" in trace.capture_note


SERVER = (
    "import socket, sys, time\n"
    "s = socket.create_server(('198.51.100.2', 8080)); s.settimeout(30)\n"
    "print('ready', flush=True)\n"
    "c, _ = s.accept(); c.recv(100); c.sendall(b'hi\\n'); time.sleep(0.3); c.close()\n"
)


@pytest.mark.needs_root
def test_tcp_handshake_to_a_host_beyond_loopback_reads_ethernet(tmp_path):
    """Issue 16, item 6: a target that is not this machine is captured on an
    Ethernet interface; the lab must read its handshake from that framing.
    The far host is a namespace of our own (198.51.100.0/24, documentation
    addresses), joined to another by a veth: nothing leaves this machine."""
    import os
    import secrets

    tag = f"tutor-{os.getpid()}-{secrets.token_hex(3)}"
    a, b = f"{tag}-a", f"{tag}-b"
    server = None
    try:
        for ns in (a, b):
            subprocess.run(["ip", "netns", "add", ns], check=True)
        subprocess.run(
            ["ip", "link", "add", "name", "va", "netns", a, "type", "veth"]
            + ["peer", "name", "vb", "netns", b],
            check=True,
        )
        for ns, dev, addr in ((a, "va", "198.51.100.1/24"), (b, "vb", "198.51.100.2/24")):
            subprocess.run(["ip", "-n", ns, "addr", "add", addr, "dev", dev], check=True)
            subprocess.run(["ip", "-n", ns, "link", "set", dev, "up"], check=True)
            subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)
        server = subprocess.Popen(
            ["ip", "netns", "exec", b, sys.executable, "-c", SERVER],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert server.stdout is not None and server.stdout.readline().strip() == "ready"
        proc = subprocess.run(
            ["ip", "netns", "exec", a, sys.executable, "-m", "tutor", "lab", "run"]
            + ["tcp-handshake", "--target", "198.51.100.2:8080", "--json", "--timeout", "5"],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "TUTOR_CAPTURE": "live", "TUTOR_HOME": str(tmp_path)},
        )
        assert proc.returncode == 0, proc.stderr
        from labs.model.trace import loads

        trace = loads(proc.stdout)
        assert trace.link == "ethernet" and trace.capture == "live"
        assert [s.name for s in trace.steps][:1] == ["tcp-connect"]
        assert trace.fact("handshake_packets").value == "3"
    finally:
        if server is not None:
            server.kill()
            server.wait(5)
        for ns in (a, b):
            subprocess.run(["ip", "netns", "del", ns], check=False)
