"""Encrypted records a TLS server sends after the handshake and before the
client asks anything answer no request: in TLS 1.3 they are typically
session tickets (NewSessionTicket, RFC 8446 §4.6.1) or the rest of the
server's encrypted handshake, which the encryption hides. tutor keeps them
in the handshake's step and bar, says what the bytes show, and never calls
them a response."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from explain_runs import parallel, serial

from labs.files import explain
from labs.files.explain import explain_file

DATA = Path(__file__).parent / "data"
RESUME = DATA / "programs" / "tls13-resume.pcapng"
HRR = DATA / "pcaps" / "tls13-hrr.pcapng"


@pytest.fixture(autouse=True)
def forking(monkeypatch):
    monkeypatch.setattr(explain, "_can_fork", lambda: True)


def _step_of(trace, index):
    return next(s for s in trace.steps if index in s.packets)


def test_records_before_the_first_request_are_no_response():
    trace = explain_file(RESUME)
    # #9 and #10 (index 8, 9): 250 encrypted bytes each from the server,
    # after the client's Finished (#8) and before its request (#12).
    for index in (8, 9, 27):
        step = _step_of(trace, index)
        assert step.name == "tls", (index, step.title)
    first = _step_of(trace, 8)
    assert first.packets[0] == 3 and first.packets[-1] == 10  # #4 to #11
    assert (
        "192.0.2.1:443 sends 2 packets of encrypted records before 192.0.2.2:47542 sends anything beyond its handshake"
        in first.explain
    )
    assert "before 192.0.2.2:47542 sends any" in first.explain
    assert "NewSessionTicket, RFC 8446 §4.6.1" in first.explain
    assert "hides which" in first.explain
    assert _step_of(trace, 11).name == "request"
    assert _step_of(trace, 12).name == "response"
    names = [s.name for s in trace.steps]
    # A response only ever follows a request.
    for k, name in enumerate(names):
        if name == "response":
            assert names[k - 1] == "request", names


def test_the_waterfall_draws_them_in_the_handshake_bar():
    trace = explain_file(RESUME)
    tls = [p for p in trace.waterfall if p.name == "tls"]
    assert [(p.packets[0], p.packets[-1]) for p in tls] == [(3, 9), (22, 27)]  # to the last record
    requests = [p.packets for p in trace.waterfall if p.name == "request"]
    assert requests == [(11,), (28,)]  # #12 and #29: the requests, not a Finished


def test_after_a_hello_retry_the_server_flight_is_no_response():
    trace = explain_file(HRR)
    step = _step_of(trace, 9)  # #10: the rest of the server's encrypted flight
    assert step.name == "tls"
    assert "192.0.2.1:4433 sends 1 packet of encrypted records" in step.explain
    assert [s.name for s in trace.steps].count("response") == 1
    requests = [p.packets for p in trace.waterfall if p.name == "request"]
    assert requests == [(11, 12)]


@pytest.mark.parametrize("path", [RESUME, HRR])
def test_one_process_and_two_say_the_same(path):
    text = parallel(path)
    assert text == serial(path)
    steps = json.loads(text)["steps"]
    assert steps[2]["name"] != "response"
