"""A grade's explanation may rest on a comparison the learner never probed
("the server's own packets arrive with TTL 63" is port 80's): it then says
which probe shows it, and the command line says how to run it."""

from __future__ import annotations

import re
import shlex

import pytest
from drill_cli import drill

from labs.drills import registry


@pytest.fixture(autouse=True)
def simulate(monkeypatch, tutor_home):
    monkeypatch.setenv("TUTOR_SIMULATE", "1")
    monkeypatch.setenv("COLUMNS", "80")


def _main(capsys, *args: str) -> str:
    return drill(capsys, *args, joined=True)


V = registry.get("firewall-reject").variant(1)
HOST = V.url.split("/")[2]


def _answer(capsys, *probes: tuple[str, ...]) -> str:
    _main(capsys, "start", "2", "--seed", "1")
    for probe in probes:
        _main(capsys, "probe", *probe)
    return _main(capsys, "answer", "--layer", "tcp", "--fault", "fw-drop", "--call", "app-team")


def test_a_comparison_not_probed_names_the_probe_and_its_command(capsys):
    out = _answer(capsys, ("connect", f"{HOST}:443"))
    flat = " ".join(out.split())
    assert "TTL 63" in flat  # the explanation rests on port 80's packets ...
    assert f"You did not run `connect {HOST}:80`" in flat, flat  # ... so it says so
    commands = re.findall(r"^\s+(tutor drill (?:start|probe) .+)$", out, re.M)
    assert commands[0] == "tutor drill start 2 --seed 1 --simulate", out  # the same variant
    assert f"tutor drill probe capture -v -- connect {HOST}:80" in commands, out
    # The commands work: the replay shows port 80's packets with TTL 63.
    for command in commands:
        seen = _main(capsys, *shlex.split(command)[2:])
    assert "ip.ttl = 63" in seen


def test_a_comparison_probed_is_not_asked_for_again(capsys):
    out = _answer(capsys, ("connect", f"{HOST}:443"), ("connect", f"{HOST}:80"))
    flat = " ".join(out.split())
    assert "did not run" not in flat and "tutor drill probe" not in flat, flat


def test_the_evidence_probe_not_run_gets_a_command_too(capsys):
    out = _answer(capsys, ("resolve", HOST))
    assert f"tutor drill probe capture -v -- connect {HOST}:443" in out, out


@pytest.mark.parametrize("drill", [d.id for d in registry.drills()])
def test_every_probe_an_explanation_cites_parses(drill):
    from labs.drills.grading import cited
    from labs.drills.probes import parse

    v = registry.get(drill).variant(1)
    for probe in cited(f"{v.explain} {v.evidence.says} {' '.join(v.hints)}"):
        kind, arg = probe.split(" ", 1)
        parse(kind, arg)
