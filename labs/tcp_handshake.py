"""The tcp-handshake lab: open a TCP connection, send one line, read the
answer, close it gracefully; then knock on a port where nothing listens and
get RST. Every number the lab explains (sequence numbers, acks, options,
ports) is read back from the captured (or reconstructed) packets.

With no --target the lab starts its own listener on 127.0.0.1
(`labs.servers.echo`); with `--target HOST:PORT` it talks to that server
and skips the closed-port knock, which only makes sense on this machine.
"""

from __future__ import annotations

import re
import socket
import time
from contextlib import ExitStack
from datetime import UTC, datetime

from labs.base import LabContext, LabOptions, RawPacket
from labs.errors import BadInput, LabError
from labs.tcp_explain import story_facts, story_sections, story_steps
from labs.tcp_story import read_story
from labs.trace import Section, Trace

LAB = "tcp-handshake"
#: The one line the client sends (12 bytes with its newline).
LINE = b"hello tutor\n"
#: How long to wait for the server's answer to our line before closing anyway.
READ_TIMEOUT = 5.0

_HOST_PORT = re.compile(
    r"\[(?P<v6>[0-9A-Fa-f:.]+)\]:(?P<p6>\d+)|(?P<host>[^\s:/\[\]@]+):(?P<port>\d+)"
)


def parse_target(text: str) -> tuple[str, int]:
    """`HOST:PORT` or `[IPv6]:PORT` -> (host, port); anything else is BadInput."""
    text = text.strip()
    hint = "Give --target as HOST:PORT, for example 127.0.0.1:8080."
    if "://" in text:
        raise BadInput(f"--target {text!r} is a URL; this lab wants a host and a port.", hint)
    match = _HOST_PORT.fullmatch(text)
    if not match:
        raise BadInput(f"--target {text!r} is not HOST:PORT.", hint)
    host = match["v6"] or match["host"]
    port = int(match["p6"] or match["port"])
    if not 1 <= port <= 65535:
        raise BadInput(f"Port {port} is out of range.", "A TCP port is a number from 1 to 65535.")
    return host, port


def resolve(host: str, port: int) -> tuple[int, str]:
    """The address family and address to connect to (one DNS lookup for a name)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise BadInput(
            f"Cannot find the address of {host!r} ({exc.strerror}).",
            "Check the spelling, or give an IP address.",
        ) from None
    # Prefer IPv4: it is what the lessons draw, and what most targets answer on.
    infos.sort(key=lambda info: info[0] != socket.AF_INET)
    family, _type, _proto, _name, sockaddr = infos[0]
    return family, str(sockaddr[0])


def _is_loopback(address: str) -> bool:
    return address.startswith("127.") or address == "::1"


def _free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on: bind to let the OS pick a
    free one, then let go of it. The knock itself proves it is closed."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def converse(cap: object, family: int, address: str, port: int, timeout: float) -> bytes:
    """Connect, send LINE, read the answer, close gracefully; return the answer."""
    where = f"{address}:{port}" if family == socket.AF_INET else f"[{address}]:{port}"
    try:
        raw_sock = socket.create_connection((address, port), timeout=timeout)
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
    sock = cap.wrap(raw_sock)  # type: ignore[attr-defined]
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


def knock(cap: object, port: int, timeout: float) -> None:
    """Connect to a closed port on 127.0.0.1 and expect ECONNREFUSED (a RST)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        # Bind first so the client end is known even though connect() fails.
        sock.bind(("127.0.0.1", 0))
        client = sock.getsockname()
        sock.settimeout(timeout)
        try:
            sock.connect(("127.0.0.1", port))
        except ConnectionRefusedError:
            cap.record_refused(client, ("127.0.0.1", port))  # type: ignore[attr-defined]
            return
        raise LabError(f"Port {port} on 127.0.0.1 unexpectedly accepted.", "Run the lab again.")
    finally:
        sock.close()


def run(options: LabOptions, ctx: LabContext) -> Trace:
    from labs.capture import open_capture
    from labs.dissect import build_trace

    started = datetime.now(UTC).isoformat(timespec="seconds")
    clock = time.monotonic()
    target = parse_target(options.target) if options.target else None
    with ExitStack() as stack:
        if target is None:
            from labs.servers.echo import EchoServer

            ctx.say("Starting the lab's own TCP server on 127.0.0.1 ...")
            server = stack.enter_context(EchoServer())
            family, address, port = socket.AF_INET, "127.0.0.1", server.port
            closed: int | None = _free_port()
        else:
            family, address = resolve(*target)
            port, closed = target[1], None
        ports = [port] if closed is None else [port, closed]
        iface = "lo" if _is_loopback(address) else None
        with open_capture(ctx, ports=ports, proto="tcp", iface=iface) as cap:
            ctx.check()
            ctx.say(f"Connecting to {address}:{port}, sending one line, closing ...")
            answer = converse(cap, family, address, port, options.timeout)
            ctx.check()
            if closed is not None:
                ctx.say(f"Knocking on port {closed}, where nothing listens ...")
                knock(cap, closed, options.timeout)
            cap.settle()
        raws: list[RawPacket] = cap.packets()
    story = read_story(raws, server_port=port, closed_port=closed)
    if story is None:
        raise LabError("The capture did not contain the handshake.", "Run the lab again.")
    sections = story_sections(
        story, reconstructed=cap.kind == "reconstructed", embedded=target is None
    )
    if closed is None:
        sections += (_no_knock_note(),)
    sections += (_answer_section(answer),)
    shown = f"{address}:{port}" if family == socket.AF_INET else f"[{address}]:{port}"
    return build_trace(
        lab=LAB,
        target=shown,
        capture=cap.kind,
        raws=raws,
        capture_note=cap.note,
        steps=lambda packets: story_steps(story, packets),
        sections=sections,
        facts=story_facts(story),
        started=started,
        duration=round(time.monotonic() - clock, 3),
    )


def _no_knock_note() -> Section:
    return Section(
        "Why there is no RST here",
        "With --target the lab does not knock on closed ports of someone else's "
        "machine. Run it without --target to see a closed port answer with RST.",
    )


def _answer_section(answer: bytes) -> Section:
    if not answer:
        body = (
            "The server sent nothing back before closing. Some services wait for a "
            "particular request (HTTP wants a full request, not one line)."
        )
    else:
        text = answer.decode("utf-8", "replace")
        body = f"The server answered {len(answer)} bytes:\n{text.rstrip()}"
    return Section("What the server said", body, kind="text")
