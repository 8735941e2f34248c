"""Output into a pipe is as wide as COLUMNS says (`tutor.tracetext.text_width`),
as a new user met it at `COLUMNS=80 tutor ... | cat`: the lab list, `tutor
diff`, and a lab's tables, where a Wireshark field name, a URL or a filter is
never split across lines (copied into `--filter`, half a name is a wrong one)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from labs.model.trace import Trace, loads
from tutor import texttable, tracediff
from tutor.tracetext import render

ROOT = Path(__file__).parent.parent
GOLDEN = ROOT / "tests" / "data" / "golden"
HANDSHAKE = GOLDEN / "tcp-handshake" / "default" / "trace.json"
HTTP = GOLDEN / "http-api" / "default" / "trace.json"
TLS = GOLDEN / "tls" / "default" / "trace.json"
TABLES = sorted(GOLDEN.glob("*/*/trace.json"))


def _trace(path: Path) -> Trace:
    return loads(path.read_text(encoding="utf-8"))


def _cli(*args: str, columns: int = 80) -> str:
    env = {**os.environ, "COLUMNS": str(columns)}
    out = subprocess.run(
        [sys.executable, "-m", "tutor.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def _words(text: str) -> Counter[str]:
    return Counter(text.split())


def _fits(lines: list[str], width: int) -> list[str]:
    """The lines past `width` other than one word alone (a name longer than
    the line gets a line of its own)."""
    return [line for line in lines if len(line) > width and len(line.split()) > 1]


@pytest.mark.parametrize("columns", [60, 80])
def test_the_lab_list_in_a_pipe_is_as_wide_as_columns(columns):
    out = _cli("lab", columns=columns)
    assert not _fits(out.splitlines(), columns)
    wide = _cli("lab", columns=1000)
    assert _words(out) == _words(wide)  # wrapped between words, nothing lost or cut


def test_tutor_diff_in_a_pipe_is_as_wide_as_columns():
    long_a = str(HANDSHAKE.relative_to(ROOT))
    out = _cli("diff", long_a, str(HTTP.relative_to(ROOT)))
    lines = out.splitlines()
    assert not _fits(lines, 80)
    assert "different labs" in out
    assert long_a in out  # a path is a name: never cut


def test_diff_render_takes_a_width():
    a, b = _trace(HANDSHAKE), _trace(HTTP)
    names = ("/tmp/some/rather/long/folder/first-run.json", "/tmp/another/folder/second-run.json")
    for width in (60, 80):
        lines = tracediff.render(a, b, names, width=width).splitlines()
        assert not _fits(lines, width), width


def _with_body(trace: Trace, body: str) -> Trace:
    """`trace` with its first response body said as `body`."""
    done = False
    packets = []
    for p in trace.packets:
        layers = []
        for layer in p.layers:
            fields = []
            for f in layer.fields:
                if f.filter == "http.file_data" and not done:
                    f = replace(f, value=body, show=body)
                    done = True
                fields.append(f)
            layers.append(replace(layer, fields=tuple(fields)))
        packets.append(replace(p, layers=tuple(layers)))
    assert done
    return replace(trace, packets=tuple(packets))


def test_a_changed_body_is_a_body_in_one_line_not_a_header():
    a = _trace(HTTP)
    b = _with_body(a, '{"id": 43, "status": "open"}\n')
    lines = tracediff.diff(a, b)
    assert not [line for line in lines if "header" in line and "http.file_data" in line]
    assert all("\n" not in line for line in lines)
    bodies = [line for line in lines if line.startswith("body")]
    assert bodies and any('{"id": 43, "status": "open"}' in line for line in bodies)
    text = tracediff.render(a, b, width=80)
    assert "\n\n" not in text


def _fields(trace: Trace) -> set[str]:
    return {f.filter for p in trace.packets for la in p.layers for f in la.fields if f.filter}


@pytest.mark.parametrize("width", [60, 80, 100])
def test_a_field_name_in_the_tls_table_is_never_split(width):
    trace = _trace(TLS)
    text = render(trace, full=False, width=width)
    names = [n for n in _fields(trace) if n.startswith("tls.handshake.ext")]
    assert names
    table = next(s for s in trace.sections if s.kind == "table" and "tls.handshake" in s.body)
    for name in names:
        if name in table.body:
            assert name in text, name
    said = text.split(table.title)[1].split("\n\n")[0].splitlines()
    assert not _fits(said, width)


@pytest.mark.parametrize("path", TABLES, ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}")
@pytest.mark.parametrize("width", [60, 80])
def test_no_table_cuts_a_word(path, width):
    """Each word of every lab table (a URL, a DNS name, a filter) is in the
    text whole; a line is no wider than the width unless it is one word."""
    for s in _trace(path).sections:
        if s.kind != "table":
            continue
        lines = texttable.table(s.body, width)
        # A column laid under its row says its header with a colon ("What came back:").
        said = Counter(w.removesuffix(":") for w in "\n".join(lines).split())
        lost = Counter(w.removesuffix(":") for w in s.body.split()) - said
        assert not lost, (s.title, sorted(lost)[:5])
        assert not _fits(lines, width), s.title


def test_a_word_longer_than_its_column_gets_a_line_of_its_own():
    name = "tls.handshake.extensions.supported_version"
    body = f"a\tb\nshort\t{name} and some words\n"
    lines = texttable.table(body, 30)
    assert any(line.strip() == name for line in lines), lines


def test_the_tunnel_note_fits_80_columns():
    text = render(_trace(TLS), full=True, width=80)
    part = text.split("Inside the encrypted tunnel")[1].split("[")[0]
    assert "Recorded at the client" in part
    assert all(len(line) <= 80 for line in part.splitlines())


def test_a_retransmit_step_says_it_plainly():
    from labs.api import explain_file

    trace = explain_file(str(ROOT / "tests" / "data" / "pcaps" / "lossy-http.pcapng"))
    said = [s.explain for s in trace.steps if s.name.startswith("retransmit")]
    assert said
    for text in said:
        assert "resend data sent before that" not in text
        assert "had not acknowledged yet" in text
