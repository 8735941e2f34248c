"""A plain (non-editable) install finds all its content: the wheel carries
lessons/, the glossary and the stylesheets, and `tutor` runs from it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    build = tmp_path_factory.mktemp("build")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        cwd=build,
        env={**os.environ, "PIP_NO_CACHE_DIR": "1"},
    )
    (whl,) = out.glob("tutor-*.whl")
    return whl


def test_wheel_carries_the_content(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    in_repo = sorted(
        str(p.relative_to(ROOT))
        for p in (ROOT / "lessons").rglob("*")
        if p.suffix in (".md", ".toml")
    )
    assert in_repo and set(in_repo) <= set(names)
    assert any(n.endswith(".tcss") for n in names)


def test_installed_tutor_finds_its_lessons(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    code = (
        "import tutor, json; from tutor.cli import main; "
        f"assert tutor.__file__.startswith({str(target)!r}), tutor.__file__; "
        "raise SystemExit(main(['lessons', '--json']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    modules = json.loads(result.stdout)
    assert len(modules) == 10
    assert sum(len(m["lessons"]) for m in modules) > 0
