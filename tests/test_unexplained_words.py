"""Four things a new user found unexplained, said in words a product manager
reads, each from the packets: which FTP connection a close step closes; what
a waterfall row that folds a step's probes means; what an MLDv2 report and a
router solicitation are; and the header of a capture file's trace, which
named the command (`explain → path`) rather than the file."""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from pathlib import Path

from scapy.compat import raw
from scapy.layers.inet import IP, TCP
from scapy.layers.inet6 import ICMPv6MLDMultAddrRec, ICMPv6MLReport2, ICMPv6ND_RS, IPv6
from scapy.layers.l2 import Ether
from test_explain_patterns import steps_of

from labs.core.base import RawPacket
from labs.dissect.core import dissect_all
from labs.files.explain import explain_file
from labs.model.trace import Trace
from tutor.screens.trace_view import capture_banner, meaning_blocks
from tutor.waterfall_text import block, rows

ROOT = Path(__file__).parent.parent
PROGRAMS = ROOT / "tests" / "data" / "programs"
PCAPS = ROOT / "tests" / "data" / "pcaps"


@cache
def trace_of(path: Path) -> Trace:
    return explain_file(path)


# -- 1. which FTP connection a close step closes ------------------------------


def _closes(trace: Trace) -> list[str]:
    return [s.explain for s in trace.steps if s.name in ("close", "ftp-data-close")]


def test_an_ftp_close_names_its_connection_and_the_control_one_as_ftps_commands():
    trace = trace_of(PROGRAMS / "ftp.pcapng")
    closes = _closes(trace)
    # The first transfer's data connection (EPSV's port 38447), then the control
    # connection. A passive data connection's close was "the connection between
    # A and B" alone: its FIN and ACK carry nothing that shows FTP data.
    assert closes[0].startswith(
        "3 packets close the connection between 192.0.2.1:38447 and 192.0.2.2:55156, an FTP "
        "data connection (it carried a file or a listing, set up on the control connection): "
    ), closes[0]
    titles = [s.title for s in trace.steps if s.name == "ftp-data-close"]
    assert titles and set(titles) == {"Close the data connection (FTP)"}
    assert closes[1].startswith(
        "3 packets close the connection between 192.0.2.2:35700 and 192.0.2.1:21, "
        "FTP's control connection (port 21: its commands and replies; each file or listing "
        "travels on a data connection of its own): "
    ), closes[1]
    assert sum("FTP's control connection" in c for c in closes) == 2  # two sessions
    assert all("each side says it is finished (FIN)" in c for c in closes)


def test_an_ftp_close_over_ipv6_names_the_connection_with_its_brackets():
    closes = _closes(trace_of(PROGRAMS / "ftp6.pcapng"))
    assert any(
        "between [2001:db8::2]:37142 and [2001:db8::1]:21, FTP's control connection" in c
        for c in closes
    ), closes


def test_a_close_on_port_20_is_an_ftp_data_connection():
    s, c = "192.0.2.1", "192.0.2.2"
    packets = [
        IP(src=s, dst=c) / TCP(sport=20, dport=40000, flags="FA", seq=10, ack=1),
        IP(src=c, dst=s) / TCP(sport=40000, dport=20, flags="FA", seq=1, ack=11),
        IP(src=s, dst=c) / TCP(sport=20, dport=40000, flags="A", seq=11, ack=2),
    ]
    (close,) = [step for step in steps_of(packets) if step.name == "close"]
    assert close.explain.startswith(
        "3 packets close the connection between 192.0.2.1:20 and 192.0.2.2:40000, an FTP data "
        "connection (port 20: where the server sends a file or listing from in active mode): "
    ), close.explain


# -- 2. a waterfall row that folds a step's probes ----------------------------


def test_a_folded_row_says_what_it_holds_and_where_each_one_is():
    trace = trace_of(PROGRAMS / "traceroute.pcapng")
    heads = [line for line in rows(trace) if not line.startswith(" ")]
    assert heads == [
        "1. Trace the route (UDP probes): 8 answered probes, in one bar",
        "2. Trace the route (ICMP echo probes): 18 answered probes, in one bar",
        "3. Trace the route (TCP SYN probes): 2 answered probes, 16 handshakes, in one bar",
    ]
    lines = block(trace)
    said = " ".join(" ".join(lines).split())
    assert (
        "probes: a whole step of probes in one bar, from its first probe sent to its last "
        "answer received; the ladder diagram draws each packet, with its own time" in said
    ), said
    # The heading, clock and legend fit an 80-column terminal, as the bars do.
    first_row = next(i for i, line in enumerate(lines) if line.startswith("1. "))
    assert max(len(line) for line in lines[:first_row]) <= 78
    assert not any("timed exchange" in line for line in block(trace))


