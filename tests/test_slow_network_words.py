"""What the slow-network lab says at a delay other than the default and
after an MTU run: the first-byte fact counts whole round trips of the delay
the learner chose (3 x 50 ms is 150 ms, not "200 ms"), the predict question
names the delay it is about, and a run that lost nothing at random does not
say "Router 1 dropped 0 frames"."""

from __future__ import annotations

import importlib
from dataclasses import replace
from pathlib import Path

from labrun import run

from labs.kit import load_recording
from labs.model.trace import Trace
from tutor.content import load_course

ROOT = Path(__file__).parent.parent
GOLDEN = ROOT / "tests" / "data" / "golden" / "slow-network"
RUN = importlib.import_module("labs.catalog.slow_network.run")
LOST = "What TCP did about the lost packets"


def explained(variant: str, **result: object) -> Trace:
    rec = load_recording(GOLDEN / variant / "recording.json", RUN.RESULT)
    rec = replace(rec, result=replace(rec.result, **result))
    trace: Trace = RUN.explain(rec)
    return trace


def section(trace: Trace, title: str) -> str:
    return next(s.body for s in trace.sections if s.title == title)


def test_first_byte_at_50_ms_is_three_of_its_round_trips():
    trace = run("slow-network", simulate=True, delay="50")
    fact = trace.fact("first_byte_ms")
    assert fact is not None and fact.value == "150 ms", fact
    # The question is about the default; a run at another delay says so.
    assert "--delay 100" in fact.explain and "300 ms" in fact.explain


def test_the_predict_question_names_the_delay_it_is_about():
    course = load_course(ROOT / "lessons")
    lesson = next(les for les in course.lessons if les.id == "slow-network")
    predict = next(p for p in lesson.predicts if p.fact == "first_byte_ms")
    assert "--delay 100" in predict.question
    assert "300 ms" in predict.choices


def test_an_mtu_run_that_lost_nothing_at_random_says_what_was_lost():
    body = section(explained("mtu-1280"), LOST)
    assert "dropped 0 frames" not in body and "(none)" not in body
    assert body.startswith("Nothing was lost at random (no --loss)"), body
    assert "1280-byte link" in body


def test_a_black_hole_run_says_the_icmp_was_dropped():
    body = section(explained("mtu-1280", blackhole=True), LOST)
    assert "dropped 0 frames" not in body
    assert "firewall dropped the ICMP" in body, body
