"""Glossary terms from a capture join the review when the learner meets them:
when the text on screen about a packet or a field names the protocol it
belongs to (TCP for tcp.srcport). Opening a capture used to add every term
any of its fields touched (99 of the real glossary's for http.pcap), then
every field's own term the learner browsed (Checksum, TTL: 42 waiting after
two lessons and a lab); a header field's term now joins from its lesson."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, Tree
from ui_helpers import loaded

from tutor.app import make_app
from tutor.content import course as installed_course
from tutor.progress import Store
from tutor.review import Review
from tutor.screens.capture import CaptureRequest
from tutor.screens.review import ReviewScreen

HTTP = Path(__file__).resolve().parent.parent / "data" / "pcaps" / "http.pcap"


def said(app: object) -> list[str]:
    return [n.message for n in app._notifications if "review" in n.message]  # type: ignore[attr-defined]


async def settle(pilot: object) -> None:
    """Past the short wait that gathers the terms met into one notification."""
    await pilot.pause(1.2)  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]


async def test_opening_a_capture_adds_no_header_field_terms():
    store = Store.memory()
    app = make_app(installed_course(), store, capture=CaptureRequest(str(HTTP)))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await settle(pilot)
        # Packet 0 says "... to open a conversation (SYN), proposing sequence
        # number ...": SYN and Sequence number join from the TCP lessons.
        assert Review(store).due_terms() == [] and said(app) == []


async def test_terms_join_as_the_learner_opens_packets_and_fields(course):
    store = Store.memory()
    app = make_app(course, store, capture=CaptureRequest(str(HTTP)))
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await loaded(pilot)
        await settle(pilot)
        # The fixture glossary's terms with fields: none named by packet 0's narration.
        assert Review(store).due_terms() == [] and said(app) == []
        tree = screen.query_one("#fields", Tree)
        tree.focus()
        # Packet 0's fields, from the top protocol's first: Source port, in TCP.
        await pilot.press("down")
        await settle(pilot)
        assert Review(store).due_terms() == ["tcp"]
        assert said(app) == ["Joined your review: TCP. R reviews it."]
        app.clear_notifications()
        await pilot.press("R")
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen) and app.screen.current == "tcp"
        await pilot.press("escape")
        await pilot.pause()
        # Back on the packet: the term already in the deck is not said again.
        await pilot.press("up", "down")
        await settle(pilot)
        assert said(app) == []
        # A reload says nothing new either.
        await pilot.press("r")
        await loaded(pilot)
        await settle(pilot)
        assert said(app) == [] and Review(store).due_terms() == ["tcp"]
        screen.query_one("#packets", DataTable).focus()


async def test_terms_met_just_before_the_capture_closes_are_still_said(course):
    store = Store.memory()
    app = make_app(course, store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.clear_notifications()
        app.open_capture(CaptureRequest(str(HTTP)))
        screen = await loaded(pilot)
        screen.query_one("#fields", Tree).focus()
        await pilot.press("down")  # Source port, in TCP
        await pilot.press("escape")  # closed at once, within the wait
        await pilot.pause()
        assert said(app) == ["Joined your review: TCP. R reviews it."]
