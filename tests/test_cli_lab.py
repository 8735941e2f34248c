"""`tutor lab list` and `tutor lab run`: output shapes, the pcap, secrets,
every bad input's one line and exit code, and Ctrl-C — against real local
servers and ports."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from labs.catalog.http_api.server import API_KEY, ApiServer
from tutor.cli import main

sys.path.insert(0, str(Path(__file__).parent))
from testserver import (  # noqa: E402
    binary,
    closed_port,
    http_server,
    https_server,
    huge,
    loop,
    silent_server,
)

TUTOR = [sys.executable, "-m", "tutor"]


@pytest.fixture
def unprivileged(monkeypatch):
    monkeypatch.setenv("TUTOR_CAPTURE", "reconstructed")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_lab_list(capsys, unprivileged):
    code, out, _ = run(capsys, "lab", "list")
    assert code == 0
    for lab in ("http-api", "tcp-handshake", "dns", "tls", "ftp", "traceroute", "gateway-nat"):
        assert lab in out
    flat = " ".join(out.split())
    assert "Here: reconstructed, it records the bytes" in flat
    assert "Why: TUTOR_CAPTURE=reconstructed" in flat
    code, out, _ = run(capsys, "lab", "list", "--json")
    labs = {lab["id"]: lab for lab in json.loads(out)}
    assert labs["http-api"]["version"] == "reconstructed" and labs["http-api"]["module"] == 6
    assert labs["traceroute"]["version"] in ("namespaces", "simulated")


@pytest.mark.parametrize(
    "capture", ["reconstructed", pytest.param("live", marks=pytest.mark.needs_root)]
)
def test_run_json_shape_and_pcap_read_by_tshark(tmp_path, capture):
    pcap = tmp_path / "api.pcap"
    env = {**os.environ, "TUTOR_CAPTURE": capture}
    proc = subprocess.run(
        [*TUTOR, "lab", "run", "http-api", "--json", "--pcap", str(pcap)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # no progress lines with --json
    trace = json.loads(proc.stdout)
    assert {"lab", "target", "capture", "steps", "packets", "facts", "sections"} <= trace.keys()
    assert trace["capture"] == capture and trace["capture_note"]
    step = trace["steps"][0]
    assert {"name", "packets", "explain"} <= step.keys() and step["name"] == "tcp-connect"
    packet = trace["packets"][0]
    assert {"index", "time", "src", "dst", "summary", "hex", "explain", "layers"} <= packet.keys()
    field = packet["layers"][0]["fields"][0]
    assert {"name", "filter", "value", "show", "offset", "length", "explain"} <= field.keys()
    assert pcap.read_bytes()[:4] == bytes.fromhex("d4c3b2a1")
    if shutil.which("tshark") is None:
        pytest.skip("tshark is not installed")
    port = trace["target"].split(":")[2].split("/")[0]
    codes = subprocess.run(
        [
            "tshark",
            "-r",
            str(pcap),
            "-d",
            f"tcp.port=={port},http",
            "-T",
            "fields",
            "-e",
            "http.response.code",
            "-Y",
            "http.response",
        ],  # fmt: skip
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.split()
    ours = [
        f["value"]
        for p in trace["packets"]
        for layer in p["layers"]
        for f in layer["fields"]
        if f["filter"] == "http.response.code"
    ]
    # Then three requests on one kept-alive connection.
    closing = ["401", "200", "201", "200", "304", "301", "200", "404", "200", "429"]
    assert codes == ours == [*closing, "200", "200", "200"]
    flags = subprocess.run(
        ["tshark", "-r", str(pcap), "-T", "fields", "-e", "tcp.flags"],
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.split()
    assert flags == [
        f["value"]
        for p in trace["packets"]
        for layer in p["layers"]
        for f in layer["fields"]
        if f["filter"] == "tcp.flags"
    ]


def test_text_masks_secrets_unless_asked(capsys, unprivileged):
    code, out, err = run(capsys, "lab", "run", "http-api")
    assert code == 0 and "Starting the lab's own orders API" in err
    assert API_KEY not in out and "X-API-Key: ••••" in out
    assert "--show-secrets reveals them" in out
    code, out, _ = run(capsys, "lab", "run", "http-api", "--show-secrets")
    assert code == 0 and f"X-API-Key: {API_KEY}" in out


def one_line_error(capsys, code_wanted: int, *argv: str) -> str:
    code, out, err = run(capsys, "lab", "run", "http-api", "--json", *argv)
    assert code == code_wanted, err
    assert out == "" and err.count("\n") == 1 and err.startswith("tutor: ")
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--target", "http://"], "names no host"),
        (["--target", "127.0.0.1:8080"], "has no scheme"),
        (["--target", "ftp://127.0.0.1/"], "speaks HTTP, not ftp"),
        (["--target", "http://127.0.0.1:99999/"], "not a number from 1 to 65535"),
        (["--target", "http://127.0.0.1:1/", "--header", "no colon"], "is not 'Name: value'"),
        (["--target", "http://127.0.0.1:1/", "--method", "GE T"], "is not an HTTP method"),
        (["--name", "example.com"], "does not take --name"),
        (["--timeout", "0"], "--timeout 0: give more than 0"),
        (["--pcap", "/no/such/dir/x.pcap"], "cannot write"),
    ],
)
def test_bad_usage_exit_2(capsys, unprivileged, argv, says):
    assert says in one_line_error(capsys, 2, *argv)


def test_unknown_lab_exit_2(capsys):
    code, _, err = run(capsys, "lab", "run", "no-such-lab")
    assert code == 2 and "no lab called 'no-such-lab'" in err


def test_connection_refused_exit_1(capsys, mode):
    err = one_line_error(capsys, 1, "--target", f"http://127.0.0.1:{closed_port()}/")
    assert "connection refused" in err


def test_timeout_exit_1(capsys, mode):
    with silent_server() as port:
        started = time.monotonic()
        err = one_line_error(capsys, 1, "--target", f"http://127.0.0.1:{port}/", "--timeout", "0.5")
    assert "sent no answer within 0.5 s" in err
    assert time.monotonic() - started < 5


def test_untrusted_certificate_exit_1_then_insecure_works(capsys, mode):
    with https_server() as url:
        err = one_line_error(capsys, 1, "--target", url + "/")
        assert "could not be verified" in err and "--insecure" in err
        code, out, _ = run(
            capsys, "lab", "run", "http-api", "--json", "--target", url + "/", "--insecure"
        )
    assert code == 0 and json.loads(out)["sections"]


def test_redirect_loop_exit_1(capsys, mode):
    with http_server(loop) as url:
        err = one_line_error(capsys, 1, "--target", url + "/a")
    assert "Redirect loop" in err


def test_huge_body_capped_memory_flat(capsys, mode):
    with http_server(huge) as url:
        tracemalloc.start()
        try:
            code, out, err = run(capsys, "lab", "run", "http-api", "--target", url + "/big")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert code == 0, err
    assert "the rest was not read" in out and "first 1024 KiB of the body" in out
    assert peak < 150 * 1024 * 1024  # the server announced 1 GiB


def test_binary_body_shown_as_hex(capsys, mode):
    with http_server(binary) as url:
        code, out, _ = run(capsys, "lab", "run", "http-api", "--target", url + "/file")
    assert code == 0
    assert "Binary (application/octet-stream), 4096 bytes" in out
    assert "0000  00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f" in out


def test_live_target_text_run(capsys, mode):
    with ApiServer() as api:
        code, out, _ = run(capsys, "lab", "run", "http-api", "--target", api.url("/orders"))
    assert code == 0 and "1. GET /orders -> 401 Unauthorized" in out


@pytest.mark.needs_root
@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare (util-linux)")
def test_unresolvable_host_exit_2(tmp_path):
    """A name that does not exist, asked of a DNS server on 127.0.0.1 that
    answers NXDOMAIN (resolv.conf swapped in a private mount namespace, so
    no query leaves this machine)."""
    import socket
    import threading

    from dnslib import RCODE, DNSRecord

    try:
        dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        dns.bind(("127.0.0.1", 53))
    except OSError:
        pytest.skip("port 53 on 127.0.0.1 is taken")
    stop = threading.Event()

    def answer() -> None:
        dns.settimeout(0.1)
        while not stop.is_set():
            try:
                data, addr = dns.recvfrom(4096)
            except TimeoutError:
                continue
            reply = DNSRecord.parse(data).reply()
            reply.header.rcode = RCODE.NXDOMAIN
            dns.sendto(reply.pack(), addr)

    thread = threading.Thread(target=answer)
    thread.start()
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
    try:
        proc = subprocess.run(
            [
                "unshare",
                "-m",
                "sh",
                "-c",
                f'mount --bind "{resolv}" /etc/resolv.conf && exec "$0" -m tutor lab run '
                "http-api --json --target http://no-such-host.example/",
                sys.executable,
            ],  # fmt: skip
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        stop.set()
        thread.join(5)
        dns.close()
    assert proc.returncode == 2, proc.stderr
    assert "Cannot find the address of 'no-such-host.example'" in proc.stderr
    assert proc.stderr.count("\n") == 1


def test_ctrl_c_mid_lab_stops_promptly():
    with silent_server() as port:
        proc = subprocess.Popen(
            [
                *TUTOR,
                "lab",
                "run",
                "http-api",
                "--target",
                f"http://127.0.0.1:{port}/",
                "--timeout",
                "30",
            ],  # fmt: skip
            stderr=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert proc.stderr is not None
            for line in proc.stderr:
                if line.strip().startswith("GET "):
                    break  # the request is out; the lab now waits for an answer
            sent = time.monotonic()
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=10)
            rest = proc.stderr.read()
        finally:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130
    assert time.monotonic() - sent < 5
    assert rest.strip().splitlines()[-1].startswith("tutor: stopped")
    assert "Traceback" not in rest


def test_password_in_url_never_printed(capsys, unprivileged):
    with ApiServer() as api:
        url = api.url("/orders").replace("http://", "http://bob:hunter2@")
        code, out, err = run(capsys, "lab", "run", "http-api", "--target", url)
    assert code == 0
    assert "hunter2" not in out + err and "http://bob:••••@127.0.0.1" in out
    assert "from the user name and password in the URL" in out


def test_lab_alone_lists_the_labs(capsys, unprivileged):
    """`tutor lab` was a usage error ("needs an action"), though its help
    line says it lists the labs: a new user's first try."""
    code, out, _ = run(capsys, "lab")
    assert code == 0 and out == run(capsys, "lab", "list")[1]
    assert "tcp-handshake" in out
