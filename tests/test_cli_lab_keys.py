"""`tutor lab run tls --pcap F` also saves the session keys as F.keys, and
with them Wireshark reads the HTTP inside the learner's own capture."""

from __future__ import annotations

import shutil
import subprocess

from tutor.cli import main


def test_tls_pcap_comes_with_the_keys_that_decrypt_it(tmp_path, capsys):
    pcap = tmp_path / "tls.pcap"
    assert main(["lab", "run", "tls", "--pcap", str(pcap)]) == 0
    keys = tmp_path / "tls.pcap.keys"
    assert "CLIENT_TRAFFIC_SECRET_0" in keys.read_text() or "CLIENT_RANDOM" in keys.read_text()
    if shutil.which("tshark") is None:
        return
    port = subprocess.run(
        ["tshark", "-r", str(pcap), "-T", "fields", "-e", "tcp.dstport", "-c", "1"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    shown = subprocess.run(
        [
            "tshark",
            "-r",
            str(pcap),
            "-o",
            f"tls.keylog_file:{keys}",
            "-d",
            f"tcp.port=={port},tls",
            "-Y",
            "http.request",
            "-T",
            "fields",
            "-e",
            "http.request.method",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert shown == ["GET"]


def test_other_labs_write_no_keys(tmp_path, capsys):
    pcap = tmp_path / "tcp.pcap"
    assert main(["lab", "run", "tcp-handshake", "--pcap", str(pcap)]) == 0
    assert not (tmp_path / "tcp.pcap.keys").exists()


def test_simulated_runs_refuse_pcap_before_running(tmp_path, capsys):
    assert main(["lab", "run", "traceroute", "--simulate", "--pcap", str(tmp_path / "s.pcap")]) == 2
    err = capsys.readouterr().err
    assert "simulated version sends nothing" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "s.pcap").exists()
