"""What a new user reads in `tutor lab run` and `tutor explain`: facts in
words with their units (never the key a lesson looks them up by), steps by
their titles, every time in the unit that suits it, and tables that wrap
between words so a summary stays short at 80 columns, as the README says."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from labs.model.trace import Fact, Packet, Trace, from_json, loads, to_json
from tutor import texttable, tracediff
from tutor.timetext import took
from tutor.tracetext import render

GOLDEN = Path(__file__).parent / "data" / "golden"
LAB_RUNS = sorted(p for p in GOLDEN.glob("*/*/trace.json") if p.parent.parent.name != "explain")
EVERY = LAB_RUNS + sorted((GOLDEN / "explain").glob("*.json"))


def golden(name: str) -> Trace:
    return loads((GOLDEN / name).read_text(encoding="utf-8"))


def _mss_trace(**kw: object) -> Trace:
    fact = Fact(
        "client_mss",
        "65495",
        "The biggest chunk of data the client will take in one segment (#1).",
        (0,),
        "tcp.options.mss_val",
        label="Largest segment the client takes (MSS)",
        unit="bytes",
    )
    packets = (Packet(0, 0.0, "a", "b", "TCP SYN", "00", ""),)
    return Trace("tcp-handshake", "", "live", (), packets, facts=(fact,), **kw)  # type: ignore[arg-type]


def test_a_fact_reads_in_words_with_its_unit_not_by_its_key():
    summary = render(_mss_trace(), full=False)
    said = "  Largest segment the client takes (MSS): 65495 bytes (packet 1, tcp.options.mss_val)"
    assert said in summary.splitlines()
    assert "client_mss" not in summary and "The biggest chunk" not in summary
    assert "The biggest chunk of data" in render(_mss_trace())  # --full explains it


def test_the_key_and_the_value_stay_what_predictions_compare():
    data = to_json(_mss_trace())
    fact = data["facts"][0]
    assert (fact["name"], fact["value"]) == ("client_mss", "65495")
    assert (fact["label"], fact["unit"]) == ("Largest segment the client takes (MSS)", "bytes")
    # A trace written before labels reads back, and still reads in words.
    del fact["label"], fact["unit"]
    old = from_json(json.loads(json.dumps(data)))
    assert old.facts[0].reads() == ("client mss", "65495")


@pytest.mark.parametrize("path", LAB_RUNS, ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}")
def test_every_labs_facts_have_learner_words(path):
    trace = loads(path.read_text(encoding="utf-8"))
    for fact in trace.facts:
        assert fact.label and not re.fullmatch(r"[a-z0-9_ ]+", fact.label), fact.name


def test_the_tui_and_tutor_diff_use_the_same_words():
    from tutor.screens.trace_view import meaning_blocks

    text = "\n".join(body for _, body in meaning_blocks(_mss_trace(), False))
    assert "**Largest segment the client takes (MSS): 65495 bytes**" in text
    assert "client mss" not in text
    a = golden("tcp-handshake/default/trace.json")
    fact = a.fact("client_mss")
    assert fact is not None
    b = Trace(**{**a.__dict__, "facts": (Fact(**{**fact.__dict__, "value": "1460"}),)})
    said = [line for line in tracediff.diff(a, b) if "MSS" in line]
    assert said == ["fact Largest segment the client takes (MSS): 65495 bytes -> 1460 bytes"]


def test_steps_are_said_by_their_titles_never_their_ids():
    full = render(golden("explain/tls.pcap.json"))
    assert "1. Open the connection (TCP handshake)  at 0 µs, took 44 µs  packets 1-3" in full
    assert not re.search(r"\[(tcp-connect|tls|request|response|close|other)\]", full)
    walk = golden("dns/recursive/trace.json")
    steps = render(walk, full=False, width=80).split("\nSteps\n")[1].split("\n\n")[0]
    assert "dns ×" not in steps
    assert steps.startswith("  18 steps: your computer -> the resolver ×7; the resolver ->")


def test_one_formatter_for_every_duration():
    cases = {
        0: "0 µs",
        4e-7: "<1 µs",
        5e-6: "5 µs",
        0.000711: "711 µs",
        0.0009996: "1.0 ms",
        0.0028: "2.8 ms",
        0.0324: "32.4 ms",
        0.613: "613 ms",
        2.73: "2730 ms",
        30.39: "30.4 s",
        125: "2 min 5 s",
    }
    assert {s: took(s) for s in cases} == cases


@pytest.mark.parametrize("path", EVERY, ids=lambda p: p.parent.name + "/" + p.name)
def test_no_time_reads_zero_in_a_unit_too_large_for_it(path):
    trace = loads(path.read_text(encoding="utf-8"))
    timed = [
        line
        for line in render(trace).splitlines()
        if "took" in line or "|" in line and "█" in line or re.match(r"  #\d+ +\+", line)
    ]
    assert not [line for line in timed if re.search(r"\b0\.0+ (ms|s)\b", line)]


def test_the_header_says_what_each_time_measures():
    trace = golden("http-api/default/trace.json")
    lines = render(trace, full=False, width=80).splitlines()
    header = " ".join(lines[: lines.index("Steps")])
    assert re.search(
        r"\d+ packets over [\d.]+ (µs|ms|s); the whole run took \d+ ms, starting", header
    )
    water = next(line for line in lines if line.startswith("Timing waterfall"))
    assert re.fullmatch(
        r"Timing waterfall \(0 to [\d.]+ ms after the first packet(; packets until [\d.]+ ms)?\)",
        water,
    )


def test_a_table_keeps_phrases_whole_at_80_columns():
    walk = golden("dns/recursive/trace.json")
    text = render(walk, full=False, width=80)
    part = text.split("The walk: who asked whom")[1].split("\n\n")[0].splitlines()[1:]
    assert all(len(line) <= 80 for line in part)
    rows = len(walk.steps)
    # Two lines a question (three where a name wraps), not six.
    assert len(part) <= 2 + 3 * rows
    assert sum("your computer -> the resolver" in line for line in part) == 7
    assert "What came back: A 192.0.2.10 TTL 300" in text


def test_a_narrow_table_wraps_between_words_and_puts_its_widest_column_under():
    head = "Packets\tWho asks whom\tQuestion\tWhat came back\tAA"
    row = "#1, #2\tthe resolver -> the root server\tA api.edge.shop.example.\t"
    row += "CNAME api.edge.shop.example. TTL 60; A 192.0.2.20 TTL 30\t1"
    lines = texttable.table("\n".join([head] + [row] * 6), width=72)
    assert all(len(line) <= 72 for line in lines)
    # Each column at least its longest word: no name cut, no phrase a word a line.
    assert sum("the resolver -> the root server" in line for line in lines) == 6
    assert sum("api.edge.shop.example." in line for line in lines) == 12
    assert "           What came back: CNAME api.edge.shop.example. TTL 60; A" in lines
    assert len(lines) == 2 + 3 * 6


@pytest.mark.parametrize("path", EVERY, ids=lambda p: p.parent.name + "/" + p.name)
def test_the_summary_at_80_columns_is_as_the_readme_says(path):
    trace = loads(path.read_text(encoding="utf-8"))
    lines = render(trace, full=False, width=80).splitlines()
    assert max(len(line) for line in lines) <= 80
    walk = path.parent.name == "recursive"
    assert len(lines) <= (120 if walk else 90)
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    assert "at 80 columns a summary takes at most 90 lines\n(120 for the dns lab's" in readme
