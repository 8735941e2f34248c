"""What the lessons say of numbers a learner then looks for on screen."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).parent.parent
HANDSHAKE = ROOT / "lessons" / "04-transport" / "02-tcp-handshake.md"
LAB_TRACE = Path(__file__).parent / "data" / "golden" / "tcp-handshake" / "default" / "trace.json"


def test_the_handshake_lesson_places_the_flags_where_the_packet_view_marks_them():
    """The packet view marks tcp.flags at the packet's bytes; the lesson
    names those bytes and the TCP header's own, so both can be matched."""
    syn = json.loads(LAB_TRACE.read_text())["packets"][0]
    tcp = next(layer for layer in syn["layers"] if layer["name"] == "TCP")
    flags = next(f for f in tcp["fields"] if f["filter"] == "tcp.flags")
    start, end = flags["offset"], flags["offset"] + flags["length"] - 1
    text = " ".join(HANDSHAKE.read_text().split())
    assert f"bytes {start}–{end}" in text
    header = tcp["offset"]
    assert f"{header} + {start - header} and {header} + {end - header}" in text


def test_routes_and_rules_are_not_numbered_like_packets():
    """ "#N" is a packet's Wireshark No. in tutor: the routing lessons number
    their routes and firewall rules in words."""
    for lesson in sorted((ROOT / "lessons" / "03-routing").glob("*.md")):
        text = lesson.read_text()
        assert not re.findall(r"#\d", text), lesson.name
        assert not re.findall(r"^\|\s*#\s*\|", text, re.MULTILINE), lesson.name
