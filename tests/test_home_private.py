"""TUTOR_HOME is the learner's alone: whatever command makes it first (the
course cache of `tutor lessons`, a drill's state), it is made 0700, not with
the umask's 0755 a parents=True mkdir gives the directories above the leaf."""

from __future__ import annotations

import os
import subprocess
import sys


def _tutor(*args: str, home: str) -> None:
    env = {**os.environ, "TUTOR_HOME": home, "TUTOR_SIMULATE": "1"}
    subprocess.run(
        [sys.executable, "-I", "-m", "tutor.cli", *args],
        env=env,
        cwd="/",
        capture_output=True,
        timeout=120,
    )


def test_lessons_make_the_home_private(tmp_path):
    home = tmp_path / "home"
    _tutor("lessons", home=str(home))
    assert home.stat().st_mode & 0o777 == 0o700
    assert (home / "cache").stat().st_mode & 0o777 == 0o700


def test_a_drill_makes_the_home_private(tmp_path):
    home = tmp_path / "home"
    _tutor("drill", "start", "dns-nxdomain", home=str(home))
    try:
        assert home.stat().st_mode & 0o777 == 0o700
    finally:
        _tutor("drill", "stop", home=str(home))
