"""The CLI speaks like HTTPie: a short summary on a terminal, everything in
a pipe or with --full, --filter with Wireshark's syntax (also with --json),
and one line for what it cannot use (--client, a filter it cannot read)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tutor.cli import main

PCAPS = Path(__file__).parent / "data" / "pcaps"
TUTOR = Path(sys.executable).parent / "tutor"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_short_is_the_summary_and_a_pipe_gets_everything(capsys):
    code, short, _ = run(capsys, "explain", str(PCAPS / "http.pcap"), "--short")
    assert code == 0 and len(short.splitlines()) <= 30  # the clock note wraps to 80 columns
    assert "Steps" in short and "--full shows every packet (22)" in short
    assert "#3 " not in short
    code, piped, _ = run(capsys, "explain", str(PCAPS / "http.pcap"))
    assert code == 0 and "\nPackets\n" in piped and "#21 " in piped
    # The summary comes first there too.
    assert piped.index("Steps") < piped.index("\nPackets\n")


def test_filter_text_and_json(capsys):
    pcap = str(PCAPS / "http.pcap")
    code, out, _ = run(capsys, "explain", pcap, "--short", "--filter", "http.response.code >= 200")
    assert code == 0 and "Packets matching http.response.code >= 200: 2 of 22" in out
    code, out, _ = run(capsys, "explain", pcap, "--json", "--filter", "tcp.flags.syn == 1")
    packets = json.loads(out)["packets"]
    assert code == 0 and len(packets) == 4  # two SYNs and two SYN-ACKs
    assert all(
        f["value"] == "1"
        for p in packets
        for layer in p["layers"]
        for f in layer["fields"]
        if f["filter"] == "tcp.flags.syn"
    )


def test_a_filter_that_cannot_be_read_is_one_line_exit_2(capsys):
    code, out, err = run(capsys, "explain", str(PCAPS / "http.pcap"), "--filter", "tcp.port ==")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "expected a value after '=='" in err


def test_a_name_no_packet_has_is_said_on_stderr(capsys):
    # sip is a real protocol (one letter from ip): not taken for a typo.
    code, out, err = run(capsys, "explain", str(PCAPS / "dns.pcap"), "--filter", "sip", "--short")
    assert code == 0 and "0 of 4" in out and "none has sip" in err


def test_a_misspelt_name_is_refused_with_what_was_meant(capsys):
    pcap = str(PCAPS / "http.pcap")
    for typo, meant in (("tcp.prot == 80", "field tcp.prot; did you mean tcp.port?"),
                        ("tpc.port == 80", "field tpc.port; did you mean tcp.port?"),
                        ("htp", "protocol htp; did you mean http?"),
                        # a slip between protocol and last part, and a plural lost
                        ("tcp.flgs.syn == 1", "field tcp.flgs.syn; did you mean tcp.flags.syn?"),
                        ("tcp.analysis.retransmissions",
                         "field tcp.analysis.retransmissions; did you mean "
                         "tcp.analysis.retransmission?")):  # fmt: skip
        code, out, err = run(capsys, "explain", pcap, "--filter", typo, "--short")
        assert code == 2 and out == "" and err == f"tutor: filter: no {meant}\n", typo
    # A name of a protocol tutor decodes that Wireshark does not know: refused as tshark does.
    code, out, err = run(capsys, "explain", pcap, "--filter", "tcp.bogus == 1", "--short")
    assert code == 2 and err == "tutor: filter: Wireshark has no field tcp.bogus\n"
    # Real fields this capture lacks are no typo: today's note, exit 0, even one
    # a keystroke from a field the capture has (dhcp.option.ntp_server, nntp_server).
    for real in ("udp.port == 53", "tcp.flags.res == 1", "ipv6.src == ::1",
                 "ip.flags.mf == 1", "dhcp.option.nntp_server", "wlan.fc.type == 0"):  # fmt: skip
        code, _, err = run(capsys, "explain", pcap, "--filter", real, "--short")
        assert code == 0 and "none has" in err, real


def test_client_must_be_an_address(capsys):
    pcap = str(PCAPS / "dns.pcap")
    for bad in ("notanip", "1.2.3.4:0", "1.2.3.4:http", "[::1"):
        code, _, err = run(capsys, "explain", pcap, "--client", bad)
        assert code == 2 and "is not an IP address" in err, bad
    for good in ("127.0.0.1", "127.0.0.1:53", "::1", "[::1]:53"):
        code, _, _ = run(capsys, "explain", pcap, "--client", good, "--short")
        assert code == 0, good


def test_glossary_matches_words_not_pieces_of_words():
    out = subprocess.run(
        [str(TUTOR), "glossary", "nat", "--json"], capture_output=True, text=True, check=True
    ).stdout
    terms = [t["term"] for t in json.loads(out)]
    assert terms[0] == "NAT"
    assert "Pagination" not in terms and "Destination unreachable" not in terms


def test_review_without_a_terminal_says_so_instead_of_hanging(tmp_path):
    # Make a term due, then ask for the review with no terminal at all.
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from tutor.progress import Store; from tutor.review import Review;"
            "Review(Store.open()).schedule(['tcp'], 'test')",
        ],
        check=True,
    )
    proc = subprocess.run(
        [str(TUTOR), "glossary", "--review"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2 and "needs a terminal" in proc.stderr
