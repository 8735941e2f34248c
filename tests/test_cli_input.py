"""What a new user of the CLI ran into: bad input is one line in words and
exit 2 (a trace file that is not one, flags that cannot go together, a
misspelt or unreadable filter caught before a lab starts), a closed pipe is
no failure, a followed stream reads as text, and the summary speaks in step
titles, one unit per line and a date a person reads."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from labs.api import BadInput, explain_file, read_trace_file
from tutor.cli import main
from tutor.tracetext import render

DATA = Path(__file__).parent / "data"
PROGRAMS = DATA / "programs"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_file_that_is_no_trace_is_said_in_words(tmp_path):
    def said(path: Path | str) -> str:
        with pytest.raises(BadInput) as err:
            read_trace_file(path)
        text = str(err.value)
        assert "Errno" not in text and "__init__" not in text and "codec" not in text
        return text

    assert said(tmp_path / "none.json").endswith("none.json: no such file.")
    assert "is a directory" in said(tmp_path)
    pcap = PROGRAMS / "dns.pcapng"
    assert said(pcap).endswith(f"run `tutor explain {pcap} --json > dns.json` first.")
    (tmp_path / "empty.json").write_text("{}")
    assert said(tmp_path / "empty.json").endswith(
        "it lacks 'lab', 'target', 'capture', 'steps' and 'packets'."
    )
    good = (DATA / "golden" / "dns" / "default" / "trace.json").read_text()
    (tmp_path / "packet.json").write_text(good.replace('"index":', '"number":', 1))
    assert "its 'packets[0]' object lacks 'index'" in said(tmp_path / "packet.json")
    (tmp_path / "text.json").write_text("{not json")
    assert said(tmp_path / "text.json").endswith("it is not valid JSON (line 1).")
    (tmp_path / "binary.json").write_bytes(b"\xb4\x00\xff")
    assert said(tmp_path / "binary.json").endswith("it is not text.")


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (["--short", "--full"], "--short and --full cannot be used together"),
        (["--conversations", "--follow", "0"], "--conversations and --follow cannot"),
        (["--follow", "0", "--filter", "dns"], "--follow and --filter cannot"),
        (["--diagram", "text", "--json"], "--json and --diagram cannot"),
        (["--tshark"], "--tshark goes with --follow N"),
        (["--decode-as", "99999=dns"], "the port must be 1-65535."),
        (["--limit", "10", "--follow", "1"], "There is no TCP stream 1 in the first 10 packets."),
    ],
)
def test_what_cannot_be_done_is_one_line_exit_2(capsys, flags, said):
    code, out, err = run(capsys, "explain", str(PROGRAMS / "ftp.pcapng"), *flags)
    assert code == 2 and out == "" and err.count("\n") == 1 and said in err


def test_an_unknown_flag_points_to_the_commands_help(capsys):
    with pytest.raises(SystemExit) as done:
        main(["explain", "x.pcap", "--bogus"])
    assert done.value.code == 2
    assert "(see `tutor explain --help`)" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["lab", "run", "http-api", "--bogus"])
    assert "(see `tutor lab run --help`)" in capsys.readouterr().err


def test_a_bad_filter_stops_a_lab_before_it_starts(capsys, monkeypatch):
    import labs.api

    def never(*args, **kw):
        raise AssertionError("the lab ran")

    monkeypatch.setattr(labs.api, "run_lab", never)
    code, _, err = run(capsys, "lab", "run", "http-api", "--filter", "tcp.port ==")
    assert code == 2 and "expected a value after '=='" in err


def test_a_client_in_no_packet_is_noted(capsys):
    pcap = str(PROGRAMS / "dns.pcapng")
    code, _, err = run(capsys, "explain", pcap, "--client", "10.9.9.9", "--short")
    assert code == 0 and "tutor: note: no packet of this capture is from or to 10.9.9.9" in err
    code, _, err = run(capsys, "explain", pcap, "--client", "192.0.2.2", "--short")
    assert code == 0 and err == ""


def test_a_followed_stream_reads_as_text_and_tsharks_format_stays(capsys):
    pcap = str(PROGRAMS / "http-reassembly.pcapng")
    code, out, _ = run(capsys, "explain", pcap, "--follow", "1")
    lines = out.splitlines()
    assert code == 0 and lines[0] == "TCP stream 1: client 192.0.2.2:50674 ⇄ server 192.0.2.1:80"
    assert "→ #61  client 192.0.2.2:50674 sent 1448 bytes:" in lines
    assert "    POST /upload HTTP/1.1" in lines and "Node 0:" not in out
    assert any(line.startswith("← #") and "server 192.0.2.1:80 sent" in line for line in lines)
    code, out, _ = run(capsys, "explain", pcap, "--follow", "1", "--tshark")
    assert code == 0 and "Follow: tcp,ascii\nFilter: tcp.stream eq 1\nNode 0:" in out


def test_a_closed_pipe_is_no_failure():
    done = subprocess.Popen(
        [sys.executable, "-I", "-m", "tutor", "explain", str(PROGRAMS / "ftp.pcapng"), "-v"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert done.stdout is not None and done.stderr is not None
    done.stdout.readline()
    done.stdout.close()  # as `| head -1` does
    assert done.wait(timeout=60) == 0
    assert done.stderr.read() == b""


def test_the_summary_at_80_columns():
    trace = explain_file(DATA / "thirdparty" / "dpkt-http.pcap")
    lines = render(trace, full=False, width=80).splitlines()
    assert lines[2].startswith("Started 2004-05-13 10:17:07 UTC; 43 packets over 30.4 s.")
    assert all(len(line) <= 80 for line in lines if "█" not in line and "──" not in line)
    assert any(line.startswith("2. GET /pagead/ads?") and line.endswith("…") for line in lines)
    water = next(line for line in lines if line.startswith("Timing waterfall"))
    assert "(0 to 4847 ms after" in water
    # Each phase in its own unit: none reads 0.000 s or 0.0 ms.
    bars = [line for line in lines if "|" in line]
    assert not any(line.endswith((" 0.000 s", " 0.0 ms")) for line in bars)
    steps = lines[lines.index("Steps") + 1]
    assert steps.startswith("  15 steps: Open the connection (TCP handshake); Send the request ×4")
    full = render(trace, width=80)
    assert "  packet 13" in full and "packets 13" not in full  # No. 13, a DNS query


def test_a_followed_password_is_masked_without_its_length(capsys):
    """`--follow` showed "PASS *************": one star a byte told the
    password's length, where every other output says ••••."""
    pcap = str(PROGRAMS / "ftp.pcapng")
    code, out, _ = run(capsys, "explain", pcap, "--follow", "0")
    assert code == 0 and "    PASS ••••" in out.splitlines() and "*" not in out
    code, out, _ = run(capsys, "explain", pcap, "--follow", "0", "--show-secrets")
    assert code == 0 and "    PASS demo-password" in out.splitlines()


def test_a_filter_shows_its_packets_first_and_says_the_rest_is_the_whole_captures(capsys):
    """`--filter 'frame.number==5'` printed all 16 steps and a 70-line
    waterfall before the one packet asked for, at line 134 of 142, with
    nothing saying those parts were not filtered."""
    pcap = str(PROGRAMS / "ftp.pcapng")
    code, out, _ = run(capsys, "explain", pcap, "--filter", "frame.number==5")
    lines = out.splitlines()
    assert code == 0
    at = lines.index("Packets matching frame.number==5: 1 of 68")
    assert at < lines.index("Steps") and lines[at + 1].startswith("  #5 ")
    below = " ".join(lines[at + 1 : lines.index("Steps")])
    assert "Below: the steps, the waterfall and What went wrong of the whole capture (68" in below
