"""Every packet number a learner reads is Wireshark's No. (from 1): What went
wrong, the steps' ranges, the packet list, Wireshark's own labels, and the
display filter `frame.number == N` all name the same packet #N that Wireshark
shows as No. N, so nobody has to shift by one between tutor and Wireshark.

The frame numbers below are tshark 4.0's (the commands beside them); the last
test checks them against tshark itself where it is installed."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tutor.cli import main

PCAPS = Path(__file__).parent / "data" / "pcaps"
LOSSY = PCAPS / "lossy-http.pcapng"

#: tshark -r lossy-http.pcapng -Y 'tcp.analysis.retransmission &&
#: !tcp.analysis.fast_retransmission' -T fields -e frame.number
RETRANSMISSIONS = [28, 34, 50, 52, 54, 56, 66, 68]
#: ... -Y tcp.analysis.fast_retransmission
FAST = [26, 48]
#: ... -Y tcp.analysis.lost_segment
LOST = [18, 30, 44, 46, 58]
#: ... -Y tcp.analysis.duplicate_ack -e frame.number -e tcp.analysis.duplicate_ack_frame
DUP_ACKS = {19: 17, 23: 17, 25: 17, 31: 29, 45: 43, 47: 43, 61: 57, 63: 57, 65: 57}
#: ... -Y 'tcp.flags.syn == 1 || tcp.flags.fin == 1' -e frame.number
SYN_FIN = [1, 2, 70, 72]


@pytest.fixture(autouse=True)
def _width(monkeypatch: pytest.MonkeyPatch) -> None:
    # A pipe's text is as wide as COLUMNS says: these read it at the default 100.
    monkeypatch.delenv("COLUMNS", raising=False)


def explain(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(["explain", str(LOSSY), *argv]) == 0
    return capsys.readouterr().out


def went_wrong(out: str) -> dict[str, list[int]]:
    """What went wrong's rows: what was seen -> the packet numbers it lists
    (the table's columns found by its header, whatever their widths)."""
    part = out.split("\nWhat went wrong\n", 1)[1].split("\n\n", 1)[0]
    head, _rule, *lines = part.splitlines()
    packets, meaning = head.index("Packets"), head.index("What it means")
    rows: dict[str, list[int]] = {}
    seen = ""
    for line in lines:
        seen = line[:packets].strip() or seen
        rows.setdefault(seen, []).extend(map(int, re.findall(r"#(\d+)", line[packets:meaning])))
    return rows


def listed(out: str) -> dict[int, str]:
    """The packet list: each number -> its summary (after the addresses, or
    on the next line, wrapped under itself where the width is short)."""
    found = re.findall(r"^  #(\d+) +\+.*? → \S+(?:  |\n {12,})(.*(?:\n {12,}\S.*)*)", out, re.M)
    return {int(n): " ".join(summary.split()) for n, summary in found}


def test_what_went_wrong_lists_the_frames_tshark_flags(capsys):
    rows = went_wrong(explain(capsys, "--short"))
    assert rows["8 retransmissions"] == RETRANSMISSIONS
    assert rows["2 fast retransmissions"] == FAST
    assert rows["5 segments not captured"] == LOST
    assert rows["9 duplicate ACKs"] == list(DUP_ACKS)[:8]  # the first 8 "and 1 more"


def test_the_steps_name_packets_by_frame_number(capsys):
    out = explain(capsys, "--full")
    ranges = re.findall(r"^ +\d+\. (.+?)  at .*?packets? (\d+)-(\d+)$", out, re.M)
    steps = [(title, int(a), int(b)) for title, a, b in ranges]
    # The handshake is Wireshark's frames 1-3 (SYN, SYN-ACK, ACK); the close ends at the last, 73.
    assert steps[0] == ("Open the connection (TCP handshake)", 1, 3)
    assert steps[-1] == ("Close the connection", 70, 73)
    # Every frame tshark flags a retransmission is in a step that resends lost data.
    resent = [range(a, b + 1) for title, a, b in steps if title.startswith("Resend lost data")]
    for frame in RETRANSMISSIONS + FAST:
        assert any(frame in r for r in resent), frame


def test_the_packet_list_and_its_wireshark_labels_use_frame_numbers(capsys):
    packets = listed(explain(capsys, "--full"))
    assert list(packets) == list(range(1, 74))
    for frame in RETRANSMISSIONS:
        assert packets[frame].startswith("[TCP Retransmission]"), frame
    for frame in FAST:
        assert packets[frame].startswith("[TCP Fast Retransmission]"), frame
    for frame in SYN_FIN:
        assert "SYN" in packets[frame] or "FIN" in packets[frame], frame
    # Wireshark's "[TCP Dup ACK 17#1]": the ACK repeated is frame 17, tutor's #17.
    for frame, acked in DUP_ACKS.items():
        assert packets[frame].startswith(f"[TCP Dup ACK {acked}#"), frame
        assert packets[acked] == "TCP ACK", acked


def test_a_field_naming_a_frame_says_that_same_number(capsys):
    out = explain(capsys, "--verbose", "--filter", "frame.number == 19")
    assert "tcp.analysis.duplicate_ack_frame = 17 (packet #17)" in out


def test_the_display_filter_finds_the_packet_the_text_names(capsys):
    # What went wrong calls the first retransmission #28: frame.number == 28 is that one.
    assert went_wrong(explain(capsys, "--short"))["8 retransmissions"][0] == 28
    out = explain(capsys, "--filter", "frame.number == 28")
    assert list(listed(out).items()) == [(28, listed(out)[28])]
    assert listed(out)[28].startswith("[TCP Retransmission]")


def test_the_header_says_whose_numbers_these_are(capsys):
    out = explain(capsys, "--short")
    assert "Packet numbers are Wireshark's (No.)." in out
    assert "#0" not in out and "packets 0-" not in out


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
def test_the_frame_numbers_above_are_tsharks():
    def frames(flt: str, *fields: str) -> list[list[str]]:
        args = ["tshark", "-r", str(LOSSY), "-Y", flt, "-T", "fields", "-e", "frame.number"]
        for f in fields:
            args += ["-e", f]
        out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
        return [line.split("\t") for line in out.splitlines()]

    def numbers(flt: str) -> list[int]:
        return [int(row[0]) for row in frames(flt)]

    both = "tcp.analysis.retransmission && !tcp.analysis.fast_retransmission"
    assert numbers(both) == RETRANSMISSIONS
    assert numbers("tcp.analysis.fast_retransmission") == FAST
    assert numbers("tcp.analysis.lost_segment") == LOST
    rows = frames("tcp.analysis.duplicate_ack", "tcp.analysis.duplicate_ack_frame")
    assert {int(a): int(b) for a, b in rows} == DUP_ACKS
    assert numbers("tcp.flags.syn == 1 || tcp.flags.fin == 1") == SYN_FIN


def test_the_meaning_tab_and_the_lab_banner_use_the_same_numbers():
    """The Meaning tab listed a fact's packets from 0 ("packets 0, 1, 2")
    and the lab banner still said "#0 here is Wireshark's No. 1" next to a
    packet list that counts from 1."""
    from dataclasses import replace

    from labs.api import explain_file
    from labs.model.trace import Fact
    from tutor.screens.trace_view import capture_banner, meaning_blocks

    trace = explain_file(str(LOSSY))
    fact = Fact(name="handshake", value="3 packets", explain="The handshake.", packets=(0, 1, 2))
    trace = replace(trace, lab="tcp-handshake", capture="live", facts=(fact,))
    meaning = "\n".join(text for _, text in meaning_blocks(trace, False))
    assert "(packets 1-3)" in meaning
    assert "#0" not in capture_banner(trace)[0] and "No. 1" not in capture_banner(trace)[0]


def test_a_filtered_ladder_keeps_the_whole_captures_sides(capsys):
    """`--filter 'frame.number==2'` on dns.pcap drew the ladder with the
    server labelled "(client)": the filtered packets began with the answer,
    whose sender passed for the client."""
    dns = str(PCAPS / "dns.pcap")
    heads = []
    for argv in ([], ["--filter", "frame.number==2"], ["--filter", "frame.number>=2"]):
        assert main(["explain", dns, *argv]) == 0
        out = capsys.readouterr().out
        heads.append(out.split("Ladder diagram", 1)[1].splitlines()[1].split())
    assert heads[0] == heads[1] == heads[2] == ["127.0.0.1", "(client)", "127.0.0.1:37511"]
