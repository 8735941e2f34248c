"""`tutor drill report` ends with what matters: the evidence packets in
words (each packet's own sentence, from its bytes) and why the right answer
is right; the evidence packet's fields are those its display filter reads,
every field only with --fields."""

from __future__ import annotations

import pytest
from drill_cli import drill

from labs import api
from labs.drills import registry
from labs.model.numbers import number


@pytest.fixture(autouse=True)
def simulate(monkeypatch, tutor_home):
    monkeypatch.setenv("TUTOR_SIMULATE", "1")


def _main(capsys, *args: str) -> str:
    return drill(capsys, *args)


@pytest.fixture
def answered(capsys, tutor_home):
    """firewall-drop (seed 3), the evidence probe and another run, answered."""
    v = registry.get("firewall-drop").variant(3)
    _main(capsys, "start", "4", "--seed", "3")
    _main(capsys, "probe", "resolve", v.url.split("/")[2])
    kind, arg = v.evidence.probe.split(" ", 1)
    _main(capsys, "probe", kind, arg)
    _main(capsys, "answer", "--layer", "tcp", "--fault", "fw-drop", "--call", "app-team")
    return v, api.drill_report(tutor_home)


def _table(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("| ") and "`" in line]


def test_the_report_ends_with_the_evidence_in_words_and_why(answered, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "1000")  # one paragraph a line, to find them whole
    v, rep = answered
    text = _main(capsys, "report")
    heads = [line for line in text.splitlines() if line.startswith("## ")]
    assert heads[-3:] == [
        "## Diagnosis",
        "## The evidence, in packets",
        "## Why the answer is right",
    ]
    assert text.rstrip().endswith(rep.grade.explanation)
    # Each evidence packet told in its own words, as the dissector read its bytes.
    trace = dict((r.number, t) for r, t in rep.traces)[rep.grade.found.probe_number]
    chosen = api.filter_trace(trace, v.evidence.filter).packets
    assert chosen
    for p in chosen:
        assert f"Packet {number(p.index)} (" in text and p.explain in text
    assert f"\n{v.evidence.filter}\n" in text  # the filter on a line of its own, to copy


def test_the_fields_are_those_the_filter_reads_and_all_with_a_flag(answered, capsys):
    v, rep = answered
    short, full = _table(_main(capsys, "report")), _table(_main(capsys, "report", "--fields"))
    names = {row.split("`")[1] for row in short}
    assert v.evidence.field in names and names <= set(v.evidence.filter.split()) | {
        v.evidence.field
    }
    trace = dict((r.number, t) for r, t in rep.traces)[rep.grade.found.probe_number]
    packet = trace.packets[rep.grade.found.packet]
    every = [f for layer in packet.layers for f in layer.fields if f.filter and not f.secret]
    assert len(full) == len(every) > len(short)
    assert any("`ip.ttl`" in row for row in full)


def test_a_report_written_to_a_file_is_not_wrapped(answered, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")
    out = tmp_path / "r.md"
    _main(capsys, "report", "--out", str(out))
    assert answered[1].grade.explanation in out.read_text()  # one line: Markdown reflows it
