"""The http2 and websocket lessons and glossary terms (lessons/glossary/
api-today.toml) against real runs of their labs: every Wireshark field a
term names is one the labs show, every fact labs/FACTS.md lists for them is
reported, and every predict question's right answer is among its choices."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from labrun import run

from labs.model.trace import Trace
from tutor.content import Course, load_course

FACTS_MD = Path(__file__).parent.parent / "labs" / "FACTS.md"
LABS = ("http2", "websocket")


@pytest.fixture(scope="module")
def traces() -> dict[str, Trace]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TUTOR_CAPTURE", "reconstructed")
        mp.delenv("SSLKEYLOGFILE", raising=False)
        return {
            "http2": run("http2", timeout=5),
            "http2 --h2c": run("http2", timeout=5, h2c=True),
            "websocket": run("websocket", timeout=5),
        }


@pytest.fixture(scope="module")
def course() -> Course:
    return load_course()


def _emitted(trace: Trace) -> set[str]:
    return {f.filter for p in trace.packets for layer in p.layers for f in layer.fields if f.filter}


def test_the_new_terms_and_lessons_load(course):
    ids = {t.id for t in course.glossary.terms if "api-today.toml" in t.path}
    assert {"hpack", "http2-stream", "websocket-masking", "idle-timeout"} <= ids
    lessons = {lesson.id: lesson for lesson in course.lessons}
    assert lessons["http2"].lab == "http2" and lessons["websockets"].lab == "websocket"
    mine = [str(p) for p in course.problems if "api-today" in str(p) or "06-http/0" in str(p)]
    assert mine == []


def test_every_field_a_new_term_names_is_shown_by_a_lab(course, traces):
    shown = set().union(*(_emitted(t) for t in traces.values()))
    missing = [
        f"{t.id}: {name}"
        for t in course.glossary.terms
        if "api-today.toml" in t.path
        for name in t.fields
        if name not in shown
    ]
    assert missing == []


def _listed(lab: str) -> set[str]:
    names = set()
    for line in FACTS_MD.read_text(encoding="utf-8").splitlines():
        m = re.match(r"\|\s*([a-z0-9-]+)\s*\|\s*([a-z0-9_]+)\s*\|", line)
        if m and m.group(1) == lab:
            names.add(m.group(2))
    return names


def test_every_listed_fact_is_reported_with_its_evidence(traces):
    for lab in LABS:
        reported = {f.name for f in traces[lab].facts}
        assert _listed(lab) == reported, lab
        for fact in traces[lab].facts:
            assert fact.filter in _emitted(traces[lab]), (lab, fact.name)
            assert fact.packets, (lab, fact.name)
    # In clear there is no TLS, so no ALPN to report.
    assert {f.name for f in traces["http2 --h2c"].facts} == _listed("http2") - {"alpn_choice"}


def test_predict_answers_are_among_the_choices(course, traces):
    for lesson in course.lessons:
        if lesson.lab not in LABS:
            continue
        for p in lesson.predicts:
            value = traces[lesson.lab].fact(p.fact)
            assert value is not None, (lesson.id, p.fact)
            choices = [c.strip().casefold() for c in p.choices]
            assert value.value.strip().casefold() in choices, (lesson.id, p.fact, value.value)
