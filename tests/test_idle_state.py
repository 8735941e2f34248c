"""A conversation idle for a sweep is kept as bytes by the Session (its
protocol and Streams) and by the narration's Roles (its handshake numbers),
and comes back whole when a packet of it comes again: every packet reads
the same as if nothing had been frozen (issue 16 item 10, issue 10 item 6)."""

from __future__ import annotations

from pathlib import Path

import pytest

from labs.dissect import idle
from labs.dissect.core import dissect_all
from labs.dissect.layers import Session
from labs.dissect.narrate import Roles
from labs.files.pcapio import read_capture

DATA = Path(__file__).parent / "data"
#: the stored captures, those of other programs (FTP's two connections,
#: interleaved lookups, a port scan) and third parties'
CAPTURES = [
    p
    for folder in ("pcaps", "programs", "thirdparty")
    for p in sorted((DATA / folder).iterdir())
    if p.suffix in (".pcap", ".pcapng")
]


@pytest.mark.parametrize("every", [1, 3])
def test_frozen_conversations_read_the_same(monkeypatch, every):
    expected = {p: dissect_all(read_capture(p)[0]) for p in CAPTURES}
    monkeypatch.setattr(idle, "SWEEP", every)
    frozen = {"session": 0, "roles": 0, "thawed": 0}
    freeze_session, freeze_roles, thaw = idle.freeze_session, idle.freeze_roles, idle.thaw_session

    def count(kind, real):
        def counted(*args):
            blob = real(*args)
            frozen[kind] += blob is not None
            return blob

        return counted

    def thawing(*args):
        frozen["thawed"] += 1
        thaw(*args)

    monkeypatch.setattr(idle, "freeze_session", count("session", freeze_session))
    monkeypatch.setattr(idle, "freeze_roles", count("roles", freeze_roles))
    monkeypatch.setattr(idle, "thaw_session", thawing)
    for p in CAPTURES:
        assert dissect_all(read_capture(p)[0]) == expected[p], p.name
    assert all(frozen.values()), frozen


def test_a_frozen_conversation_comes_back_whole(monkeypatch):
    """Both directions' Streams share one `shared` dict again, `expect`
    is the Session's own, and the handshake numbers are the ones kept."""
    monkeypatch.setattr(idle, "SWEEP", 2)
    session = Session()
    a, b = ("10.0.0.1", 4000), ("10.0.0.2", 80)
    conv = frozenset((a, b))
    session.protos[conv] = "http"
    there, back = session.stream(*a, *b), session.stream(*b, *a)
    there.state["held"] = bytearray(b"GET /")
    back.shared["methods"] = ["GET"]
    session.expected[2121] = "ftp-data"
    assert session.proto(conv) == "http"
    other = frozenset((("10.0.0.1", 4001), b))
    for _ in range(3):
        session.proto(other)  # the third call sweeps: `conv` was idle since the last sweep
    assert conv not in session.protos and not session.streams and session.frozen
    assert session.proto(conv) == "http"
    there2, back2 = session.stream(*a, *b), session.stream(*b, *a)
    assert there2.state == {"held": bytearray(b"GET /")}
    assert there2.shared is back2.shared and back2.shared == {"methods": ["GET"]}
    assert there2.expect is session.expected

    roles = Roles()
    roles.touch("c:1", "s:80")
    roles.syns[("c:1", "s:80")], roles.isn[("s:80", "c:1")] = 3, 77
    roles.fin[("c:1", "s:80")] = 9
    for _ in range(3):
        roles.touch("c:2", "s:80")
    assert not roles.isn and roles.frozen
    roles.touch("s:80", "c:1")
    assert roles.syns == {("c:1", "s:80"): 3} and roles.isn == {("s:80", "c:1"): 77}
    assert roles.fin == {("c:1", "s:80"): 9}
