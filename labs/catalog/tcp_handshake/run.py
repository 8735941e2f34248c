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
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from labs.base import LabContext, LabOptions, RawPacket
from labs.catalog.tcp_handshake.explain import story_facts, story_sections, story_steps
from labs.catalog.tcp_handshake.story import read_story
from labs.errors import LabError
from labs.hostport import Endpoint, capture_where, parse_host_port, resolve
from labs.trace import Section, Trace

if TYPE_CHECKING:
    from labs.capture.core import Capture

LAB = "tcp-handshake"
#: The one line the client sends (12 bytes with its newline).
LINE = b"hello tutor\n"
#: How long to wait for the server's answer to our line before closing anyway.
READ_TIMEOUT = 5.0

TARGET_HINT = "Give --target as HOST:PORT, for example 127.0.0.1:8080."


def _free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on: bind to let the OS pick a
    free one, then let go of it. The knock itself proves it is closed."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def converse(cap: Capture, server: Endpoint, timeout: float) -> bytes:
    """Connect, send LINE, read the answer, close gracefully; return the answer."""
    where = server.shown
    try:
        # Through the capture, so that a reconstruction records the SYN's time too.
        sock = cap.create_connection((server.address, server.port), timeout)
    except ConnectionRefusedError:
        raise LabError(
            f"Nothing accepted the connection at {where} (connection refused).",
            "Check the port, or run without --target to use the lab's own server.",
        ) from None
    except TimeoutError:
        raise LabError(
            f"No answer from {where} within {timeout:g} s.",
            "Check the address; a firewall may be dropping the SYN.",
        ) from None
    except OSError as exc:
        raise LabError(f"Could not connect to {where}: {exc.strerror or exc}.") from None
    answer = b""
    try:
        sock.sendall(LINE)
        sock.settimeout(min(timeout, READ_TIMEOUT))
        answer = _read(sock, until_newline=True)
        # Our FIN first, then read whatever is left until the server's FIN, so
        # unread data never turns the close into a RST.
        sock.shutdown(socket.SHUT_WR)
        answer += _read(sock, until_newline=False)
    except OSError as exc:
        raise LabError(f"The connection to {where} broke: {exc.strerror or exc}.") from None
    finally:
        sock.close()
    return answer


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


def run(options: LabOptions, ctx: LabContext) -> Trace:
    from labs.capture.core import open_capture
    from labs.dissect.core import build_trace

    started = datetime.now(UTC).isoformat(timespec="seconds")
    clock = time.monotonic()
    target = parse_host_port(options.target, None, TARGET_HINT) if options.target else None
    with ExitStack() as stack:
        closed: int | None = None
        if target is None:
            from labs.catalog.tcp_handshake.server import EchoServer

            ctx.say("Starting the lab's own TCP server on 127.0.0.1 ...")
            echo = stack.enter_context(EchoServer())
            server = Endpoint(socket.AF_INET, "127.0.0.1", echo.port)
            closed = _free_port()
        else:
            server = resolve(*target, socket.SOCK_STREAM)
        ports = [server.port] if closed is None else [server.port, closed]
        iface, host = capture_where(server)
        with open_capture(ctx, ports=ports, proto="tcp", iface=iface, host=host) as cap:
            ctx.check()
            ctx.say(f"Connecting to {server.shown}, sending one line, closing ...")
            answer = converse(cap, server, options.timeout)
            ctx.check()
            if closed is not None:
                ctx.say(f"Knocking on port {closed}, where nothing listens ...")
                knock(cap, closed, options.timeout)
            cap.settle()
        raws: list[RawPacket] = cap.packets()
    story = read_story(raws, server_port=server.port, closed_port=closed)
    if story is None:
        raise LabError("The capture did not contain the handshake.", "Run the lab again.")
    sections = story_sections(
        story, reconstructed=cap.kind == "reconstructed", embedded=target is None
    )
    if closed is None:
        sections += (_no_knock_note(),)
    sections += (_answer_section(answer),)
    return build_trace(
        lab=LAB,
        target=server.shown,
        capture=cap.kind,
        raws=raws,
        capture_note=cap.note,
        steps=lambda packets: story_steps(story, packets),
        sections=sections,
        facts=story_facts(story),
        started=started,
        duration=round(time.monotonic() - clock, 3),
        client=story.syn.src,
    )


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
