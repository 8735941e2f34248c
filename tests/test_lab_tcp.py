"""The tcp-handshake lab end to end: its own echo server, a second real
server with --target, bad input, and Wireshark's reading of the saved pcap.
Every run talks to 127.0.0.1 only, live (root) and reconstructed."""

from __future__ import annotations

import shutil
import socket
import socketserver
import threading

import pytest
from labrun import values
from tshark_rows import tshark_rows

from labs.catalog.tcp_handshake.run import LINE
from labs.catalog.tcp_handshake.spec import SPEC
from labs.model.errors import BadInput, LabError
from labs.model.trace import Trace
from labs.registry import run_lab


def run(target: str | None = None, cancel: threading.Event | None = None) -> Trace:
    """The lab as the CLI and the TUI run it: a request checked by its spec."""
    return run_lab(SPEC.request(target), cancel=cancel)


def port_of(trace: Trace) -> int:
    return int(trace.target.rsplit(":", 1)[1])


def assert_closed(port: int) -> None:
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


@pytest.fixture(scope="module")
def trace_by_mode():
    return {}


def embedded(mode: str, cache: dict[str, Trace]) -> Trace:
    if mode not in cache:
        cache[mode] = run()
    return cache[mode]


def test_embedded_run_steps_and_flags(mode, trace_by_mode):
    trace = embedded(mode, trace_by_mode)
    assert trace.capture == mode and trace.lab == "tcp-handshake"
    assert [s.name for s in trace.steps] == ["tcp-connect", "data", "close", "refused"]
    connect, data, close, refused = trace.steps
    flags = [values(trace.packets[i])["tcp.flags"] for i in connect.packets]
    assert flags == ["0x0002", "0x0012", "0x0010"]  # SYN, SYN-ACK, ACK
    assert all(int(values(trace.packets[i])["tcp.flags"], 16) & 0x01 for i in close.packets[:1])
    rst = values(trace.packets[refused.packets[1]])
    assert rst["tcp.flags.reset"] == "1"
    # Everything captured belongs to the lab: the echo port or the closed port.
    ports = {port_of(trace), int(values(trace.packets[refused.packets[0]])["tcp.dstport"])}
    for p in trace.packets:
        f = values(p)
        assert {int(f["tcp.srcport"]), int(f["tcp.dstport"])} & ports
    assert any(len(trace.packets[i].data) > 52 for i in data.packets)


def test_embedded_run_ack_arithmetic(mode, trace_by_mode):
    trace = embedded(mode, trace_by_mode)
    syn, synack, ack = (values(trace.packets[i]) for i in trace.steps[0].packets)
    assert int(synack["tcp.ack_raw"]) == (int(syn["tcp.seq_raw"]) + 1) % 2**32
    assert int(ack["tcp.ack_raw"]) == (int(synack["tcp.seq_raw"]) + 1) % 2**32
    # The line is acknowledged at its seq + its length.
    line = next(
        values(trace.packets[i])
        for i in trace.steps[1].packets
        if trace.packets[i].data.endswith(LINE)
    )
    acks = [
        int(values(p)["tcp.ack_raw"])
        for p in trace.packets
        if values(p)["tcp.srcport"] == line["tcp.dstport"]
    ]
    assert (int(line["tcp.seq_raw"]) + len(LINE)) % 2**32 in acks


def test_embedded_run_facts(mode, trace_by_mode):
    trace = embedded(mode, trace_by_mode)
    hs = trace.fact("handshake_packets")
    assert hs is not None and hs.value == "3" and hs.packets == trace.steps[0].packets
    assert hs.filter == "tcp.flags"
    rst = trace.fact("closed_port_answer")
    assert rst is not None and rst.value == "RST"
    assert rst.packets == (trace.steps[3].packets[1],)
    assert values(trace.packets[rst.packets[0]])["tcp.flags.reset"] == "1"
    synack = trace.fact("syn_ack_number")
    assert synack is not None and synack.value == "client ISN + 1"
    assert synack.packets == trace.steps[0].packets[:2] and synack.filter == "tcp.ack_raw"
    kind = trace.fact("client_port_kind")
    assert kind is not None and kind.value == "ephemeral"
    assert int(values(trace.packets[kind.packets[0]])["tcp.srcport"]) >= 1024


def test_embedded_run_sections_quote_the_trace(mode, trace_by_mode):
    trace = embedded(mode, trace_by_mode)
    sections = {s.title: s.body for s in trace.sections}
    syn = values(trace.packets[trace.steps[0].packets[0]])
    assert syn["tcp.seq_raw"] in sections["The handshake, number by number"]
    assert syn["tcp.srcport"] in sections["Ports: ephemeral and well-known"]
    assert sections["What the server said (40 bytes)"] == "hello from tutor, you said: hello tutor"
    assert ("rebuilt" in sections["Why plus one"]) == (mode == "reconstructed")
    assert trace.capture_note


