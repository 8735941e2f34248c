"""A drill's id names its fault (`firewall-drop`): what a learner sees
before answering (the list, start, status, hints, probes, stop) says the
drill's number and its symptom instead; the number and the old id both
start it; once answered, the id may be said."""

from __future__ import annotations

import pytest

from labs import api
from labs.drills import registry

IDS = [d.id for d in api.drill_list()]


@pytest.fixture(autouse=True)
def simulate(monkeypatch, tutor_home):
    monkeypatch.setenv("TUTOR_SIMULATE", "1")


def _main(capsys, *args: str) -> str:
    from tutor.cli import main

    assert main(["drill", *args]) == 0, args
    out, err = capsys.readouterr()
    return out + err


def _named(text: str) -> list[str]:
    return [i for i in IDS if i in text]


def test_the_list_shows_numbers_and_symptoms_not_ids(capsys):
    out = _main(capsys, "list")
    assert not _named(out), out
    for info in api.drill_list():
        assert f"{info.number:>2} {info.title}" in out
    assert sorted(d.number for d in api.drill_list()) == list(range(1, len(IDS) + 1))


@pytest.mark.parametrize("drill", IDS)
def test_playing_by_number_never_names_the_drill_before_it_is_answered(drill, capsys):
    number = str(next(d.number for d in api.drill_list() if d.id == drill))
    v = registry.get(drill).variant(5)
    seen = _main(capsys, "start", number, "--seed", "5")
    seen += _main(capsys, "status") + _main(capsys, "hint")
    kind, arg = v.evidence.probe.split(" ", 1)
    seen += _main(capsys, "probe", "capture", "--", kind, arg)  # the trace's title too
    seen += _main(capsys, "report")  # a report of a drill in progress
    for choice in v.faults:  # offered to all alike, so no give-away ("no-route")
        seen = seen.replace(f"\n  {choice.key} ", "\n")
    assert not _named(seen), _named(seen)
    assert api.drill_state(api_home()).drill == drill
    assert not _named(_main(capsys, "stop"))


def api_home():
    from tutor.progress import home

    return home()


def test_the_old_id_still_starts_it_and_the_answer_says_it(capsys):
    _main(capsys, "start", "firewall-drop", "--seed", "3")
    assert api.drill_state(api_home()).number == 4
    out = _main(capsys, "answer", "--layer", "tcp", "--fault", "fw-drop", "--call", "firewall")
    assert "All three right." in out
    assert "firewall-drop" in _main(capsys, "status")
    assert "solved: firewall-drop" in _main(capsys, "list")  # found, so it may be said


def test_an_unknown_drill_points_to_the_numbers_not_the_ids(capsys):
    from tutor.cli import main

    assert main(["drill", "start", "99"]) == 2
    err = capsys.readouterr().err
    assert "numbered 1 to" in err and not _named(err), err
