"""Words a new user (a product manager, an analyst, a support lead) tripped
over, each said in plain words where the learner reads it: the dns lab's
DNSSEC, CD bit and QNAME minimisation, its flags table and who is who by
address; the TCP ISN at first use; the lab list; the [offset+length] after
each field; the capture note; the glossary's lessons; and the lessons' own
undefined words."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

import labs.api
from labs import registry
from labs.capture.live import LiveCapture
from labs.core.base import LabContext
from labs.kit import load_recording
from labs.model.trace import Trace
from tutor.cli import main
from tutor.tracetext import render

GOLDEN = Path(__file__).parent / "data" / "golden"


def _stored(lab: str, variant: str) -> Trace:
    """A stored run of a lab, explained as the lab explains it today."""
    run = importlib.import_module(f"{registry.get(lab).package}.run")
    return run.explain(load_recording(GOLDEN / lab / variant / "recording.json", run.RESULT))


def _section(trace: Trace, start: str) -> str:
    return next(s.body for s in trace.sections if s.title.startswith(start))


# -- the dns lab -----------------------------------------------------------------


def test_dns_differences_say_what_dnssec_the_cd_bit_and_qname_minimisation_are():
    body = _section(_stored("dns", "recursive"), "Where this lab differs")
    assert "DNSSEC, the DNS security extensions, adds signatures to records" in body
    assert "CD bit (checking disabled, dns.flags.checkdisable)" in body
    assert "asks the server not to check signatures on the resolver's behalf" in body
    assert "QNAME minimisation (RFC 9156) is a privacy measure" in body
    assert "only as much of the name as that server needs" in body


def test_dns_walk_table_names_its_flags_in_words_before_the_filter_names():
    title = next(s.title for s in _stored("dns", "recursive").sections if s.kind == "table")
    words = ("authoritative answer", "recursion desired", "recursion available")
    assert all(w in title for w in words), title
    assert title.index("recursion available") < title.index("dns.flags.authoritative")


def test_dns_says_which_address_in_the_ladder_is_which_server():
    recording = json.loads((GOLDEN / "dns/recursive/recording.json").read_text())
    roles = recording["result"]["roles"] if "result" in recording else recording["roles"]
    rows = _section(_stored("dns", "recursive"), "Who is who").splitlines()[1:]
    assert rows == [f"{address}\t{role}" for address, role in roles]
    root = next(r for r in rows if "root server" in r)
    assert root.split("\t")[0].endswith(".2")


# -- tcp-handshake ---------------------------------------------------------------


@pytest.mark.parametrize("variant", ["default", "target"])
def test_isn_is_spelled_out_where_the_learner_first_reads_it(variant):
    trace = _stored("tcp-handshake", variant)
    for rendered in (render(trace, full=False), render(trace, full=True)):
        text = " ".join(rendered.split())
        assert text.index("initial sequence number") < text.index("ISN")
    table = _section(trace, "The handshake, number by number")
    assert "initial sequence number (ISN)" in table.splitlines()[1]


# -- the lab list ----------------------------------------------------------------


def _availability(version: str, reason: str):
    return lambda spec: registry.Availability(version, reason)


@pytest.mark.parametrize(
    ("version", "reason", "said"),
    [
        (
            "namespaces",
            "Running as root with iproute2: routers are built in namespaces.",
            "builds a small network of real routers inside this machine",
        ),
        (
            "live",
            "Running with capture privilege and libpcap: packets are captured live.",
            "captures the real packets as they cross this machine",
        ),
    ],
)
def test_lab_list_says_what_runs_here_without_internal_notes(
    capsys, monkeypatch, version, reason, said
):
    monkeypatch.setattr(labs.api, "availability", _availability(version, reason))
    assert main(["lab", "list"]) == 0
    out = capsys.readouterr().out
    assert said in out
    assert "Running" not in out and "iproute2" not in out and "libpcap" not in out


def test_lab_list_says_what_root_is_when_a_lab_needs_it(capsys, monkeypatch):
    reason = "Building routers in network namespaces needs root; they run simulated."
    monkeypatch.setattr(labs.api, "availability", _availability("simulated", reason))
    assert main(["lab", "list"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "computes the packets from a model of the network; nothing is sent" in out
    assert f"Why: {reason} (Root is the administrator account" in out


def test_tcp_handshake_summary_says_what_it_shows_before_the_packet_names():
    summary = labs.api.get("tcp-handshake").summary
    assert summary.startswith("How two programs open a connection")
    assert summary.index("close it") < summary.index("SYN")


async def test_the_tui_lab_list_shows_the_words_not_the_internal_note(monkeypatch):
    import io

    from rich.console import Console

    from tutor.app import make_app

    monkeypatch.setattr(
        labs.api,
        "availability",
        _availability("namespaces", "Running as root with iproute2: routers are built."),
    )
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("L")
        await pilot.pause()
        options = app.screen.query_one("#labs")
        out = io.StringIO()
        for i in range(options.option_count):
            Console(width=96, color_system=None, file=out).print(
                options.get_option_at_index(i).prompt
            )
    shown = " ".join(out.getvalue().split())
    assert "How two programs open a connection" in shown
    assert "Here: namespaces, it builds a small network of real routers" in shown
    assert "Running as root" not in shown and "iproute2" not in shown


# -- explain -v, the capture note, the glossary --------------------------------


def test_verbose_output_says_once_what_the_bracket_after_a_field_means():
    trace = _stored("dns", "default")
    text = render(trace, verbose=True, full=True)
    first = next(f for p in trace.packets for la in p.layers for f in la.fields if f.length)
    size = f"{first.length} byte{'s' if first.length != 1 else ''}"
    legend = f"[{first.offset}+{first.length}] is {size} from byte {first.offset}"
    flat = " ".join(text.split())
    assert flat.count("[where it starts+how many bytes it takes]") == 1
    assert legend in flat
    assert "[where it" not in render(trace, verbose=False, full=True)


def test_live_capture_note_says_the_interface_in_words_and_the_filter_as_one():
    cap = LiveCapture(LabContext(), set(), "udp", "lo", None, (53, 53), 1.0)
    assert cap.note.startswith("Captured live on the loopback interface (lo)")
    assert "(capture filter for tcpdump or Wireshark: udp and (port 53))" in cap.note
    assert "scapy" not in cap.note and "portrange" not in cap.note


def test_glossary_names_lessons_by_place_and_title(capsys):
    assert main(["glossary", "ARP"]) == 0
    out = capsys.readouterr().out
    assert "Lessons that use it:\n" in out
    assert "  module 2, lesson 5: MAC addresses and ARP: the last few metres" in out
    assert "Lessons: " not in out


def test_the_glossary_screen_names_lessons_as_the_cli_does():
    """The TUI's entry showed "2. MAC addresses and ARP ... (mac-and-arp)": a slug."""
    from tutor.content import load_course
    from tutor.widgets.term_view import entry_markup

    course = load_course()
    arp = course.glossary.resolve("ARP")
    assert arp is not None
    markup = entry_markup(course, arp)
    assert "• module 2, lesson 5: MAC addresses and ARP: the last few metres" in markup
    assert "(mac-and-arp)" not in markup


