"""The plain-text rendering of a trace: honesty lines, steps, packets,
sections, facts, and secrets masked wherever they appear."""

from __future__ import annotations

from pathlib import Path

from labs.model.trace import Fact, Field, Layer, Packet, Section, Step, Trace
from tutor.tracetext import MASK, duration, render


def _trace(capture: str = "live", **kw) -> Trace:
    auth = Field(
        "Authorization", "http.authorization", "Bearer abc123", "Bearer abc123", 60, 13, "", True
    )
    method = Field("Method", "http.request.method", "GET", "GET", 40, 3)
    packets = (
        Packet(
            0,
            0.0,
            "127.0.0.1:5000",
            "127.0.0.1:80",
            "TCP SYN",
            "00",
            "asks to open a conversation (SYN).",
        ),
        Packet(
            1,
            0.0025,
            "127.0.0.1:5000",
            "127.0.0.1:80",
            "HTTP GET /",
            "00",
            "sends GET / with Bearer abc123.",
            (Layer("HTTP", 40, 40, (method, auth)),),
            origin="inside-tls",
        ),
    )
    steps = (
        Step("tcp-connect", (0,), "1 packet opens.", "Open the connection", 0.0, 0.0),
        Step("request", (1,), "The request.", "Send the request", 0.0025, 0.0),
    )
    return Trace(
        lab="http-api",
        target="http://127.0.0.1/",
        capture=capture,
        steps=steps,
        packets=packets,
        capture_note=kw.get("note", ""),
        sections=(
            Section("The same request with curl", "curl http://127.0.0.1/", "code"),
            Section("Headers", "name\tvalue\nHost\t127.0.0.1", "table"),
        ),
        facts=(
            Fact(
                "packets_to_connect",
                "3",
                "SYN, SYN-ACK, ACK.",
                (0, 1, 2),
                "tcp.flags",
                label="Packets to open a connection",
            ),
        ),
        duration=1.5,
    )


def test_header_steps_packets_sections_facts():
    out = render(_trace(note="Captured live on lo."))
    lines = out.splitlines()
    assert lines[0] == "http-api · http://127.0.0.1/"
    assert "Captured live on lo." in out and "RECONSTRUCTED" not in out
    assert "1. Open the connection  at 0 µs  packet 1" in out  # Wireshark's No.
    assert "2. Send the request  at 2.5 ms" in out
    # Read inside TLS after wire packet 1: "#1a", as Wireshark shows it inside frame 1.
    assert "#1a  +   2.5 ms  127.0.0.1:5000 → 127.0.0.1:80  HTTP GET /" in out
    assert "(inside the encrypted tunnel — not visible on the wire)" in out
    assert "    curl http://127.0.0.1/" in out
    assert "  name  value" in out and "  Host  127.0.0.1" in out
    # The fact names packets past this two-packet trace (1, 1a, then wire 2).
    assert "Packets to open a connection: 3 (packets 1-2, tcp.flags)" in out
    assert "the whole run took 1500 ms" in out


def test_secrets_masked_in_fields_and_sentences():
    out = render(_trace())
    assert "abc123" not in out
    assert f"http.authorization = Bearer {MASK}" in out and f"with Bearer {MASK}." in out
    shown = render(_trace(), show_secrets=True)
    assert "Bearer abc123" in shown and "--show-secrets" not in shown


def test_reconstructed_and_simulated_are_loud():
    assert "!! RECONSTRUCTED: these packets were not captured" in render(_trace("reconstructed"))
    assert "!! SIMULATED: nothing was sent" in render(_trace("simulated"))


def test_verbose_lists_every_field_with_its_bytes():
    out = render(_trace(), verbose=True)
    assert "HTTP  (bytes 40-79)" in out
    assert "Method http.request.method = GET  [40+3]" in out
    assert f"Authorization http.authorization = Bearer {MASK}  [60+13]" in out


def test_durations():
    assert duration(0) == "0 µs"
    assert duration(0.0000004) == "<1 µs"
    assert duration(0.0123) == "12.3 ms"
    assert duration(2) == "2000 ms"


