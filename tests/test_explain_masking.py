"""`tutor explain FILE --json` masks secrets by default, as `tutor lab run
--json` does (issue 16 item 7): an HTTP Authorization value and an FTP
password are absent from the output (values, sentences, packet bytes) and
shown again with --show-secrets. The streamed JSON, in one process or two,
is `write_json(masked(explain_file(F)))` byte for byte."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from scapy.layers.inet import IP, TCP

from labs.core.base import RawPacket
from labs.files import explain
from labs.files.explain import explain_file, write_explain_json
from labs.files.pcapio import write_pcap
from labs.files.tracejson import write_json
from labs.model.trace import MASK, loads, masked

ROOT = Path(__file__).parent.parent
TOKEN = "tok-9f8e7d6c5b4a"
PASSWORD = "hunter2-Secret"


def _conversation(cport: int, sport: int, lines: list[tuple[bool, bytes]]) -> list[bytes]:
    """A handshake, then `lines` (from the client?, payload), each acknowledged."""
    seq = {True: 1000, False: 5000}
    out = [
        bytes(IP() / TCP(sport=cport, dport=sport, flags="S", seq=999)),
        bytes(IP() / TCP(sport=sport, dport=cport, flags="SA", seq=4999, ack=1000)),
        bytes(IP() / TCP(sport=cport, dport=sport, flags="A", seq=1000, ack=5000)),
    ]
    for from_client, data in lines:
        a, b = (cport, sport) if from_client else (sport, cport)
        s, r = seq[from_client], seq[not from_client]
        out.append(bytes(IP() / TCP(sport=a, dport=b, flags="PA", seq=s, ack=r) / data))
        seq[from_client] += len(data)
    return out


@pytest.fixture(scope="module")
def capture(tmp_path_factory) -> Path:
    http = _conversation(
        41000,
        80,
        [
            (
                True,
                b"GET /private HTTP/1.1\r\nHost: shop.example\r\n"
                b"Authorization: Bearer " + TOKEN.encode() + b"\r\n\r\n",
            ),
            (False, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
        ],
    )
    ftp = _conversation(
        41001,
        21,
        [
            (False, b"220 ready\r\n"),
            (True, b"USER learner\r\n"),
            (False, b"331 password please\r\n"),
            (True, b"PASS " + PASSWORD.encode() + b"\r\n"),
            (False, b"230 logged in\r\n"),
        ],
    )
    path = tmp_path_factory.mktemp("secrets") / "secrets.pcap"
    write_pcap([RawPacket(1_700_000_000 + i / 100, d) for i, d in enumerate(http + ftp)], path)
    return path


def _explain(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tutor", "explain", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "TUTOR_HOME": str(ROOT / "build" / "no-home")},
    )


def test_json_masks_secrets_unless_asked(capture):
    hidden = _explain(str(capture), "--json")
    assert hidden.returncode == 0, hidden.stderr
    for secret in (TOKEN, PASSWORD):
        assert secret not in hidden.stdout
        assert secret.encode().hex() not in hidden.stdout  # nor in the packets' bytes
    trace = loads(hidden.stdout)
    flagged = [f for p in trace.packets for layer in p.layers for f in layer.fields if f.secret]
    assert {f.name.lower() for f in flagged} >= {"authorization"}
    assert any(f.filter and f.filter.startswith("ftp") for f in flagged)
    assert all(MASK in f.value for f in flagged)  # still marked secret, value replaced
    assert any(f.value == f"Bearer {MASK}" for f in flagged)

    shown = _explain(str(capture), "--json", "--show-secrets")
    assert shown.returncode == 0, shown.stderr
    assert TOKEN in shown.stdout and PASSWORD in shown.stdout
    assert json.loads(shown.stdout)["packets"]


def test_filtered_json_masks_too(capture):
    hidden = _explain(str(capture), "--json", "--filter", "tcp.port == 21")
    assert hidden.returncode == 0, hidden.stderr
    assert PASSWORD not in hidden.stdout and MASK in hidden.stdout
    shown = _explain(str(capture), "--json", "--filter", "tcp.port == 21", "--show-secrets")
    assert PASSWORD in shown.stdout


@pytest.mark.parametrize("parallel", [False, True], ids=["serial", "parallel"])
def test_streamed_masking_is_masked_trace(capture, parallel, monkeypatch):
    monkeypatch.setattr(explain, "_can_fork", lambda: parallel)
    out = io.StringIO()
    write_explain_json(capture, out, parallel_from=1 if parallel else 10**9, mask=True)
    expected = io.StringIO()
    write_json(masked(explain_file(capture)), expected)
    assert out.getvalue() == expected.getvalue()
    plain = io.StringIO()
    write_explain_json(capture, plain, parallel_from=1 if parallel else 10**9)
    expected = io.StringIO()
    write_json(explain_file(capture), expected)
    assert plain.getvalue() == expected.getvalue() != out.getvalue()
