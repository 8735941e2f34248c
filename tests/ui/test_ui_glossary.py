"""The glossary screen: search as you type, the entry, related terms, and
keys that must type rather than act while the search box has focus."""

from __future__ import annotations

from textual.widgets import Input, OptionList, Static
from ui_helpers import SIZE, text

from tutor.screens.glossary import GlossaryScreen
from tutor.screens.outline import OutlineScreen
from tutor.widgets.term_view import TermView


def results(screen: GlossaryScreen) -> list[str]:
    options = screen.query_one("#results", OptionList)
    return [options.get_option_at_index(i).id for i in range(options.option_count)]


async def open_glossary(pilot) -> GlossaryScreen:
    await pilot.pause()
    await pilot.press("g")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, GlossaryScreen)
    assert pilot.app.focused is screen.query_one("#search", Input)
    return screen


async def test_search_as_you_type_over_terms_and_aliases(app):
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_glossary(pilot)
        assert len(results(screen)) == 6
        await pilot.press(*"transmission")  # an alias of TCP
        await pilot.pause()
        assert results(screen) == ["tcp"]
        entry = text(screen.query_one("#term-text", Static))
        assert "TCP" in entry and "Transmission Control Protocol" in entry
        assert "RFC 9293" in entry and "tcp.flags, tcp.seq" in entry
        assert "What is a packet?" in entry  # a lesson that uses it
        for _ in "transmission":
            await pilot.press("backspace")
        await pilot.press(*"po")
        await pilot.pause()
        assert results(screen)[0] == "port"
        await pilot.press(*"zzz")
        await pilot.pause()
        assert results(screen) == []
        assert "No term matches" in text(screen.query_one("#term-text", Static))


async def test_q_and_g_type_into_the_search_box(app):
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_glossary(pilot)
        await pilot.press("q", "g", "question_mark")
        await pilot.pause()
        assert app.is_running and app.screen is screen
        assert screen.query_one("#search", Input).value == "qg?"


async def test_arrows_from_the_search_box_and_related_terms(app):
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_glossary(pilot)
        # Sorted by name: Encapsulation, Header, IP address, Packet, Port, TCP.
        await pilot.press("down", "down", "down")
        await pilot.pause()
        view = screen.query_one(TermView)
        assert view.term.id == "packet"
        assert app.focused is screen.query_one("#search", Input)
        await pilot.press("enter")  # into the entry
        await pilot.pause()
        related = view.query_one("#related", OptionList)
        await pilot.press("tab")
        assert app.focused is related
        await pilot.press("enter")  # packet's first related term
        await pilot.pause()
        assert view.term.id == "header"
        highlighted = screen.query_one("#results", OptionList).highlighted
        assert results(screen)[highlighted] == "header"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, OutlineScreen)