def test_the_lab_screen_says_what_runs_here_as_the_list_does(monkeypatch):
    """Before a run the lab screen said "This machine: namespaces — Running as
    root with iproute2: ...", the internal note the lab list no longer shows."""
    from tutor.screens.lab import LabScreen

    monkeypatch.setattr(
        labs.api, "availability", _availability("namespaces", "Running as root with iproute2.")
    )
    screen = LabScreen.__new__(LabScreen)
    screen.lab = registry.get("gateway-nat")
    intro = screen._intro()
    assert "builds a small network of real routers inside this machine" in intro
    assert "iproute2" not in intro and "This machine:" not in intro


# -- the lessons -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("lesson", "words"),
    [
        ("http-pagination-limits", "IETF (Internet Engineering Task Force"),
        ("ftp-secure", "the IETF, the Internet Engineering Task Force"),
        ("websockets", "a GUID, a globally unique identifier"),
        ("mac-and-arp", "hardware type 1 = Ethernet, protocol type 0x0800 = IPv4"),
        ("mac-and-arp", "address sizes: a MAC is 6 bytes, an IPv4 address 4"),
        ("dns-records", "opcode 0 (kind of request)"),
        ("dns-records", "QR 1 (query or response?)"),
        ("http-status-codes", '`realm="orders"` names the protected area'),
        ("http-auth", "`realm` names the protected area"),
        ("firewalls", "ends TLS (holds the site's certificate key and decrypts"),
        ("proxies-gateways-load-balancers", "ends TLS: the customer's encrypted connection"),
    ],
)
def test_lessons_say_their_words_at_first_use(capsys, lesson, words):
    assert main(["show", lesson]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert words in out


def test_a_traceroute_probes_port_is_not_only_called_ephemeral():
    """traceroute's probe to 33434 was explained only as "picked by the
    operating system for this one conversation"."""
    from labs.api import explain_file

    path = Path(__file__).parent / "data" / "programs" / "traceroute.pcapng"
    probe = next(
        f
        for p in explain_file(path).packets
        for layer in p.layers
        for f in layer.fields
        if f.filter == "udp.dstport" and f.value == "33434"
    )
    assert "traceroute sends its probes to (33434 and up)" in probe.explain