def test_a_secret_quoted_in_a_section_is_masked_too():
    from labs.model.trace import Field, Layer, Packet, Section, Trace
    from tutor.tracetext import render

    key = Field(
        "X-API-Key",
        "http.request.line",
        "X-API-Key: k-demo-1234",
        "k-demo-1234",
        0,
        22,
        secret=True,
    )
    trace = Trace(
        lab="http-api",
        target="http://127.0.0.1:1/",
        capture="live",
        steps=(),
        packets=(
            Packet(0, 0.0, "a", "b", "HTTP GET", "00" * 22, "", (Layer("HTTP", 0, 22, (key,)),)),
        ),
        sections=(Section("curl", "curl -H 'X-API-Key: k-demo-1234' http://127.0.0.1:1/", "code"),),
    )
    assert "k-demo-1234" not in render(trace)
    assert "k-demo-1234" in render(trace, show_secrets=True)


def test_icmp_errors_show_the_routers_fields_not_the_quoted_probes(monkeypatch):
    from tutor.tracetext import render

    monkeypatch.setenv("TUTOR_SIMULATE", "1")
    from labrun import run

    trace = run("traceroute", simulate=True)
    errors = [p for p in trace.packets if any(x.name.endswith(" (quoted)") for x in p.layers)]
    assert errors
    text = render(trace)
    block = text[text.index(f"#{errors[0].index + 1} ") :].split("\n  #", 1)[0]
    assert "icmp.type = " in block and "udp.length" not in block


def test_the_summary_comes_first_and_short_stops_there():
    trace = _trace()
    full = render(trace)
    # Steps, the first table (the exchanges) and the facts come before any packet.
    assert full.index("Headers") < full.index("What this run shows") < full.index("\nPackets\n")
    assert full.count("Headers") == 1  # not repeated with the other sections
    short = render(trace, full=False)
    assert "What this run shows" in short and "Headers" in short
    assert "#1 " not in short and "curl http://127.0.0.1/" not in short
    assert "--full shows every packet (2) and 1 more section;" in short


def test_many_steps_are_counted_in_the_summary_and_listed_in_full():
    from dataclasses import replace

    trace = _trace()
    many = replace(trace, steps=trace.steps * 8)
    short = render(many, full=False)
    assert "16 steps: Open the connection ×8; Send the request ×8." in short
    assert "Open the connection  [tcp-connect]" not in short
    numbered = replace(
        many,
        steps=tuple(replace(s, title=f"{s.title} ({i}. GET)") for i, s in enumerate(many.steps)),
    )
    assert "16 steps: Open the connection ×8; Send the request ×8." in render(numbered, full=False)
    full = render(many)
    assert "16. Send the request  at 2.5 ms" in full
    assert full.count("\nSteps\n") == 1  # one Steps part, not a count and then the list


def test_tables_wrap_to_the_width():
    long = "a value long enough to need more than one line at sixty columns " * 2
    trace = _trace()
    from dataclasses import replace

    wide = replace(trace, sections=(Section("Wide", f"what\tvalue\nSNI\t{long}", "table"),))
    lines = render(wide, width=60).splitlines()
    start = lines.index("Wide") + 1
    table = lines[start : lines.index("", start)]
    assert all(len(line) <= 60 for line in table)
    assert sum("value long enough" in line or "lines at" in line for line in table) >= 1
    assert len([line for line in table if line.startswith("  ")]) > 3


def test_filtered_output_lists_the_matching_packets_out_of_all():
    from dataclasses import replace

    from labs.model.numbers import keep

    trace = _trace()
    one = replace(trace, packets=trace.packets[1:])
    keep(one, trace)  # as the display filter does: the whole trace's numbers
    out = render(one, full=False, filtered="http", total=2)
    assert "2 packets" in out  # the header counts the whole run
    assert "Packets matching http: 1 of 2" in out and "#1a " in out


def test_colour_on_a_terminal_only(monkeypatch):
    import io

    from tutor.tracetext import print_trace

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    out = Tty()
    print_trace(_trace(), out, full=False)
    assert "\x1b[" in out.getvalue()
    piped = io.StringIO()
    print_trace(_trace(), piped, full=False)
    assert "\x1b[" not in piped.getvalue()
    monkeypatch.setenv("NO_COLOR", "1")
    plain = Tty()
    print_trace(_trace(), plain, full=False)
    # NO_COLOR takes the colour away (bold stays, as no-color.org allows).
    assert "\x1b[1;36m" not in plain.getvalue() and "36m" not in plain.getvalue()


def test_a_secret_key_field_is_listed_once():
    """FTP's PASS line read "ftp.request.arg = •••• · Request arg = ••••"."""
    from labs.api import explain_file

    path = Path(__file__).parent / "data" / "programs" / "ftp.pcapng"
    out = render(explain_file(path))
    line = next(x for x in out.splitlines() if "ftp.request.arg = " in x)
    assert "Request arg = " not in out, line
