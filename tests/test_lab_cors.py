"""The cors lab against real servers: its own page and API in headless
Chromium (the preflight is the browser's own) and without a browser (tutor
stands in, and says so), in both capture modes; a second API on 127.0.0.1
that knows nothing of CORS as --target; every Wireshark field against tshark."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from apilabs import TSHARK, check_with_tshark
from labrun import run

from labs.api import BadInput, LabError
from labs.catalog.http_api.server import ApiServer

CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="needs Debian's chromium (`make test` installs it as root)"
)
FACTS = {
    "preflight_method": "OPTIONS",
    "simple_get_preflight": "no",
    "blocked_but_received": "yes",
    "delete_sent": "no",
}


def verdicts(trace: Any) -> list[str]:
    table = next(s for s in trace.sections if s.title.startswith("Each call"))
    return [row.split("\t")[2] for row in table.body.splitlines()[1:]]


@needs_chromium
def test_in_chromium(mode) -> None:
    trace = run("cors")
    assert trace.capture == mode
    assert {f.name: f.value for f in trace.facts} == FACTS
    assert verdicts(trace) == [
        "status 200",
        "status 201",
        "blocked (TypeError)",
        "blocked (TypeError)",
    ]
    table = next(s for s in trace.sections if s.title.startswith("Each call")).body
    # The browser's own words for each block, from its console.
    assert table.count("Chromium: Access to fetch at") == 2
    assert "No browser ran" not in trace.capture_note
    methods = [
        p.field("http.request.method").value
        for p in trace.packets
        if p.field("http.request.method")
    ]
    assert "DELETE" not in methods and methods.count("OPTIONS") == 2
    pre = next(
        p
        for p in trace.packets
        if p.field("http.request.method") and p.field("http.request.method").value == "OPTIONS"
    )
    assert "Chrome/" in pre.field("http.user_agent").value


def test_without_a_browser_says_so(mode) -> None:
    trace = run("cors", no_browser=True)
    assert {f.name: f.value for f in trace.facts} == FACTS
    assert "No browser ran" in trace.capture_note and "tutor" in trace.capture_note
    assert any("tutor standing in" in s.title for s in trace.sections)
    assert verdicts(trace) == [
        "status 200",
        "status 201",
        "blocked (TypeError)",
        "blocked (TypeError)",
    ]


@pytest.mark.skipif(TSHARK is None, reason="tshark is not installed")
@pytest.mark.parametrize("browser", [pytest.param(True, marks=needs_chromium), False])
def test_every_field_equals_tsharks(browser, tmp_path) -> None:
    trace = run("cors", no_browser=not browser)
    port = int(trace.packets[0].dst.rpartition(":")[2])
    assert check_with_tshark(trace, tmp_path, (port,)) > 50


@pytest.fixture
def no_cors_api() -> Iterator[str]:
    with ApiServer() as api:
        yield api.url("/orders")


def test_your_api_without_cors_headers(no_cors_api) -> None:
    trace = run("cors", target=no_cors_api, no_browser=True)
    assert verdicts(trace) == ["blocked (TypeError)", "blocked (TypeError)"]
    assert {f.name: f.value for f in trace.facts}["preflight_method"] == "OPTIONS"


@needs_chromium
@pytest.mark.needs_root
def test_your_api_in_chromium_live(no_cors_api, monkeypatch) -> None:
    monkeypatch.setenv("TUTOR_CAPTURE", "live")
    trace = run("cors", target=no_cors_api)
    assert verdicts(trace) == ["blocked (TypeError)", "blocked (TypeError)"]
    # The GET went out (no preflight) and was answered, though the script saw nothing.
    codes = [
        p.field("http.response.code").value for p in trace.packets if p.field("http.response.code")
    ]
    assert codes[0] == "401"


@needs_chromium
def test_your_api_in_chromium_reconstructed_is_one_line(no_cors_api, reconstructed) -> None:
    with pytest.raises(LabError, match="only be captured live"):
        run("cors", target=no_cors_api)


@pytest.mark.parametrize(
    "target, why",
    [("http://203.0.113.5/api", "only an API on this machine"), ("file:///x", "speaks HTTP")],
)
def test_bad_targets_are_one_line(target, why) -> None:
    with pytest.raises(BadInput, match=why):
        run("cors", target=target)
