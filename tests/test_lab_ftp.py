"""The ftp lab end to end against real FTP servers on 127.0.0.1: the embedded
one (reconstructed and live), a second server given with --target, and bad
input. Every server the lab starts must be gone afterwards."""

from __future__ import annotations

import shutil
import socket
import tempfile
import threading
from pathlib import Path

import pytest
from tshark_rows import tshark_rows

from labs.catalog.ftp.run import PASSWORD_ENV, parse_target, pick_file
from labs.catalog.ftp.server import ftp_server
from labs.core.hostport import free_port, port_is_closed
from labs.core.spec import LabRequest
from labs.dissect.narrate import field_map
from labs.model.errors import BadInput, Cancelled, LabError
from labs.model.trace import Trace
from labs.registry import get, run_lab

OTHER_FILES = {"report.txt": b"quarterly numbers\n", "big.bin": b"\0" * 5000, "pub/a.txt": b"a\n"}


@pytest.fixture
def own_tmp(tmp_path, monkeypatch) -> Path:
    """A temporary directory of the test's own, so that the servers of other
    test runs on this machine at the same time do not show up in it."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def _ftp_dirs(root: Path) -> list[Path]:
    return list(root.glob("tutor-ftp-*"))


def _request(target: str | None = None, timeout: float = 5, **given: str) -> LabRequest:
    return get("ftp").request(target=target, timeout=timeout, given=given)


def _run(**options) -> tuple[Trace, list[str]]:
    said: list[str] = []
    trace = run_lab(_request(**options), progress=said.append)
    return trace, said


def _fields(trace: Trace, name: str) -> list[tuple[int, str]]:
    return [
        (p.index, f.value)
        for p in trace.wire_packets()
        for f in [field_map(p.layers).get(name)]
        if f is not None
    ]


def _requests(trace: Trace) -> list[tuple[str, str]]:
    """(command, argument) of every request line on the wire."""
    out = []
    for p in trace.wire_packets():
        fields = field_map(p.layers)
        if "ftp.request.command" in fields:
            arg = fields.get("ftp.request.arg")
            out.append((fields["ftp.request.command"].value, arg.value if arg else ""))
    return out


def _section_body(trace: Trace, title: str) -> str:
    return next(s.body for s in trace.sections if s.title.startswith(title))


def _port_of(endpoint: str) -> int:
    return int(endpoint.rsplit(":", 1)[1])


def _check_embedded_run(trace: Trace) -> None:
    assert {f.name: f.value for f in trace.facts} == {
        "tcp_connections": "3",
        "password_visible": "yes",
        "data_port_formula": "p1*256+p2",
    }
    convs = list(dict.fromkeys(p.conversation for p in trace.packets))
    assert convs == ["control", "data 1 (LIST)", "data 2 (RETR)"]
    commands = [c for _i, c in _fields(trace, "ftp.request.command")]
    assert commands[:3] == ["USER", "PASS", "PWD"]
    assert "PASV" in commands and "EPSV" in commands and commands[-1] == "QUIT"
    # The 227's arithmetic names the port the LIST data connection goes to.
    ((_i, pasv_port),) = _fields(trace, "ftp.passive.port")
    list_syn = next(p for p in trace.packets if p.conversation == "data 1 (LIST)")
    assert _port_of(list_syn.dst) == int(pasv_port)
    ((_i, epsv_port),) = _fields(trace, "ftp.epsv.port")
    retr_syn = next(p for p in trace.packets if p.conversation == "data 2 (RETR)")
    assert _port_of(retr_syn.dst) == int(epsv_port)
    # The password is on the wire, marked secret, and never in the text we print.
    pw = next(f for p in trace.packets for layer in p.layers for f in layer.fields if f.secret)
    assert pw.value == "demo-password"
    text = " ".join([s.body for s in trace.sections] + [s.explain for s in trace.steps])
    text += " ".join(p.explain + p.summary for p in trace.packets)
    assert "demo-password" not in text
    assert [s.name for s in trace.steps] == ["connect", "login", "navigate", "list", "retr", "quit"]
    assert "Welcome to the tutor FTP lab." in next(
        s.body for s in trace.sections if s.title.startswith("What came back")
    )
    port = int(trace.target.rsplit(":", 1)[1].split("/")[0])
    assert port_is_closed("127.0.0.1", port)


def test_embedded_passive_reconstructed(reconstructed, own_tmp):
    trace, said = _run()
    assert trace.capture == "reconstructed"
    _check_embedded_run(trace)
    assert _ftp_dirs(own_tmp) == []
    assert not any("Warning" in s for s in said)  # the demo account needs no warning


@pytest.mark.needs_root
def test_embedded_passive_live():
    trace, _said = _run()
    assert trace.capture == "live"
    _check_embedded_run(trace)


def test_active_mode_server_connects_back(reconstructed):
    trace, _said = _run(mode="active")
    commands = [c for _i, c in _fields(trace, "ftp.request.command")]
    assert commands.count("PORT") == 2 and "PASV" not in commands
    ports = [int(v) for _i, v in _fields(trace, "ftp.active.port")]
    control = next(p for p in trace.packets if p.conversation == "control")
    client_host = control.src.rsplit(":", 1)[0]
    for conv in ("data 1 (LIST)", "data 2 (RETR)"):
        syn = next(p for p in trace.packets if p.conversation == conv)
        # The SYN goes *to* the client's announced port: the server calls back.
        assert syn.dst.rsplit(":", 1)[0] == client_host and _port_of(syn.dst) in ports
    assert trace.fact("data_port_formula").filter == "ftp.request.arg"
    assert any(s.title.startswith("Active mode") for s in trace.sections)


@pytest.mark.needs_root
def test_active_mode_live():
    trace, _said = _run(mode="active")
    assert trace.capture == "live"
    assert trace.fact("tcp_connections").value == "3"


def test_target_with_user_password_and_path(reconstructed):
    with ftp_server(files=OTHER_FILES, user="alice", password="s3cret-pw") as other:
        url = f"ftp://alice:s3cret-pw@127.0.0.1:{other.port}/pub/a.txt"
        trace, said = _run(target=url)
    assert trace.target == f"ftp://alice@127.0.0.1:{other.port}/pub/a.txt"
    assert any(s.startswith("Warning: FTP sends the password") for s in said)
    assert not any("s3cret-pw" in s for s in said)
    assert ("CWD", "pub") in _requests(trace) and ("RETR", "a.txt") in _requests(trace)
    content = next(s.body for s in trace.sections if s.title.startswith("What came back"))
    assert "RETR a.txt returned 2 bytes" in content


def test_target_anonymous_picks_the_smallest_file(reconstructed, monkeypatch):
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    with ftp_server(files=OTHER_FILES) as other:
        trace, said = _run(target=f"ftp://127.0.0.1:{other.port}")
    assert not any("Warning" in s for s in said)
    requests = _requests(trace)
    assert requests[0] == ("USER", "anonymous")
    assert ("RETR", "report.txt") in requests
    assert trace.fact("tcp_connections").value == "3"


@pytest.mark.needs_root
def test_target_live_keeps_only_the_labs_connections(monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, "s3cret-pw")
    with ftp_server(files=OTHER_FILES, user="alice", password="s3cret-pw") as other:
        trace, _said = _run(target=f"ftp://alice@127.0.0.1:{other.port}/")
    assert trace.capture == "live"
    assert {p.conversation for p in trace.packets} == {"control", "data 1 (LIST)", "data 2 (RETR)"}
    assert trace.fact("password_visible").value == "yes"


def test_password_from_environment_and_missing_password(monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, "from-env")
    assert parse_target("ftp://bob@host.example/").password == "from-env"
    monkeypatch.delenv(PASSWORD_ENV)
    with pytest.raises(BadInput, match=PASSWORD_ENV):
        parse_target("ftp://bob@host.example/")
    t = parse_target("ftp://h.example:2121/pub/")
    assert (t.host, t.port, t.user, t.directory, t.file) == (
        "h.example",
        2121,
        "anonymous",
        "pub",
        "",
    )
    assert parse_target("h.example/a/b.txt").file == "b.txt"


@pytest.mark.parametrize(
    "target, message",
    [
        ("http://127.0.0.1/", "speaks FTP"),
        ("ftp://127.0.0.1:99999/", "not a number from 1 to 65535"),
        ("ftp:///nohost", "names no host"),
    ],
)
def test_bad_urls_are_one_line_bad_input(target, message):
    with pytest.raises(BadInput, match=message) as info:
        run_lab(_request(target=target))
    assert "\n" not in str(info.value)


def test_bad_mode_is_bad_input():
    with pytest.raises(BadInput, match="--mode 'sideways' is not one of passive, active") as info:
        _request(mode="sideways")
    assert "\n" not in str(info.value)
    assert _request(mode="ACTIVE").option("mode") == "active"
    assert _request().option("mode") == "passive"


def test_refused_login_failed_and_timeout_are_one_line(reconstructed, monkeypatch):
    with pytest.raises(LabError, match="connection refused") as info:
        run_lab(_request(target=f"ftp://127.0.0.1:{free_port()}/", timeout=2))
    assert info.value.exit_code == 1
    monkeypatch.setenv(PASSWORD_ENV, "wrong")
    with ftp_server(user="alice", password="right") as other:
        with pytest.raises(LabError, match="refused the login.*530"):
            run_lab(_request(target=f"ftp://alice@127.0.0.1:{other.port}/", timeout=2))
    # A server that accepts the connection but never greets.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        with pytest.raises(LabError, match="No answer"):
            run_lab(_request(target=f"ftp://127.0.0.1:{port}/", timeout=0.5))


def test_pick_file_takes_the_smallest_regular_file():
    listing = [
        "drwxr-xr-x   2 root root 4096 Nov 28 09:40 notes",
        "-rw-r--r--   1 root root   36 Nov 28 09:40 prices list.csv",
        "-rw-r--r--   1 root root   69 Nov 28 09:40 welcome.txt",
    ]
    assert pick_file(listing) == "prices list.csv"
    assert pick_file(["drwxr-xr-x 2 root root 4096 Nov 28 09:40 d"]) == ""


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
@pytest.mark.parametrize(
    "capture", ["reconstructed", pytest.param("live", marks=pytest.mark.needs_root)]
)
def test_wireshark_reads_the_same_ftp_fields(capture, tmp_path, monkeypatch):
    from labs.files.pcapio import write_pcap

    monkeypatch.setenv("TUTOR_CAPTURE", capture)
    trace, _said = _run()
    assert trace.capture == capture
    pcap = tmp_path / "ftp.pcap"
    write_pcap(trace, pcap)
    control = next(p for p in trace.packets if p.conversation == "control")
    port = _port_of(control.dst)
    names = ("ftp.request.command", "ftp.request.arg", "ftp.response.code", "ftp.passive.port")
    rows = tshark_rows(pcap, names, [f"tcp.port=={port},ftp"])
    wire = trace.wire_packets()
    assert len(rows) == len(wire)
    checked = 0
    for p, theirs in zip(wire, rows, strict=True):
        ours = field_map(p.layers)
        for name in names:
            if name in ours or theirs[name]:
                assert ours[name].value == theirs[name], (p.index, name)
                checked += 1
    assert checked >= 25


def _server_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("tutor-ftp-")]


def test_missing_file_is_one_line_and_nothing_is_left_running(reconstructed):
    with ftp_server(files=OTHER_FILES) as other:
        with pytest.raises(LabError, match="550") as info:
            _run(target=f"ftp://127.0.0.1:{other.port}/nope.txt")
        assert "\n" not in str(info.value)
    assert _server_threads() == []


def test_cancel_stops_the_lab_and_its_server(reconstructed, own_tmp):
    cancel = threading.Event()
    served: list[list[Path]] = []

    def progress(message: str) -> None:
        if message.startswith("Logging in"):
            served.append(_ftp_dirs(own_tmp))
            cancel.set()  # the learner presses Cancel while the lab runs

    with pytest.raises(Cancelled):
        run_lab(_request(), progress=progress, cancel=cancel)
    assert len(served) == 1 and len(served[0]) == 1  # the server was serving from there
    assert _server_threads() == []
    assert _ftp_dirs(own_tmp) == []


def test_server_without_epsv_gets_pasv_instead(reconstructed):
    with ftp_server(files=OTHER_FILES, without=("EPSV",)) as old:
        trace, _said = _run(target=f"ftp://127.0.0.1:{old.port}/report.txt")
    replies = [code for _i, code in _fields(trace, "ftp.response.code")]
    assert "500" in replies  # the refused EPSV
    assert [c for c, _a in _requests(trace)].count("PASV") == 2
    assert trace.fact("tcp_connections").value == "3"
    assert "refused EPSV" in _section_body(trace, "What came back")
