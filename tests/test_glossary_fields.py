"""Glossary `fields` name only Wireshark fields the labs really show.

The TUI schedules a term for review when a lab trace contains one of its
fields, and the glossary entry says "In the labs: ...": a name no lab emits
never schedules the term and points the learner at nothing. So every lab runs
once (on its embedded target) and every glossary field must be among the
filters of the fields its packets carry. The same runs check the
predict-then-observe questions: the fact a `[[predict]]` names must come out
of the lab with a value that is one of its choices.

The runs are the unprivileged ones (reconstructed capture, simulated
networks), so this needs no root; with root, the live runs are compared with
them so the unprivileged check cannot miss a field only live capture shows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from labrun import run

from labs.core.system import CAPTURE_ENV
from labs.model.trace import Trace
from labs.registry import get
from tutor.content import Course, load_course

#: Every lab, and every mode that takes another path through its code.
RUNS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("http-api", {}),
    ("tcp-handshake", {}),
    ("dns", {}),
    ("tls", {}),
    ("ftp", {}),
    ("ftp", {"mode": "active"}),
    ("traceroute", {"mode": "udp"}),
    ("traceroute", {"mode": "icmp"}),
    ("traceroute", {"mode": "tcp"}),
    ("gateway-nat", {}),
    ("web-app-db", {}),
    ("slow-network", {}),
    ("webhooks", {}),
    ("oauth", {}),
    ("cors", {}),
    ("cors", {"no_browser": True}),
    ("http2", {}),
    ("websocket", {}),
)


def run_name(lab: str, kw: dict[str, Any]) -> str:
    return f"{lab} --mode {kw['mode']}" if "mode" in kw else lab


def run_all(*, live: bool) -> dict[str, Trace]:
    """Each run's trace: live capture and real namespaces, or the unprivileged versions."""
    traces: dict[str, Trace] = {}
    for lab, kw in RUNS:
        netns = get(lab).needs == "netns"
        traces[run_name(lab, kw)] = run(lab, **kw, simulate=netns and not live)
    return traces


def emitted(trace: Trace) -> set[str]:
    return {f.filter for p in trace.packets for layer in p.layers for f in layer.fields if f.filter}


@pytest.fixture(scope="module")
def offline() -> Iterator[dict[str, Trace]]:
    # Module scope cannot take the function-scoped `monkeypatch`; this is its
    # module-lifetime form, restored when the module's tests are done.
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(CAPTURE_ENV, "reconstructed")
        yield run_all(live=False)


@pytest.fixture(scope="module")
def course() -> Course:
    return load_course()


def union(traces: dict[str, Trace]) -> set[str]:
    return set().union(*(emitted(t) for t in traces.values()))


def test_offline_runs_are_what_they_claim(offline):
    # Guards the fixture: a live run here would let the checks below pass
    # on fields that a learner without root never sees.
    kinds = {name: t.capture for name, t in offline.items()}
    assert set(kinds.values()) <= {"reconstructed", "simulated"}, kinds
    assert all(emitted(t) for t in offline.values()), "a lab run showed no named fields"


def test_every_glossary_field_is_one_a_lab_emits(course, offline):
    shown = union(offline)
    offenders = [
        f"{term.id}: {name}"
        for term in course.glossary.terms
        for name in term.fields
        if name not in shown
    ]
    assert not offenders, (
        "Glossary fields no lab shows (map each to the name the labs emit, or drop it):\n"
        + "\n".join(offenders)
    )


def test_every_fact_points_at_a_field_its_packets_show(offline):
    wrong = [
        f"{name}: {fact.name} -> {fact.filter}"
        for name, trace in offline.items()
        for fact in trace.facts
        if fact.filter and fact.filter not in emitted(trace)
    ]
    assert not wrong, "Facts whose evidence field their trace does not show:\n" + "\n".join(wrong)


def test_predict_answers_are_among_the_choices(course, offline):
    """The learner can pick the right answer: the lab's fact value is a choice."""
    facts: dict[tuple[str, str], set[str]] = {}
    for name, trace in offline.items():
        lab = name.split()[0]
        for fact in trace.facts:
            facts.setdefault((lab, fact.name), set()).add(fact.value.strip().casefold())
    # The dns walk needs root (port 53) and Unbound; without them the lab says so
    # and asks the zone's server directly, which cannot show the walk's facts.
    walkless = offline["dns"].sections[0].title.startswith("Not the recursive walk")
    walk_facts = {"walk_servers", "aa_set_by", "second_lookup_packets", "cached_ttl"}
    wrong = []
    for lesson in course.lessons:
        for p in lesson.predicts:
            if walkless and lesson.lab == "dns" and p.fact in walk_facts:
                continue
            values = facts.get((lesson.lab or "", p.fact))
            choices = {c.strip().casefold() for c in p.choices}
            if not values or not values <= choices:
                wrong.append(f"{lesson.path}: {p.fact} = {values} not among {p.choices}")
    assert not wrong, "Predict questions the learner cannot get right:\n" + "\n".join(wrong)


@pytest.mark.needs_root
def test_live_runs_show_the_same_glossary_fields(course, offline, monkeypatch):
    """The unprivileged runs stand in for live ones above; check they may.

    Runs whose reconstruction or simulation leaves out a field live capture
    shows (TCP options, for one) are fine, as long as some offline run shows
    every glossary field that some live run shows, and the other way round.
    """
    monkeypatch.setenv(CAPTURE_ENV, "live")
    live = run_all(live=True)
    assert {t.capture for t in live.values()} == {"live"}
    glossary = {name for term in course.glossary.terms for name in term.fields}
    live_only = sorted(glossary & (union(live) - union(offline)))
    offline_only = sorted(glossary & (union(offline) - union(live)))
    assert (live_only, offline_only) == ([], [])
