"""The drills without root (TUTOR_SIMULATE=1): the same facts, simulated,
labelled SIMULATED everywhere; the CLI end to end; bad input in one line."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from labs import api
from labs.drills import grading, registry


@pytest.fixture(autouse=True)
def simulate(monkeypatch):
    monkeypatch.setenv("TUTOR_SIMULATE", "1")


def _tutor(*args: str) -> subprocess.CompletedProcess[str]:
    """`tutor drill ARGS` as a learner runs it (a process of its own)."""
    return subprocess.run(
        [sys.executable, "-m", "tutor", "drill", *args],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def _main(capsys, *args: str) -> tuple[int, str, str]:
    """`tutor drill ARGS` in this process (quicker), through the same entry point."""
    from tutor.cli import main

    code = main(["drill", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_there_are_at_least_ten_drills_each_with_three_hints_and_its_answer_among_the_choices():
    drills = api.drill_list()
    assert len(drills) >= 10
    for info in drills:
        for seed in range(1, 6):
            v = registry.get(info.id).variant(seed)
            assert v == registry.get(info.id).variant(seed)  # seeded: the same variant again
            assert len(v.hints) == 3 and len(v.faults) == 5
            assert v.answer.fault in [c.key for c in v.faults]
            assert v.answer.call in [c.key for c in v.calls]


@pytest.mark.parametrize(
    ("drill", "seed"),
    [(d.id, 1) for d in api.drill_list()] + [("no-route", 3), ("tls-certificate", 3)],
)
def test_simulated_drill_shows_the_fault_and_grades(drill, seed, tutor_home):
    v = registry.get(drill).variant(seed)
    st = api.drill_start(tutor_home, drill, seed)
    assert st.mode == "simulated" and "SIMULATED" in st.label
    kind, arg = v.evidence.probe.split(" ", 1)
    result = api.drill_probe(tutor_home, kind, arg)
    assert result.simulated and result.words.startswith("SIMULATED")
    assert result.trace is not None and result.trace.capture == "simulated"
    assert "SIMULATED" in result.trace.capture_note
    traces = [(r, r.trace) for r, _t in api.drill_report(tutor_home).traces]
    found = grading.find(v, traces)
    assert found.probe_number == 1, f"{v.evidence.filter} matches nothing"
    packet = traces[0][1].packets[found.packet]
    assert v.evidence.value in [f.value for f in packet.fields(v.evidence.field)]
    wrong = next(c.key for c in v.calls if c.key != v.answer.call)
    grade = api.drill_answer(tutor_home, v.answer.layer, v.answer.fault, wrong)
    assert not grade.correct and not grade.call.right and grade.fault.right
    with pytest.raises(api.LabError, match="simulated"):
        api.drill_save_pcap(api.drill_report(tutor_home), tutor_home / "x.pcap")
    assert api.drill_stop(tutor_home) and api.drill_state(tutor_home) is None


def test_cli_plays_a_simulated_drill_and_keeps_progress(tutor_home, tmp_path, capsys):
    code, out, _err = _main(capsys, "start", "firewall-reject", "--seed", "2", "--json")
    assert code == 0
    st = json.loads(out)
    assert st["simulated"] is True and st["mode"] == "simulated"
    probe = _tutor(
        "probe", "connect", "api.shop.example:443"
    )  # another process: the drill persists
    assert probe.returncode == 0 and probe.stdout.startswith("SIMULATED")
    assert "refused" in probe.stdout
    code, out, _err = _main(
        capsys, "probe", "capture", "--", "connect", "api.shop.example:80", "--json"
    )
    data = json.loads(out)
    assert data["simulated"] is True and data["trace"]["capture"] == "simulated"
    hint = _main(capsys, "hint")[1]
    assert hint.startswith("SIMULATED") and "Hint 1 of 3" in hint
    code, out, _err = _main(capsys, "answer", "--layer", "tcp", "--fault", "fw-reject", "--call",
                            "firewall", "--note", "ttl 64")  # fmt: skip
    assert code == 0 and "All three right" in out and out.startswith("SIMULATED")
    report = tmp_path / "r.md"
    code, out, _err = _main(capsys, "report", "--out", str(report))
    assert code == 0 and "no pcap" in out
    text = report.read_text()
    assert "SIMULATED" in text and "`ip.ttl`" in text and "ttl 64" in text
    assert (report.stat().st_mode & 0o777) == 0o600 and not report.with_suffix(".pcap").exists()

    from tutor.progress import Store
    from tutor.progress_drill import runs, statuses

    store = Store.open()
    try:
        (run,) = runs(store)
        assert (run.drill_id, run.seed, run.mode, run.hints) == (
            "firewall-reject",
            2,
            "simulated",
            1,
        )
        assert (
            run.correct and run.note == "ttl 64" and statuses(store) == {"firewall-reject": "done"}
        )
    finally:
        store.close()
    assert _main(capsys, "stop")[0] == 0


BAD = [
    ("start", "no-such-drill"),
    ("start", "dns-nxdomain", "--seed", "-1"),
    ("probe", "resolve", "api.shop.example"),  # no drill running
    ("answer", "--layer", "dns", "--fault", "x", "--call", "y"),
    ("hint",),
    ("report",),
]

BAD_PROBES = [
    ("connect", "api.shop.example"),
    ("connect", "api.shop.example:99999"),
    ("fetch", "ftp://api.shop.example/"),
    ("fetch", "http://api.shop.example/", "--upload", "lots"),
    ("fetch", "http://api.shop.example/", "count=99"),
    ("resolve", "bad name!"),
    ("resolve", "api.shop.example@not-an-ip"),
    ("capture", "--", "ping", "x"),
    ("trace",),
]


def test_bad_input_is_one_line_and_exit_2(tutor_home, capsys):
    proc = _tutor(*BAD[0])  # once as its own process: nothing but the one line
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    for args in BAD[1:]:
        code, _out, err = _main(capsys, *args)
        assert code == 2 and err.count("\n") == 1 and err.startswith("tutor: "), args
    assert _main(capsys, "start", "dns-nxdomain", "--seed", "1")[0] == 0
    for probe in BAD_PROBES:
        code, _out, err = _main(capsys, "probe", *probe)
        assert code == 2 and err.count("\n") == 1 and err.startswith("tutor: "), probe
    code, _out, err = _main(
        capsys, "answer", "--layer", "dns", "--fault", "nope", "--call", "dns-admin"
    )
    assert code == 2 and "not one of the choices" in err
    assert _main(capsys, "stop")[0] == 0


def test_list_without_root_says_why_in_the_drills_words(monkeypatch, capsys):
    from types import SimpleNamespace

    monkeypatch.delenv("TUTOR_SIMULATE")
    reason = "Building routers in network namespaces needs root; the routing labs will run their simulated version."
    monkeypatch.setattr(api, "namespaces", lambda: SimpleNamespace(ok=False, reason=reason))
    code, out, _err = _main(capsys, "list")
    first = out.splitlines()[0]
    assert code == 0 and first.startswith("SIMULATED here")
    assert "needs root" in first and "routing labs" not in first, first
    code, out, _err = _main(capsys, "list", "--json")
    assert all(d["simulated"] for d in json.loads(out))
