"""`--pcap` and its key log are saved privately and all-or-nothing (issue
16, items 4 and 7): 0600 whatever the umask, never through a planted
symlink, and on a full disk neither file appears (the run says so in one
line, exit 1)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest


def _tls(pcap: Path, tmp: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tutor", "lab", "run", "tls", "--pcap", str(pcap)],
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **os.environ,
            "TUTOR_CAPTURE": "reconstructed",
            "TMPDIR": str(tmp),
            "TUTOR_HOME": str(tmp / "home"),
        },
        preexec_fn=lambda: os.umask(0o022),
    )


def test_private_whatever_the_umask(tmp_path):
    pcap = tmp_path / "run.pcap"
    proc = _tls(pcap, tmp_path)
    assert proc.returncode == 0, proc.stderr
    keys = pcap.with_name("run.pcap.keys")
    for path in (pcap, keys):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert "_TRAFFIC_SECRET " in keys.read_text()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_planted_symlinks_are_replaced_not_followed(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("precious")
    pcap = tmp_path / "run.pcap"
    pcap.symlink_to(victim)
    Path(str(pcap) + ".keys").symlink_to(victim)
    proc = _tls(pcap, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert victim.read_text() == "precious"
    assert not pcap.is_symlink() and pcap.read_bytes()[:4] == b"\xd4\xc3\xb2\xa1"
    assert not Path(str(pcap) + ".keys").is_symlink()


@pytest.fixture
def small_disk(tmp_path):
    """A tmpfs of a given size, filled up to leave `free` bytes."""
    mounts: list[Path] = []

    def make(size: int, free: int) -> Path:
        where = tmp_path / f"disk{len(mounts)}"
        where.mkdir()
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], check=True
        )
        mounts.append(where)
        if size - free:
            (where / "filler").write_bytes(b"\0" * (size - free))
        return where

    yield make
    for where in mounts:
        subprocess.run(["umount", str(where)], check=False)


@pytest.mark.needs_root
def test_a_full_disk_leaves_neither_file(tmp_path, small_disk):
    page = os.sysconf("SC_PAGE_SIZE")
    first = tmp_path / "size.pcap"
    assert _tls(first, tmp_path).returncode == 0
    pages = -(-first.stat().st_size // page)
    for free in (0, pages * page):  # nothing fits; the pcap fits but its key log does not
        disk = small_disk((pages + 2) * page, free)
        pcap = disk / "run.pcap"
        proc = _tls(pcap, tmp_path)
        assert proc.returncode == 1, proc.stderr
        last = proc.stderr.splitlines()[-1]
        assert "No space left on device" in last and "nothing was written" in last
        assert "Traceback" not in proc.stderr and "unexpectedly" not in proc.stderr
        assert sorted(p.name for p in disk.iterdir()) == ["filler"]