def test_embedded_server_is_stopped(mode, trace_by_mode):
    trace = embedded(mode, trace_by_mode)
    assert_closed(port_of(trace))
    assert not [t for t in threading.enumerate() if t.name == "echo-accept"]


class _Pong(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        line = self.rfile.readline()
        self.server.lines.append(line)  # type: ignore[attr-defined]
        self.wfile.write(b"pong " + line)
        self.wfile.flush()
        self.rfile.read()  # until the client's FIN


@pytest.fixture
def pong_server():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Pong)
    server.daemon_threads = True
    server.lines = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_target_talks_to_that_server(mode, pong_server):
    port = pong_server.server_address[1]
    trace = run(f"127.0.0.1:{port}")
    assert trace.target == f"127.0.0.1:{port}" and trace.capture == mode
    assert pong_server.lines == [LINE]
    assert [s.name for s in trace.steps] == ["tcp-connect", "data", "close"]
    sections = {s.title: s.body for s in trace.sections}
    assert sections["What the server said (17 bytes)"] == "pong hello tutor"
    assert "Why there is no RST here" in sections
    assert "lab's own server" not in sections["Ports: ephemeral and well-known"]
    assert trace.fact("closed_port_answer") is None
    assert trace.fact("handshake_packets").value == "3"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "target",
    ["127.0.0.1", "http://127.0.0.1:80/", "127.0.0.1:0", "127.0.0.1:70000", "a b:1", ":80"],
)
def test_bad_target_is_one_line_bad_input(target):
    with pytest.raises(BadInput) as info:
        run(target)
    assert info.value.exit_code == 2 and "\n" not in str(info.value)


def test_refused_target_is_a_lab_error(monkeypatch):
    monkeypatch.setenv("TUTOR_CAPTURE", "reconstructed")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(LabError) as info:
        run(f"127.0.0.1:{port}")
    assert type(info.value) is LabError and info.value.exit_code == 1
    assert "refused" in str(info.value) and "\n" not in str(info.value)


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
def test_wireshark_reads_the_same_values(mode, trace_by_mode, tmp_path):
    from labs.files.pcapio import write_pcap

    trace = embedded(mode, trace_by_mode)
    path = tmp_path / "tcp.pcap"
    write_pcap(trace, path)
    names = ["tcp.srcport", "tcp.seq_raw", "tcp.ack_raw", "tcp.flags", "tcp.window_size_value"]
    names += ["tcp.window_size", "tcp.window_size_scalefactor"]
    rows = tshark_rows(path, names)
    assert len(rows) == len(trace.packets)
    for packet, theirs in zip(trace.packets, rows, strict=True):
        ours = values(packet)
        assert [theirs[n] for n in names] == [ours.get(n, "") for n in names], packet.index
    syn = tshark_rows(path, ["tcp.options.mss_val"], display_filter="tcp.flags == 0x002")[0]
    assert syn["tcp.options.mss_val"] == trace.fact("client_mss").value  # type: ignore[union-attr]


def test_syn_retry_schedule_is_the_kernels():
    """Linux 6.5+ defaults (6 retries, 4 linear): 131 s; before 6.5: 127 s."""
    from labs.catalog.tcp_handshake.explain import syn_schedule

    assert syn_schedule(6, 4) == ([1, 2, 3, 4, 5, 7, 11, 19, 35, 67], 131)
    assert syn_schedule(6, 0) == ([1, 3, 7, 15, 31, 63], 127)


def test_the_syn_resends_say_the_linear_ones_come_on_top_of_the_retries():
    """'resends it at about 1, 2, … 67 s (tcp_syn_retries = 6; … the first 4
    resends come 1 s apart)': a learner counted 10 times for 6 retries."""
    from labs.catalog.tcp_handshake.explain import timers_section

    body = timers_section({"tcp_syn_retries": 6, "tcp_syn_linear_timeouts": 4}).body
    assert "resends it 10 times, at about 1, 2, 3, 4, 5, 7, 11, 19, 35, 67 s" in body
    assert "4 resends 1 s apart first, then tcp_syn_retries = 6 more" in body
    old = timers_section({"tcp_syn_retries": 6}).body
    assert "resends it 6 times, at about 1, 3, 7, 15, 31, 63 s" in old


def test_the_lab_reads_this_machines_tcp_timers(reconstructed):
    trace = run()
    section = next(s for s in trace.sections if s.title == "This machine's TCP timers")
    with open("/proc/sys/net/ipv4/tcp_keepalive_time", encoding="ascii") as fh:
        assert f"after {int(fh.read())} s of silence" in section.body
