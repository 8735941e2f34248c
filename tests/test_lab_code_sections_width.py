"""Behaviour kept: a lab's "code" section is printed exactly as written (the
CLI indents it 4 columns and never wraps it, so commands, config and key logs
paste whole). Prose in such a section is therefore laid out by the lab itself:
on every stored run, a line of words fits 76 columns (80 with the indent).
Real code, headers, bodies, hashes and kernel lines may stay as long as they
are; a line counts as prose only when it reads as words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from labs.model.trace_file import read_trace_file

GOLDEN = Path(__file__).parent / "data" / "golden"
LABS = ("http-api", "cors", "slow-network", "gateway-nat", "oauth", "tls")
RUNS = sorted(p for lab in LABS for p in (GOLDEN / lab).glob("*/trace.json"))
#: 80 columns less the CLI's indent of a code section.
WIDTH = 76
#: A word as prose writes it: letters, maybe capitalised, hyphenated or with
#: an apostrophe, maybe in brackets or followed by punctuation ("(the", "it,").
_WORD = re.compile(r"\(?[A-Za-z][a-z]*(?:['’-][a-z]+)*[,.:;!?)]*")
#: Five such words in a row are a sentence, not a command or a header value.
_RUN = 5
#: A sentence ending and the next one starting on the same line.
_SENTENCES = re.compile(r"[a-z)][.;] [A-Z(]")


def is_prose(line: str) -> bool:
    text = line.strip()
    if text[:1] in ('"', "{", "["):
        # A line of a JSON body: what the server sent, shown as sent.
        return False
    run = longest = 0
    for token in text.split():
        run = run + 1 if _WORD.fullmatch(token) else 0
        longest = max(longest, run)
    return longest >= _RUN or bool(_SENTENCES.search(text))


def test_the_rule_tells_prose_from_code() -> None:
    assert is_prose("Only if these allow it does the browser send the real request")
    assert is_prose("mechanism: a forwarder process in router 1 that holds frames")
    assert not is_prose("curl -i -H 'X-API-Key: demo' 'http://127.0.0.1:1/orders?page=1'")
    assert not is_prose('  Link: </orders?page=2>; rel="next", </orders?page=1>; rel="first"')
    assert not is_prose("ipv4     2 tcp      6 119 TIME_WAIT src=192.168.1.23 dst=203.0.113.80")
    assert not is_prose('    "message": "Send your API key in X-API-Key or as Authorization."')
    assert not is_prose("your laptop   ---- router 1 (the slow link) ---- router 2")


@pytest.mark.parametrize("path", RUNS, ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}")
def test_prose_in_a_code_section_fits_80_columns(path: Path) -> None:
    trace = read_trace_file(path)
    wide = [
        f"[{section.title}] {len(line)}: {line}"
        for section in trace.sections
        if section.kind == "code"
        for line in section.body.splitlines()
        if len(line) > WIDTH and is_prose(line)
    ]
    assert not wide, "\n".join(wide)
