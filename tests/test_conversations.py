"""Conversations and follow stream against tshark: every TCP and UDP
conversation of several captures (frames and bytes each way, start,
duration) against `tshark -q -z conv,tcp` / `-z conv,udp`, and the text of
every stream against `tshark -q -z follow,<tcp|udp>,ascii,N` byte for byte
(retransmissions, an out-of-order segment and bytes never captured
included); then the CLI as a learner uses it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from labs.api import BadInput, conversations, explain_file, follow_stream
from labs.dissect.follow import ascii_text, follow

DATA = Path(__file__).parent / "data"
CAPTURES = [
    DATA / "programs" / "http-reassembly.pcapng",
    DATA / "programs" / "tftp.pcapng",
    DATA / "programs" / "dhcp.pcapng",
    DATA / "programs" / "telnet.pcapng",
    DATA / "pcaps" / "lossy-http.pcapng",
    DATA / "pcaps" / "tcp-analysis.pcap",
    DATA / "pcaps" / "dns.pcap",
    DATA / "pcaps" / "http.pcap",
]
TSHARK = shutil.which("tshark")
needs_tshark = pytest.mark.skipif(TSHARK is None, reason="tshark is not installed")
_ROW = re.compile(
    r"^(\S+)\s+<-> (\S+)\s+(\d+) (\d+) (bytes|kB|MB)\s+(\d+) (\d+) (bytes|kB|MB)\s+"
    r"\d+ \d+ (?:bytes|kB|MB)\s+([\d.]+)\s+([\d.]+)$"
)


def _as_shown(n: int, unit: str) -> int:
    """Bytes as tshark's table prints them (10000 and more in whole kB)."""
    return n if unit == "bytes" else n // 1000 if unit == "kB" else n // 1_000_000


def _tshark(*args: str) -> str:
    assert TSHARK is not None
    done = subprocess.run([TSHARK, *args], capture_output=True, check=True, timeout=60)
    return done.stdout.decode("latin-1")  # as bytes: \r is part of the text


@needs_tshark
@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_conversations_equal_tsharks(path: Path) -> None:
    trace = explain_file(path)
    ours = {(c.transport, c.a, c.b): c for c in conversations(trace)}
    rows = 0
    for kind in ("tcp", "udp"):
        for line in _tshark("-r", str(path), "-q", "-z", f"conv,{kind}").splitlines():
            m = _ROW.match(line)
            if not m:
                continue
            rows += 1
            a, b, f_ba, n_ba, u_ba, f_ab, n_ab, u_ab, start, duration = m.groups()
            c = ours.pop((kind, a, b))
            # tshark's "<-" columns are B to A, "->" A to B
            assert (c.frames_ab, c.frames_ba) == (int(f_ab), int(f_ba))
            assert _as_shown(c.bytes_ab, u_ab) == int(n_ab)
            assert _as_shown(c.bytes_ba, u_ba) == int(n_ba)
            assert abs(c.start - float(start)) < 1e-6
            assert abs(c.duration - float(duration)) <= 0.00005 + 1e-9
    assert rows and not ours  # every conversation tshark lists, and no other


@needs_tshark
@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_follow_equals_tsharks_text(path: Path) -> None:
    packets = explain_file(path).packets
    streams = 0
    for kind in ("tcp", "udp"):
        n = 0
        while (found := follow(packets, kind, n)) is not None:
            want = _tshark("-r", str(path), "-q", "-z", f"follow,{kind},ascii,{n}")
            assert ascii_text(found) == want, (kind, n)
            n += 1
        streams += n
    assert streams


def test_a_gap_is_said_and_the_late_bytes_put_in_place() -> None:
    trace = explain_file(DATA / "pcaps" / "tcp-analysis.pcap")
    found, text = follow_stream(trace, "4")
    assert "[100 bytes missing in capture file]." in text
    assert [p.node for p in found.pieces] == [0, 0, 0, 0, 1, 1]
    with pytest.raises(BadInput):
        follow_stream(trace, "udp:9")


def tutor(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-I", "-m", "tutor", "explain", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_lists_conversations_and_follows_a_stream() -> None:
    path = str(DATA / "programs" / "http-reassembly.pcapng")
    table = tutor(path, "--conversations")
    assert table.returncode == 0, table.stderr
    assert "192.0.2.2:50674  <->  192.0.2.1:80" in table.stdout
    followed = tutor(path, "--follow", "1")
    assert followed.returncode == 0
    assert "POST /upload HTTP/1.1\n" in followed.stdout
    assert "← #71  server 192.0.2.1:80 sent 153 bytes:\n" in followed.stdout
    tshark = tutor(path, "--follow", "1", "--tshark")
    assert "\treceived" not in tshark.stdout and "\t153\n" in tshark.stdout
    as_json = json.loads(tutor(path, "--conversations", "--json").stdout)
    assert [c["stream"] for c in as_json["conversations"]] == [0, 1, 2]
    assert as_json["conversations"][1]["bytes_ab"] == 6862 and as_json["packets"]
    bad = tutor(path, "--follow", "9")
    assert bad.returncode == 2 and "no TCP stream 9" in bad.stderr
    assert "Traceback" not in bad.stderr


async def test_the_lab_screen_shows_conversations_and_follows_a_stream() -> None:
    """Keys c and F on a trace in the lab screen (Pilot): the table, then the
    stream of the selected packet, its secrets masked until S."""
    from textual.widgets import Static

    from tutor.app import make_app
    from tutor.content import load_course
    from tutor.progress import Store
    from tutor.screens.lab import LabScreen
    from tutor.screens.streams import StreamsScreen
    from tutor.widgets.packet_view import PacketView

    trace = explain_file(DATA / "programs" / "http-reassembly.pcapng")
    app = make_app(load_course(), Store.memory())
    async with app.run_test(size=(140, 40)) as pilot:
        screen = LabScreen("http-api")
        app.push_screen(screen)
        await pilot.pause()
        screen.show_trace(trace)
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, StreamsScreen)
        shown = str(app.screen.query_one("#streams-text", Static).render())
        assert "TCP conversations (3)" in shown and "192.0.2.2:50676" in shown
        await pilot.press("escape")
        await pilot.pause()
        screen.query_one(PacketView).show(trace.packets[67])  # the POST of stream 1
        await pilot.press("F")
        await pilot.pause()
        assert isinstance(app.screen, StreamsScreen)
        shown = str(app.screen.query_one("#streams-text", Static).render())
        # As `tutor explain --follow 1` words it, not tshark's raw format.
        assert "← #71  server 192.0.2.1:80 sent 153 bytes:" in shown
        assert "POST /upload HTTP/1.1" in shown
        assert "Filter: tcp.stream" not in shown and "Node 0:" not in shown
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen


def test_followed_binary_bytes_are_dots_and_text_keeps_its_letters() -> None:
    """A DNS reply whose ID bytes (0xc6 0x85) happen to spell a UTF-8 letter
    is binary: every byte that is no printable ASCII is a dot, as Wireshark's
    Follow shows it. A JSON body with an accented letter is text and keeps it."""
    from tutor.streamtext import _readable

    reply = b"\xc6\x85\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00\x04shop\x07example\x00"
    assert _readable(reply) == ".............shop.example."
    assert _readable('{"item": "café"}\r\n'.encode()) == '{"item": "café"}\n'
