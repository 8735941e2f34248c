"""`tutor explain` at the width the learner has: COLUMNS honoured in a pipe
(`COLUMNS=80 tutor explain x.pcapng | less` wrapped at 100), packet headings
wrapped with #N, time and addresses kept on their first line, `--diagram
text` fitted instead of 30-cell lanes (~300 columns for a traceroute), and a
header that says when What went wrong has rows (a NXDOMAIN answer was only
in that section, under the steps)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tutor.cli import main

DATA = Path(__file__).parent / "data"
HTTPS = DATA / "programs" / "https.pcapng"
LOSSY = DATA / "pcaps" / "lossy-http.pcapng"
TRACEROUTE = DATA / "programs" / "traceroute.pcapng"

#: A packet heading: "  #28  +   244 ms  192.0.2.1:8080 → 192.0.2.2:40608  summary", the
#: summary maybe on the next line, and wrapped on more (indented past the explanation's 6).
HEADING = re.compile(
    r"^  #(\d+) +\+ *[\d.]+ \S+  (\S+) → (\S+)(?:  |\n {12,})(.*(?:\n {12,}\S.*)*)", re.M
)


def explain(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    columns: str | None,
    *argv: object,
) -> str:
    """stdout of `tutor explain ARGV` into a pipe (capsys is no terminal)."""
    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    assert main(["explain", *map(str, argv)]) == 0
    return capsys.readouterr().out


def widest(text: str) -> int:
    return max(len(line) for line in text.splitlines())


@pytest.mark.parametrize(
    ("columns", "width"),
    [("80", 80), ("120", 120), (None, 100), ("abc", 100), ("0", 100), ("-5", 100)],
)
def test_a_pipe_writes_as_wide_as_columns_says_else_100(capsys, monkeypatch, columns, width):
    out = explain(capsys, monkeypatch, columns, HTTPS)
    assert widest(out) <= width
    # The sentences fill it: not the narrower width of some other rule.
    assert widest(out) > width - 12


def test_a_packet_heading_wraps_its_summary_and_keeps_its_number_on_the_left(capsys, monkeypatch):
    wide = {
        int(n): (src, dst, summary)
        for n, src, dst, summary in HEADING.findall(explain(capsys, monkeypatch, "300", LOSSY))
    }
    assert list(wide) == list(range(1, 74))
    for columns in ("80", "100"):
        out = explain(capsys, monkeypatch, columns, LOSSY)
        assert widest(out) <= int(columns)
        narrow = {
            int(n): (src, dst, " ".join(summary.split()))
            for n, src, dst, summary in HEADING.findall(out)
        }
        # Every packet still starts a line "  #N  +time  src → dst", its summary whole after it.
        assert narrow == wide
        # #28's summary beside its addresses (wrapped under itself), or under them
        # when that takes fewer lines.
        said = {
            "100": "192.0.2.2:40608  [TCP Retransmission] HTTP [TCP segment of a\n" + " " * 53,
            "80": "192.0.2.2:40608\n" + " " * 19 + "[TCP Retransmission] HTTP [TCP segment",
        }
        assert "  #28  +   244 ms  192.0.2.1:8080 → " + said[columns] in out


def test_a_heading_with_long_addresses_puts_the_summary_under_them(capsys, monkeypatch):
    out = explain(capsys, monkeypatch, "60", TRACEROUTE, "--filter", "frame.number == 3")
    packet = out.split("\n  #3 ", 1)[1].split("\n\n", 1)[0]
    assert widest(packet) <= 60
    assert (
        "  #3   +   320 ms  fe80::43f:4fff:fe4c:93b3 → ff02::16\n"
        "                   ICMPv6 multicast listener report (MLDv2)\n"
    ) in out


@pytest.mark.parametrize(("columns", "width"), [("80", 80), ("120", 120), (None, 100)])
def test_the_text_diagram_fits_the_width(capsys, monkeypatch, columns, width):
    out = explain(capsys, monkeypatch, columns, TRACEROUTE, "--diagram", "text")
    assert out.startswith("Ladder diagram")
    assert widest(out) <= width
    # One row an arrow: the 119 packets, none wrapped or dropped.
    assert sum(" ms " in line or " µs " in line for line in out.splitlines()) >= 119


def went_wrong_rows(out: str) -> list[str]:
    """The first line of each row of What went wrong's table: its Seen
    column, which starts with a count ("8 retransmissions", "206 ms silent")."""
    part = out.split("\nWhat went wrong\n", 1)[1].split("\n\n", 1)[0]
    return [line[2:].split("  ")[0] for line in part.splitlines()[2:] if line[2:3].isdigit()]


@pytest.mark.parametrize(
    ("capture", "said"),
    [
        ("pcaps/dns.pcap", "What went wrong (the table below): 1 NXDOMAIN DNS answer."),
        ("pcaps/refused.pcap", "What went wrong (the table below): 1 connection refused."),
        (
            "pcaps/lossy-http.pcapng",
            "What went wrong (the table below): 8 retransmissions, 2 fast retransmissions, "
            "5 segments not captured and 3 more.",
        ),
    ],
)
def test_the_header_says_what_went_wrong_lists(capsys, monkeypatch, capture, said):
    out = explain(capsys, monkeypatch, None, DATA / capture, "--short")
    header = " ".join(out.split("\n\n", 1)[0].split())
    assert said in header
    assert went_wrong_rows(out)[0] in said


def test_the_header_does_not_count_what_is_nothing_wrong(capsys, monkeypatch):
    """lossy-http's 3 window updates are a row of What went wrong that says
    "(nothing wrong)": the header's "7 things" counted them as trouble."""
    out = explain(capsys, monkeypatch, None, DATA / "pcaps" / "lossy-http.pcapng", "--short")
    header = " ".join(out.split("\n\n", 1)[0].split())
    rows = went_wrong_rows(out)
    assert "3 window updates" in rows and len(rows) == 7
    assert "and 3 more." in header  # 7 rows, less the window updates, less the 3 named


def test_the_header_says_nothing_of_what_went_wrong_when_it_has_no_rows(capsys, monkeypatch):
    out = explain(capsys, monkeypatch, None, DATA / "programs" / "http-gzip.pcapng", "--short")
    assert "What went wrong (" not in out


def test_conversations_follow_the_same_width_rule(capsys, monkeypatch):
    follow = "Follow one with --follow N (TCP stream N) or --follow udp:N: its bytes as text,"
    for columns, first in ((None, follow + " both directions"), ("80", follow)):
        out = explain(capsys, monkeypatch, columns, HTTPS, "--conversations")
        assert first + "\n" in out
