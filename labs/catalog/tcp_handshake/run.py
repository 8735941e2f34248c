"""The tcp-handshake lab: open a TCP connection, send one line, read the
answer, close it gracefully; then knock on a port where nothing listens and
get RST. Every number the lab explains (sequence numbers, acks, options,
ports) is read back from the captured (or reconstructed) packets.

With no --target the lab starts its own listener on 127.0.0.1
(`labs.catalog.tcp_handshake.server`); with `--target HOST:PORT` it talks to that server
and skips the closed-port knock, which only makes sense on this machine.
"""

from __future__ import annotations

import socket
from contextlib import ExitStack
from dataclasses import replace

from labs.catalog.tcp_handshake.explain import (
    story_facts,
    story_sections,
    story_steps,
    timers_section,
)
from labs.catalog.tcp_handshake.result import TcpResult
from labs.catalog.tcp_handshake.server import EchoServer
from labs.catalog.tcp_handshake.story import read_story
from labs.kit import (
    Capture,
    Endpoint,
    LabContext,
    LabError,
    LabRequest,
    Plan,
    Recording,
    Section,
    Trace,
    capture_run,
    capture_where,
    free_port,
    make_trace,
    network_errors,
    parse_host_port,
    resolve,
    sender_ip,
)

LAB = "tcp-handshake"
#: The one line the client sends (12 bytes with its newline).
LINE = b"hello tutor\n"
#: How long to wait for the server's answer to our line before closing anyway.
READ_TIMEOUT = 5.0

TARGET_HINT = "Give --target as HOST:PORT, for example 127.0.0.1:8080."


def converse(cap: Capture, server: Endpoint, timeout: float) -> bytes:
    """Connect, send LINE, read the answer, close gracefully; return the answer."""
    with network_errors(
        server.shown, timeout, timeout_hint="Check the address; a firewall may be dropping the SYN."
    ):
        # Through the capture, so that a reconstruction records the SYN's time too.
        sock = cap.create_connection((server.address, server.port), timeout)
        try:
            sock.sendall(LINE)
            sock.settimeout(min(timeout, READ_TIMEOUT))
            answer = _read(sock, until_newline=True)
            # Our FIN first, then read whatever is left until the server's FIN, so
            # unread data never turns the close into a RST.
            sock.shutdown(socket.SHUT_WR)
            return answer + _read(sock, until_newline=False)
        finally:
            sock.close()


def _read(sock: socket.socket, until_newline: bool) -> bytes:
    data = b""
    try:
        while not (until_newline and b"\n" in data) and len(data) < 65536:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    except TimeoutError:
        pass
    return data


def knock(cap: Capture, port: int, timeout: float) -> None:
    """Connect to a closed port on 127.0.0.1 and expect ECONNREFUSED (a RST)."""
    # Wrapped before connect() so a reconstruction records the refusal itself.
    sock = cap.wrap(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
    try:
        # Bind first so the client end is known even though connect() fails.
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(timeout)
        try:
            sock.connect(("127.0.0.1", port))
        except ConnectionRefusedError:
            return
        raise LabError(f"Port {port} on 127.0.0.1 unexpectedly accepted.", "Run the lab again.")
    finally:
        sock.close()


def _port_range() -> tuple[int, int] | None:
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range", encoding="ascii") as fh:
            low, high = fh.read().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return None


#: The TCP timers a learner meets when a network misbehaves (ip-sysctl docs).
TIMERS = (
    "tcp_syn_retries",
    "tcp_syn_linear_timeouts",
    "tcp_keepalive_time",
    "tcp_keepalive_intvl",
    "tcp_keepalive_probes",
)


def _timers() -> tuple[tuple[str, int], ...]:
    """The TIMERS this kernel has, as set on this machine (a kernel before
    Linux 6.5 has no tcp_syn_linear_timeouts, and is left without it)."""
    found = []
    for name in TIMERS:
        try:
            with open(f"/proc/sys/net/ipv4/{name}", encoding="ascii") as fh:
                found.append((name, int(fh.read(32).strip())))
        except (OSError, ValueError):
            continue
    return tuple(found)


def record(req: LabRequest, ctx: LabContext) -> Recording[TcpResult]:
    target = parse_host_port(req.target, None, TARGET_HINT) if req.target else None
    where: list[tuple[Endpoint, int | None]] = []

    def setup(stack: ExitStack) -> Plan:
        if target is None:
            ctx.say("Starting the lab's own TCP server on 127.0.0.1 ...")
            echo = stack.enter_context(EchoServer())
            server, closed = Endpoint(socket.AF_INET, "127.0.0.1", echo.port), free_port()
        else:
            server, closed = resolve(*target, socket.SOCK_STREAM), None
        where.append((server, closed))
        iface, host = capture_where(server)
        ports = (server.port,) if closed is None else (server.port, closed)
        return Plan(server.shown, ports, "tcp", iface, host)

    def talk(cap: Capture, plan: Plan) -> TcpResult:
        server, closed = where[0]
        ctx.say(f"Connecting to {server.shown}, sending one line, closing ...")
        answer = converse(cap, server, req.timeout)
        if closed is not None:
            ctx.check()
            ctx.say(f"Knocking on port {closed}, where nothing listens ...")
            knock(cap, closed, req.timeout)
        return TcpResult(server.port, closed, answer, _port_range(), _timers())

    return capture_run(ctx, LAB, setup, talk)


def explain(rec: Recording[TcpResult]) -> Trace:
    res = rec.result
    trace = make_trace(rec, client=sender_ip(rec.raws[0]), steps=())
    story = read_story(trace.packets, server_port=res.server_port, closed_port=res.closed_port)
    if story is None:
        raise LabError("The capture did not contain the handshake.", "Run the lab again.")
    embedded = res.closed_port is not None
    sections = story_sections(story, rec.capture == "reconstructed", embedded, res.port_range)
    if not embedded:
        sections += (_no_knock_note(),)
    sections += (_answer_section(res.answer),)
    if res.timers:
        sections += (timers_section(dict(res.timers)),)
    return replace(
        trace,
        steps=story_steps(story, trace.packets),
        sections=sections,
        facts=story_facts(story),
    )


RESULT = TcpResult


def _no_knock_note() -> Section:
    return Section(
        "Why there is no RST here",
        "With --target the lab talks only to the server you named; it knocks on a "
        "closed port only in its own setup. Run it without --target to see a closed "
        "port answer with RST.",
    )


def _answer_section(answer: bytes) -> Section:
    if not answer:
        return Section(
            "What the server said",
            "Nothing: the server sent no bytes back before closing. Some services wait "
            "for a particular request (HTTP wants a whole request, not one line).",
        )
    text = answer.decode("utf-8", "replace").rstrip()
    return Section(f"What the server said ({len(answer)} bytes)", text, kind="code")