def test_a_scan_row_counts_the_handshakes_it_times():
    trace = trace_of(PROGRAMS / "scan.pcapng")
    heads = [line for line in rows(trace) if not line.startswith(" ")]
    # The refused probes (SYN answered by a reset) are timed too.
    assert heads == ["1. Scan the ports (port scan): 98 answered probes, 2 handshakes, in one bar"]


# -- 3. MLDv2 and router solicitation -----------------------------------------


def test_an_mldv2_report_says_what_it_asks_for_and_which_groups():
    trace = trace_of(PROGRAMS / "traceroute.pcapng")
    assert trace.packets[0].explain == (
        "fe80::8cec:5aff:fee8:cc43 tells the routers on its link which multicast groups "
        "(addresses many machines listen on at once) it wants traffic for: an MLDv2 report "
        "(RFC 3810) to ff02::16, where those routers listen. 1 record: it joins "
        "ff02::1:ffe8:cc43, the solicited-node group of its address, where Neighbor Discovery "
        "asks who has that address."
    )
    other = trace_of(PCAPS / "vlan-mld.pcap").packets[1].explain
    assert "1 record: it joins ff02::fb." in other, other


def test_a_router_solicitation_says_it_asks_routers_to_announce_themselves():
    trace = trace_of(PROGRAMS / "traceroute.pcapng")
    assert trace.packets[1].explain == (
        "fe80::8cec:5aff:fee8:cc43 asks the routers on its link to announce themselves now, "
        "not at their next regular announcement: a router solicitation (RFC 4861 section 4.1) "
        "to ff02::2, where every router on the link listens; each answers with a router "
        "advertisement. It gives its own hardware address, 8e:ec:5a:e8:cc:43 (source "
        "link-layer address option), so the answer needs no asking back."
    )
    kind = trace.packets[1].field("icmpv6.type")
    assert kind is not None and "announce themselves" in kind.explain


def test_each_mld_record_is_said_and_a_solicitation_from_no_address_says_so():
    report = (
        Ether(dst="33:33:00:00:00:16")
        / IPv6(src="fe80::1", dst="ff02::16", hlim=1)
        / ICMPv6MLReport2(
            records=[
                ICMPv6MLDMultAddrRec(rtype=4, dst="ff02::fb"),
                ICMPv6MLDMultAddrRec(rtype=3, dst="ff02::1:ff00:1"),
            ]
        )
    )
    ask = Ether(dst="33:33:00:00:00:02") / IPv6(src="::", dst="ff02::2") / ICMPv6ND_RS()
    said = [
        p.explain for p in dissect_all(RawPacket(0.0, raw(p), "ethernet") for p in (report, ask))
    ]
    assert said[0].endswith(
        "2 records: it joins ff02::fb; it leaves ff02::1:ff00:1, the solicited-node group of "
        "its address, where Neighbor Discovery asks who has that address."
    ), said[0]
    assert said[1] == (
        "A machine asks the routers on its link to announce themselves now, not at their next "
        "regular announcement: a router solicitation (RFC 4861 section 4.1) to ff02::2, where "
        "every router on the link listens; each answers with a router advertisement. It sends "
        "from the unspecified address ::, as it has no address yet."
    ), said[1]


# -- 4. a capture file's header -----------------------------------------------


def test_a_capture_files_header_names_the_file_in_words():
    trace = trace_of(PCAPS / "lossy-http.pcapng")
    head = capture_banner(trace)[0].splitlines()[0]
    assert head == "Capture file lossy-http.pcapng  ·  73 packets over 635 ms", head
    said = meaning_blocks(trace, False)[0][1]
    assert "explain →" not in said and "Capture file lossy-http.pcapng" in said


def test_a_labs_header_still_names_the_lab_and_its_target():
    lab = replace(
        trace_of(PCAPS / "http.pcap"),
        lab="http-api",
        target="http://127.0.0.1:8080/",
        capture="live",
    )
    assert capture_banner(lab)[0].startswith("http-api → http://127.0.0.1:8080/  ·  22 packets")


def test_the_waterfall_says_its_connect_row_ends_at_the_syn_ack(capsys):
    """The handshake step 'took 43 µs' and the waterfall's connect row said
    24 µs, with nothing saying that one ends at the SYN-ACK and the other at
    the last ACK."""
    from tutor.cli import main

    assert main(["explain", str(PROGRAMS / "https.pcapng")]) == 0
    out = capsys.readouterr().out
    legend = out.split("Timing waterfall", 1)[1].split("\n1. ", 1)[0]
    assert "connect:  SYN to SYN-ACK, one round trip (the step counts the last ACK too)" in legend
    assert "tls:      the ClientHello until the client may send encrypted data" in legend
    assert all(len(line) <= 80 for line in legend.splitlines())
