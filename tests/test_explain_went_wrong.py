"""What went wrong in a capture, said where a learner looks: resets and DNS
errors in "What went wrong" (tshark's expert info lists the resets too), the
long silences that make a capture slow, a refusal that may be a firewall's,
a DNS step's lookups and their times, and DNS over TCP in one lookup step."""

from __future__ import annotations

import io
import json
from pathlib import Path

from labs.files.explain import explain_file, write_explain_json
from labs.model.trace import Trace

ROOT = Path(__file__).resolve().parents[1]
PROGRAMS = ROOT / "tests" / "data" / "programs"
PCAPS = ROOT / "tests" / "data" / "pcaps"


def went_wrong(trace: Trace) -> list[list[str]]:
    """The rows (seen, packets, meaning) of the section, header left out."""
    (section,) = [s for s in trace.sections if s.title == "What went wrong"]
    assert section.kind == "table", section.body
    return [row.split("\t") for row in section.body.splitlines()[1:]]


def test_a_reset_is_what_went_wrong_as_tshark_warns():
    # `tshark -q -z expert` on both: "Warns (1): Connection reset (RST)".
    # A reset answering a SYN is a refused connection; the other is a reset.
    for name, seen, number in (
        ("refused.pcap", "1 connection refused", "#2"),
        ("tls.pcap", "1 reset (RST)", "#14"),
    ):
        rows = went_wrong(explain_file(PCAPS / name))
        assert [row[:2] for row in rows] == [[seen, number]], name
        assert "Connection reset" in rows[0][2]  # Wireshark's words, said once
    (refused,) = went_wrong(explain_file(PCAPS / "refused.pcap"))
    assert "a firewall rejected the connection" in refused[2]


def test_a_dns_error_answer_is_what_went_wrong():
    rows = went_wrong(explain_file(PROGRAMS / "dns.pcapng"))
    assert rows[0][:2] == ["1 NXDOMAIN DNS answer", "#10"]
    assert rows[0][2].startswith("the answer for nothere.example says no such name")
    # A capture with no TCP in it has the section too when a lookup failed.
    rows = went_wrong(explain_file(PCAPS / "dns.pcap"))
    assert rows[0][:2] == ["1 NXDOMAIN DNS answer", "#4"]


def test_the_json_stream_has_the_same_section():
    out = io.StringIO()
    write_explain_json(PROGRAMS / "dns.pcapng", out, parallel_from=1)
    sections = json.loads(out.getvalue())["sections"]
    wrong = [s for s in sections if s["title"] == "What went wrong"]
    expected = [
        s for s in explain_file(PROGRAMS / "dns.pcapng").sections if s.title == wrong[0]["title"]
    ]
    assert wrong[0]["body"] == expected[0].body


def test_the_long_silences_are_named_with_what_was_waited_for():
    rows = went_wrong(explain_file(PCAPS / "lossy-http.pcapng"))
    silences = [row for row in rows if row[0].endswith(" silent")]
    assert [row[:2] for row in silences] == [
        ["206 ms silent", "#7, #8"],
        ["220 ms silent", "#65, #66"],
    ]
    assert silences[0][2].startswith("32% of the capture's time: ")
    assert silences[1][2].startswith("35% of the capture's time: ")
    # #7 acknowledged all the client had received: the server took its time.
    assert "192.0.2.2:40608 had acknowledged everything (#7)" in silences[0][2]
    assert "the wait was 192.0.2.1:8080's" in silences[0][2]
    # #66 is data sent again: the server's timer ran out.
    assert (
        "192.0.2.1:8080 waiting for an acknowledgment that did not come, then sending data again"
        in silences[1][2]
    )
    # No silence is long enough in a quick exchange.
    body = next(
        s.body for s in explain_file(PCAPS / "http.pcap").sections if s.title == "What went wrong"
    )
    assert " silent\t" not in body


def test_a_refusal_may_be_a_firewalls():
    (step,) = explain_file(PCAPS / "refused.pcap").steps
    assert step.explain.endswith(
        "nothing listens on port 54391, or a firewall rejected the connection on its behalf."
    )


def test_dns_over_tcp_is_one_lookup_step():
    steps = explain_file(PCAPS / "dns-tcp.pcap").steps
    assert [(s.name, s.packets) for s in steps] == [
        ("tcp-connect", (0, 1, 2)),
        ("dns", (3, 4, 5, 6, 7)),
    ]
    assert steps[1].explain == (
        "5 packets of DNS (RFC 1035): a question (TXT example.com) and its answer."
    )


def test_a_step_list_has_no_full_stop_before_a_semicolon():
    """FTP's step read "FTP 220 pyftpdlib 2.2.0 ready.; TCP ACK; ..."."""
    path = Path(__file__).parent / "data" / "programs" / "ftp.pcapng"
    steps = explain_file(path).steps
    assert any("ready; TCP ACK" in s.explain for s in steps)
    assert not any(".;" in s.explain for s in steps)


def test_resets_in_a_capture_that_probes_ports_say_probing_draws_them():
    """A port scan's 100 resets read only "nothing listens on the port, or a
    firewall rejected the connection, or a program gave up": no word that
    probing draws them as a matter of course (closed ports, and the prober's
    own system refusing the SYN-ACKs it never asked for). Both ways of
    reading a capture agree."""
    for name in ("scan.pcapng", "traceroute.pcapng"):
        trace = explain_file(str(PROGRAMS / name))
        body = next(s.body for s in trace.sections if s.title == "What went wrong")
        row = next(r for r in body.splitlines() if "refused\t" in r or "by the opener\t" in r)
        assert "this capture probes ports (a port scan or a TCP traceroute)" in row, row
        out = io.StringIO()
        write_explain_json(PROGRAMS / name, out)
        sections = json.loads(out.getvalue())["sections"]
        assert next(s["body"] for s in sections if s["title"] == "What went wrong") == body
    refused = explain_file(str(PCAPS / "refused.pcap"))
    body = next(s.body for s in refused.sections if s.title == "What went wrong")
    assert "probes ports" not in body
