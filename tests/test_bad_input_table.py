"""Bad input, as a careless user or an attacker types it (issue 16, item 8):
every row exits 2 with one line on stderr, no traceback, nothing on stdout,
and nothing written (the working directory stays empty, no pcap appears).

Every target is loopback or refused before any lookup: no row may reach
the network or the system resolver."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from tutor.cli import main

LONG_LABEL = "a" * 64
PCAP_HEAD = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)

#: (id, argv). FILES in an argv is replaced by a directory of prepared files.
CASES: list[tuple[str, list[str]]] = [
    # the command line itself
    ("unknown command", ["frob"]),
    ("unknown flag", ["lessons", "--frob"]),
    ("lab unknown action", ["lab", "frob"]),
    ("lab run without lab", ["lab", "run"]),
    ("unknown lab", ["lab", "run", "no-such-lab"]),
    ("lab id with slash", ["lab", "run", "../../etc/passwd"]),
    ("explain without file", ["explain"]),
    ("show unknown lesson", ["show", "no-such-lesson"]),
    ("doctor bad flag", ["doctor", "--frob"]),
    # --timeout
    ("timeout text", ["lab", "run", "http-api", "--timeout", "soon"]),
    ("timeout negative", ["lab", "run", "http-api", "--timeout", "-1"]),
    ("timeout zero", ["lab", "run", "http-api", "--timeout", "0"]),
    ("timeout nan", ["lab", "run", "http-api", "--timeout", "nan"]),
    ("timeout inf", ["lab", "run", "http-api", "--timeout", "inf"]),
    ("timeout huge", ["lab", "run", "http-api", "--timeout", "1e9"]),
    # --pcap
    ("pcap empty", ["lab", "run", "http-api", "--pcap", ""]),
    ("pcap blank", ["lab", "run", "http-api", "--pcap", "   "]),
    ("pcap directory", ["lab", "run", "http-api", "--pcap", "FILES"]),
    ("pcap trailing slash", ["lab", "run", "http-api", "--pcap", "FILES/new/"]),
    ("pcap missing dir", ["lab", "run", "http-api", "--pcap", "FILES/no/such/x.pcap"]),
    ("pcap unwritable dir", ["lab", "run", "http-api", "--pcap", "/proc/x.pcap"]),
    ("pcap of simulated", ["lab", "run", "traceroute", "--simulate", "--pcap", "FILES/s.pcap"]),
    # URL targets
    ("url empty", ["lab", "run", "http-api", "--target", ""]),
    ("url spaces", ["lab", "run", "http-api", "--target", "http://127.0.0.1 /x"]),
    ("url open bracket", ["lab", "run", "http-api", "--target", "http://[::1/"]),
    ("url bad ipv6", ["lab", "run", "http-api", "--target", "http://[::zz]:80/"]),
    ("url port zero", ["lab", "run", "http-api", "--target", "http://127.0.0.1:0/"]),
    ("url port big", ["lab", "run", "http-api", "--target", "http://127.0.0.1:99999/"]),
    ("url port text", ["lab", "run", "http-api", "--target", "http://127.0.0.1:http/"]),
    ("url no host", ["lab", "run", "http-api", "--target", "http:///path"]),
    ("url long label", ["lab", "run", "http-api", "--target", f"http://{LONG_LABEL}.invalid/"]),
    ("url long name", ["lab", "run", "http-api", "--target", "http://" + "a." * 130 + "x/"]),
    ("url wrong scheme", ["lab", "run", "http-api", "--target", "ftp://127.0.0.1/"]),
    ("url no scheme tls", ["lab", "run", "tls", "--target", "ftp://127.0.0.1:1/"]),
    ("ftp given http", ["lab", "run", "ftp", "--target", "http://127.0.0.1:21/"]),
    ("ftp port zero", ["lab", "run", "ftp", "--target", "ftp://127.0.0.1:0/"]),
    # host:port targets
    ("hostport url", ["lab", "run", "tcp-handshake", "--target", "http://127.0.0.1:80/"]),
    ("hostport no port", ["lab", "run", "tcp-handshake", "--target", "127.0.0.1"]),
    ("hostport port zero", ["lab", "run", "tcp-handshake", "--target", "127.0.0.1:0"]),
    ("hostport port big", ["lab", "run", "tcp-handshake", "--target", "127.0.0.1:70000"]),
    ("hostport open bracket", ["lab", "run", "tcp-handshake", "--target", "[::1:80"]),
    ("hostport two colons", ["lab", "run", "tcp-handshake", "--target", "127.0.0.1:80:81"]),
    ("hostport empty", ["lab", "run", "tcp-handshake", "--target", ""]),
    ("dns port zero", ["lab", "run", "dns", "--target", "127.0.0.1:0"]),
    ("no target lab", ["lab", "run", "traceroute", "--target", "127.0.0.1:1"]),
    # lab options
    ("header no colon", ["lab", "run", "http-api", "--header", "nocolon"]),
    ("header no name", ["lab", "run", "http-api", "--header", ": value"]),
    ("header newline", ["lab", "run", "http-api", "--header", "X-A: 1\r\nX-B: 2"]),
    ("header not latin-1", ["lab", "run", "http-api", "--header", "X-Name: 日本"]),
    ("method with space", ["lab", "run", "http-api", "--method", "GE T"]),
    ("method empty", ["lab", "run", "http-api", "--method", ""]),
    ("option of another lab", ["lab", "run", "dns", "--method", "GET"]),
    ("dns type unknown", ["lab", "run", "dns", "--type", "BOGUS"]),
    ("dns name too long", ["lab", "run", "dns", "--name", "a" * 300]),
    ("dns label too long", ["lab", "run", "dns", "--name", f"{LONG_LABEL}.example"]),
    ("ftp mode unknown", ["lab", "run", "ftp", "--mode", "sideways"]),
    ("traceroute mode unknown", ["lab", "run", "traceroute", "--mode", "carrier-pigeon"]),
    # explain
    ("explain missing", ["explain", "FILES/none.pcap"]),
    ("explain directory", ["explain", "FILES"]),
    ("explain dev zero", ["explain", "/dev/zero"]),
    ("explain fifo", ["explain", "FILES/fifo"]),
    ("explain empty", ["explain", "FILES/empty.pcap"]),
    ("explain text", ["explain", "FILES/text.pcap"]),
    ("explain cut header", ["explain", "FILES/cut.pcap"]),
    ("explain usb", ["explain", "FILES/usb.pcap"]),
    ("explain unreadable", ["explain", "FILES/secret.pcap"]),
    ("explain limit zero", ["explain", "FILES/ok.pcap", "--limit", "0"]),
    ("explain limit text", ["explain", "FILES/ok.pcap", "--limit", "all"]),
    ("decode-as no proto", ["explain", "FILES/ok.pcap", "--decode-as", "8053"]),
    ("decode-as unknown", ["explain", "FILES/ok.pcap", "--decode-as", "8053=gopher"]),
    ("decode-as port zero", ["explain", "FILES/ok.pcap", "--decode-as", "0=dns"]),
    ("decode-as port big", ["explain", "FILES/ok.pcap", "--decode-as", "70000=dns"]),
]


@pytest.fixture
def files(tmp_path):
    d = tmp_path / "files"
    d.mkdir()
    os.mkfifo(d / "fifo")
    (d / "empty.pcap").write_bytes(b"")
    (d / "text.pcap").write_text("hello, I am text\n")
    (d / "cut.pcap").write_bytes(PCAP_HEAD[:10])
    (d / "usb.pcap").write_bytes(PCAP_HEAD[:20] + struct.pack("<I", 220))  # USB: not read
    (d / "ok.pcap").write_bytes(PCAP_HEAD)
    (d / "secret.pcap").write_bytes(PCAP_HEAD)
    os.chmod(d / "secret.pcap", 0)
    return d


def test_at_least_sixty_cases():
    assert len(CASES) >= 60 and len({name for name, _ in CASES}) == len(CASES)


@pytest.mark.parametrize(("name", "argv"), CASES, ids=[name for name, _ in CASES])
def test_bad_input(name, argv, files, tmp_path, monkeypatch, capsys):
    if name == "explain unreadable" and os.geteuid() == 0:
        pytest.skip("root reads any file")
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("TUTOR_HOME", str(tmp_path / "home"))
    before = sorted(p.name for p in files.iterdir())
    argv = [a.replace("FILES", str(files)) for a in argv]
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    assert (code, out) == (2, ""), err
    assert len(err.splitlines()) == 1 and err.endswith("\n"), err
    assert "Traceback" not in err and "unexpectedly" not in err, err
    assert list(cwd.iterdir()) == [] and sorted(p.name for p in files.iterdir()) == before


def test_bad_input_from_a_real_process(tmp_path):
    """The same contract through the installed entry point (a fresh process,
    no pytest in between): one line, exit 2."""
    proc = subprocess.run(
        [sys.executable, "-m", "tutor", "lab", "run", "http-api", "--target", "http://[::1/"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1, proc.stderr
    assert list(Path(tmp_path).iterdir()) == []
