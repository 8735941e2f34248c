"""`tutor drill` as a new user meets it in a terminal or a pipe: prose
wrapped to the width (COLUMNS, as `tutor explain`), a finished drill's
status saying it was answered, and what next, rather than offering the
choices again."""

from __future__ import annotations

import pytest
from drill_cli import drill

from labs.drills import registry


@pytest.fixture(autouse=True)
def simulate(monkeypatch, tutor_home):
    monkeypatch.setenv("TUTOR_SIMULATE", "1")


def _main(capsys, *args: str) -> str:
    return drill(capsys, *args)


def _play(capsys, call: str) -> dict[str, str]:
    """Drill firewall-drop (seed 3): started, probed, answered with `call`."""
    v = registry.get("firewall-drop").variant(3)
    out = {"list": _main(capsys, "list"), "start": _main(capsys, "start", "firewall-drop",
           "--seed", "3"), "hint": _main(capsys, "hint")}  # fmt: skip
    kind, arg = v.evidence.probe.split(" ", 1)
    out["probe"] = _main(capsys, "probe", kind, arg)
    out["status"] = _main(capsys, "status")
    out["answer"] = _main(capsys, "answer", "--layer", v.answer.layer, "--fault",
                          v.answer.fault, "--call", call)  # fmt: skip
    out["done"] = _main(capsys, "status")
    out["report"] = _main(capsys, "report")
    return out


@pytest.mark.parametrize("columns", [60, 80])
def test_every_line_fits_the_width_columns_gives(columns, monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", str(columns))
    out = _play(capsys, "app-team")
    for name, text in out.items():
        # The timing waterfall is a diagram of its own (tutor.waterfall_text,
        # as `tutor explain` draws it), last in a probe and fenced in the report.
        lines = text.split("Timing waterfall")[0].splitlines()
        if name == "report":
            lines = [line for i, part in enumerate(text.split("```")) if i % 2 == 0
                     for line in part.splitlines() if not line.startswith("|")]  # fmt: skip
        long = [line for line in lines if len(line) > columns]
        assert not long, (name, long)
    # The story is one long sentence: wrapped, not cut.
    story = registry.get("firewall-drop").variant(3).story
    assert " ".join(out["start"].split()).count(story) == 1


def test_a_wide_terminal_keeps_a_packet_on_one_line(monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "200")
    probe = _play(capsys, "firewall")["probe"]
    assert any("→" in line and "TCP SYN" in line for line in probe.splitlines())


def test_status_after_answering_says_it_was_answered_and_what_next(capsys):
    out = _play(capsys, "app-team")
    assert "--call:" in out["status"]  # before answering: the choices
    done = out["done"]
    assert "--call:" not in done and "--layer:" not in done, done
    assert "answered" in done and "Not quite." in done
    assert "call   app-team: wrong (the answer: firewall)" in done
    assert "tutor drill report" in done and "tutor drill start 4" in done
    assert "firewall-drop" in done  # solved: its id may be said now


def test_a_wrong_call_says_why_that_team_is_not_the_one(capsys):
    out = _play(capsys, "dns-admin")
    for text in (out["answer"], out["done"], out["report"]):
        flat = " ".join(text.split())
        assert "Not dns-admin: they look after the records of the zone" in flat, text
        assert "is in the ISP's firewall" in flat and "call firewall." in flat


def test_a_right_call_has_no_why_not(capsys):
    out = _play(capsys, "firewall")
    assert "All three right." in out["answer"] and "they look after" not in out["answer"]
