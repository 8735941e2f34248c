"""The Steps part fits the text width: a title's two-space gap before its
times was counted as one space, so lines ran one column over (16 at 60)."""

from __future__ import annotations

from pathlib import Path

import pytest

from labs.files.explain import explain_file
from tutor.steptext import step_lines

DATA = Path(__file__).parent / "data"
CAPTURES = sorted((DATA / "pcaps").glob("*.pcap*")) + sorted((DATA / "programs").glob("*.pcapng"))


@pytest.mark.parametrize("width", [60, 80])
def test_every_step_line_fits(width: int) -> None:
    over = [
        (path.name, line)
        for path in CAPTURES
        for line in step_lines(explain_file(path), width)
        if len(line) > width and " " in line.strip()
    ]
    assert over == []
