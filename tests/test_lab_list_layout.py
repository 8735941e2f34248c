"""`tutor lab list` lines up: titles start in one column whether the module
number has one digit or two (module 3 and module 10), and on a terminal a
long availability line wraps under itself instead of at column 0."""

from __future__ import annotations

import dataclasses
import re

import pytest

import labs.api
from tutor.cli import main


@pytest.fixture
def two_digit_module(monkeypatch):
    """The installed labs plus one in module 12, whatever the course holds today."""
    real = labs.api.specs()
    extra = dataclasses.replace(real[0], id="late-lab", module=12, title="A lab late in the course")
    monkeypatch.setattr(labs.api, "specs", lambda: [*real, extra])
    monkeypatch.setenv("TUTOR_CAPTURE", "reconstructed")
    return [*real, extra]


def _listing(capsys) -> list[str]:
    assert main(["lab", "list"]) == 0
    return capsys.readouterr().out.splitlines()


def test_titles_line_up_for_one_and_two_digit_modules(capsys, two_digit_module):
    lines = _listing(capsys)
    ids = {s.id for s in two_digit_module}
    heads = [line for line in lines if line.split(" ", 1)[0] in ids]
    assert len(heads) == len(ids)
    modules = {re.search(r"module +(\d+)", line)[1] for line in heads}  # type: ignore[index]
    assert any(len(m) == 1 for m in modules) and "12" in modules
    title_at = {
        line.index(s.title) for s in two_digit_module for line in heads if s.id + " " in line
    }
    assert len(title_at) == 1, heads
    module_at = {line.index("module") for line in heads}
    assert len(module_at) == 1


def test_a_long_availability_line_wraps_under_itself_on_a_terminal(
    capsys, monkeypatch, two_digit_module
):
    monkeypatch.setenv("COLUMNS", "60")
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    lines = _listing(capsys)
    ids = {s.id for s in two_digit_module}
    body = [line for line in lines[: lines.index("")] if line.split(" ", 1)[0] not in ids]
    width = max(len(i) for i in ids)
    assert len(body) > len(ids)  # some availability lines did wrap at 60 columns
    assert all(line.startswith(" " * (width + 2)) and len(line) < 60 for line in body), body


def test_through_a_pipe_the_list_is_as_wide_as_columns(capsys, monkeypatch, two_digit_module):
    """A pipe gets COLUMNS (100 when unset), as every other command's text:
    the list kept each lab to two lines of up to 159 columns in a pipe."""
    monkeypatch.delenv("COLUMNS", raising=False)
    lines = _listing(capsys)
    ids = {s.id for s in two_digit_module}
    width = max(len(i) for i in ids)
    body = [line for line in lines[: lines.index("")] if line.split(" ", 1)[0] not in ids]
    assert all(len(line) <= 99 for line in lines), max(lines, key=len)
    assert all(line.startswith(" " * (width + 2)) for line in body), body
