"""Nothing stays behind after a kill (issue 16, item 9): SIGTERM stops every
lab the way Ctrl-C does; what SIGKILL leaves (key logs, FTP roots,
namespaces, agents) dies with the run or is removed by `tutor doctor
--cleanup`, which touches only what a dead run made."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from labs.capture import leftovers


def _start(args: list[str], tmp: Path, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tutor", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "TMPDIR": str(tmp), "TUTOR_HOME": str(tmp / "home"), **env},
    )


def _wait_for(what, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = what()
        if found:
            return found
        time.sleep(0.005)
    raise AssertionError("timed out")


def _ours(tmp: Path, kind: str) -> list[Path]:
    return sorted(tmp.glob(f"tutor-{kind}-*"))


def _doctor_cleanup(tmp: Path) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "tutor", "doctor", "--cleanup"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "TMPDIR": str(tmp), "TUTOR_CAPTURE": "reconstructed"},
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.fixture
def silent_server():
    """A TCP server that accepts and never answers: a TLS lab waits on it."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        held: list[socket.socket] = []
        server.settimeout(0.1)
        yield server.getsockname()[1], server, held
        for conn in held:
            conn.close()


def test_sigkill_of_tls_leaves_a_key_log_that_doctor_removes(tmp_path, silent_server):
    port, _server, _held = silent_server
    proc = _start(["lab", "run", "tls", "--target", f"https://127.0.0.1:{port}/"], tmp_path)
    keys = _wait_for(lambda: _ours(tmp_path, "tls"))
    assert keys[0].name.startswith(f"tutor-tls-{proc.pid}-")
    # a live run's file is not touched
    assert leftovers.temp_leftovers(str(tmp_path)) == []
    proc.kill()
    proc.wait(10)
    assert keys[0].exists()
    out = _doctor_cleanup(tmp_path)
    assert f"temporary {keys[0]}" in out and not keys[0].exists()


def test_sigkill_of_ftp_leaves_a_root_that_doctor_removes(tmp_path):
    proc = _start(["lab", "run", "ftp"], tmp_path)
    root = _wait_for(lambda: _ours(tmp_path, "ftp"))[0]
    proc.kill()
    proc.wait(10)
    assert root.is_dir()
    assert str(root) in _doctor_cleanup(tmp_path) and not root.exists()


def test_sigterm_stops_a_lab_like_ctrl_c(tmp_path, silent_server):
    port, _server, _held = silent_server
    proc = _start(["lab", "run", "tls", "--target", f"https://127.0.0.1:{port}/"], tmp_path)
    _wait_for(lambda: _ours(tmp_path, "tls"))
    time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=20)
    assert proc.returncode == 143, err
    assert err.splitlines()[-1].startswith("tutor: stopped") and "Traceback" not in err
    assert _ours(tmp_path, "tls") == []


def test_sigterm_of_the_embedded_ftp_lab_removes_its_root(tmp_path):
    proc = _start(["lab", "run", "ftp"], tmp_path)
    _wait_for(lambda: _ours(tmp_path, "ftp"))
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=20)
    # it may have finished just before the signal; either way nothing is left
    assert proc.returncode in (0, 143) and "Traceback" not in err, err
    assert _ours(tmp_path, "ftp") == []


def test_only_dead_runs_and_only_ours_are_cleaned(tmp_path):
    mine = tmp_path / f"tutor-tls-{os.getpid()}-abc.keys"
    mine.write_text("live run")
    dead = tmp_path / "tutor-tls-999999999-abc.keys"
    dead.write_text("dead run")
    other = tmp_path / "tutor-notes-999999999"  # not our naming: no random part
    other.write_text("x")
    link = tmp_path / "tutor-ftp-999999999-link"
    target = tmp_path / "precious"
    target.mkdir()
    (target / "f").write_text("keep")
    link.symlink_to(target)
    removed = leftovers.remove_temp_leftovers(str(tmp_path))
    assert sorted(removed) == sorted([str(dead), str(link)])
    assert mine.exists() and other.exists() and (target / "f").read_text() == "keep"


@pytest.mark.kills_runs
def test_an_orphaned_agent_is_found_and_killed():
    line = "os.getppid() == 999999999 or os._exit(1); from labs.netsim.ns_agent import main"
    fake = subprocess.Popen([sys.executable, "-c", f"import time; time.sleep(60)  # {line}"])
    try:
        _wait_for(lambda: fake.pid in leftovers.orphan_agents(), 5)
        assert fake.pid in leftovers.kill_orphan_agents()
        assert fake.wait(5) == -signal.SIGKILL
    finally:
        fake.kill()


@pytest.mark.needs_root
def test_sigkill_of_a_namespace_lab_takes_its_agents_along(tmp_path):
    proc = _start(["lab", "run", "traceroute"], tmp_path)

    def agents() -> list[int]:
        pids = []
        for entry in filter(str.isdigit, os.listdir("/proc")):
            try:
                cmd = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if f"os.getppid() == {proc.pid} ".encode() in cmd and cmd.startswith(
                sys.executable.encode()
            ):
                pids.append(int(entry))
        return pids

    running = _wait_for(agents)
    proc.kill()
    proc.wait(10)
    _wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in running), 3)
    out = _doctor_cleanup(tmp_path)
    assert f"tutor-{proc.pid}-" in out or not any(
        n.startswith(f"tutor-{proc.pid}-") for n in os.listdir("/run/netns")
    )
    assert not any(n.startswith(f"tutor-{proc.pid}-") for n in os.listdir("/run/netns"))


def test_sigterm_of_a_two_process_explain_stops_its_child_at_once(tmp_path):
    from labs.core.base import RawPacket
    from labs.files.pcapio import read_capture, write_pcap

    base, _ = read_capture(Path(__file__).parent / "data" / "pcaps" / "http.pcap")
    raws = [
        RawPacket(1_700_000_000 + i * 0.001, p.data, p.link)
        for i, p in enumerate(list(base) * 1500)
    ]
    path = tmp_path / "big.pcap"
    write_pcap(raws, path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tutor", "explain", str(path), "--json"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    child = int(_wait_for(lambda: children.read_text().split(), 30)[0])
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=60)  # (the child holds stderr too, if it lives on)
    assert proc.returncode == 143 and "Traceback" not in err, err
    assert (
        not Path(f"/proc/{child}").exists() or "zombie" in Path(f"/proc/{child}/status").read_text()
    )


def test_a_sigterm_while_a_lab_closes_lands_after_everything_is_closed():
    """The CLI turns SIGTERM into an exception wherever its main thread is;
    one landing in a closing `finally` cut the ftp lab's folder removal short
    (a CI run under load). The run's stack closes whole, then it lands."""
    from labs.kit.run import ClosingStack
    from tutor.commands import Terminated, sigterm_as_interrupt

    closed: list[str] = []

    def remove_folder() -> None:
        os.kill(os.getpid(), signal.SIGTERM)  # arrives half way
        closed.append("the folder")

    with pytest.raises(Terminated), sigterm_as_interrupt(), ClosingStack() as stack:
        stack.callback(remove_folder)
    assert closed == ["the folder"]
