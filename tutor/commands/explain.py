"""`tutor explain FILE`: explain any pcap or pcapng capture, packet by packet."""

from __future__ import annotations

import argparse
import sys

from tutor.commands import (
    add_output_flags,
    apply_filter,
    check_filter,
    conflict,
    fail,
    note_client,
    print_trace,
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "explain",
        help="explain a capture file (pcap or pcapng) packet by packet",
        description="Read a capture saved by Wireshark, tcpdump or `tutor lab run --pcap` "
        "(Ethernet, Linux cooked or raw IP) and explain each packet: its layers, its fields "
        "with their Wireshark names and bytes, and what it means. Protocols tutor does not "
        "decode are shown as bytes.",
    )
    p.add_argument("file", metavar="FILE", help="a .pcap or .pcapng file")
    p.add_argument(
        "--json",
        action="store_true",
        help="print the trace as JSON (the format of `tutor lab run --json`)",
    )
    p.add_argument("--limit", type=int, metavar="N", help="explain only the first N packets")
    p.add_argument(
        "--decode-as",
        action="append",
        metavar="PORT=PROTO",
        help="read traffic on PORT as PROTO (http, dns, tls, ftp, ftp-data); repeatable",
    )
    p.add_argument(
        "--client", metavar="IP[:PORT]", help="call this side 'your computer' in the narration"
    )
    add_output_flags(p)
    p.add_argument(
        "--conversations",
        action="store_true",
        help="list the TCP and UDP conversations (Wireshark's Statistics › Conversations); "
        "with --json, added to the trace as a top-level list",
    )
    p.add_argument(
        "--follow",
        metavar="[udp:]N",
        help="print the bytes of TCP stream N (or UDP stream N) as text, each piece marked "
        "with who sent it and in which packet",
    )
    p.add_argument(
        "--tshark",
        action="store_true",
        help="with --follow: print the stream exactly as `tshark -q -z follow,tcp,ascii,N` does",
    )
    p.add_argument(
        "--show-secrets",
        action="store_true",
        help="show passwords, tokens and cookies instead of ••••",
    )
    p.add_argument(
        "--tui",
        action="store_true",
        help="open the capture in the terminal UI (packets, fields and bytes, steps, timing, "
        "conversations, a review of the glossary terms it shows); up to 10,000 packets "
        "(--limit N opens the first N)",
    )
    p.set_defaults(func=run)


def check_client(text: str | None) -> None:
    """`--client IP[:PORT]`, `[IPv6]:PORT` or a bare IPv6 address, or BadInput."""
    if text is None:
        return
    import ipaddress

    from labs.api import BadInput

    host, port = text, ""
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        port = rest.removeprefix(":") if bracket else "none"
    elif text.count(":") == 1:
        host, port = text.split(":")
    try:
        ipaddress.ip_address(host)
        if port and not 0 < int(port) < 65536:
            raise ValueError(port)
    except ValueError:
        raise BadInput(
            f"--client {text!r} is not an IP address with an optional port.",
            "For example: --client 192.168.1.23 or --client 192.168.1.23:51000.",
        ) from None


def check_decode_as(items: list[str] | None) -> None:
    """A port out of range said as such (labs.api reads the rest of PORT=PROTO)."""
    from labs.api import BadInput

    for item in items or ():
        port = item.partition("=")[0].strip()
        if port.isdigit() and not 0 < int(port) < 65536:
            raise BadInput(f"--decode-as {item!r}: the port must be 1-65535.")


def run(args: argparse.Namespace) -> int:
    from labs.api import LabError, explain_file, parse_decode_as

    clash = conflict(args)
    if clash:
        return fail(clash)
    try:
        check_client(args.client)
        check_decode_as(args.decode_as)
        check_filter(args.filter)
    except LabError as err:
        return fail(str(err), err.exit_code)
    if args.tui:
        return _tui(args)

    try:
        if args.conversations or args.follow:
            return _streams(args)
        if args.json and not args.filter:
            # Streamed (large captures in two processes); secrets masked
            # unless asked for, as `lab run --json` does.
            from labs.api import write_explain_json

            write_explain_json(
                args.file,
                sys.stdout,
                limit=args.limit,
                decode_as=parse_decode_as(args.decode_as),
                client=args.client,
                mask=not args.show_secrets,
            )
            return 0
        trace = explain_file(
            args.file,
            limit=args.limit,
            decode_as=parse_decode_as(args.decode_as),
            client=args.client,
        )
        note_client(trace, args.client)
        total = len(trace.packets)
        trace = apply_filter(trace, args.filter)
    except LabError as err:
        return fail(str(err), err.exit_code)
    if args.json:
        from labs.model.trace import dumps, masked

        sys.stdout.write(dumps(trace if args.show_secrets else masked(trace)) + "\n")
        return 0
    print_trace(trace, args, total)
    return 0


def _where(args: argparse.Namespace) -> str:
    return f"in the first {args.limit} packets" if args.limit else "in this capture"


def _streams(args: argparse.Namespace) -> int:
    """`--conversations` / `--follow N`: computed by labs.api over the whole
    capture (before --filter), rendered by tutor.streamtext."""
    from labs.api import LabError, conversations, explain_file, follow_stream, parse_decode_as
    from labs.model.trace import mask_secrets, masked, to_json
    from tutor import streamtext

    try:
        trace = explain_file(
            args.file,
            limit=args.limit,
            decode_as=parse_decode_as(args.decode_as),
            client=args.client,
        )
        note_client(trace, args.client)
        secrets = [] if args.show_secrets else trace.secret_values()
        if args.follow and not (args.json or args.tshark):
            # The learner's text masks each secret with the one mask, as every
            # other output does: the masked bytes (one * a byte, so offsets
            # hold for --json and --tshark) told a password's length.
            found, _ = follow_stream(trace, args.follow, _where(args))
            sys.stdout.write(mask_secrets(streamtext.follow_text(found), secrets))
            return 0
        if not args.show_secrets:
            trace = masked(trace)
        if args.follow:
            found, text = follow_stream(trace, args.follow, _where(args))
            sys.stdout.write(streamtext.follow_json(found) + "\n" if args.json else text)
            return 0
    except LabError as err:
        return fail(str(err), err.exit_code)
    convs = conversations(trace)
    if args.json:
        shown = apply_filter(trace, args.filter)
        sys.stdout.write(streamtext.conversations_json(to_json(shown), convs) + "\n")
    else:
        sys.stdout.write(streamtext.conversations_text(convs))
    return 0


#: What --tui cannot go with: each prints instead of opening the UI.
TUI_PRINTS = (
    "--json",
    "--diagram",
    "--follow",
    "--conversations",
    "--full",
    "--short",
    "--verbose",
)


def _tui(args: argparse.Namespace) -> int:
    """`--tui`: the capture on the capture screen (`tutor.screens.capture`),
    read there in a thread worker; the flags that print are refused."""
    from pathlib import Path

    from labs.api import LabError, parse_decode_as
    from tutor.screens.capture import MAX_PACKETS, CaptureRequest

    for flag in TUI_PRINTS:
        if getattr(args, flag[2:], None):
            return fail(
                f"--tui and {flag} cannot be used together: {flag} prints, --tui opens the UI."
            )
    if args.limit is not None and not 0 < args.limit <= MAX_PACKETS:
        return fail(
            f"--limit with --tui must be 1 to {MAX_PACKETS}: the UI opens at most that many."
        )
    if not Path(args.file).is_file():
        return fail(f"{args.file} is not a file: give a pcap or pcapng capture.")
    if not sys.stdin.isatty() or not sys.stdout.isatty():
        return fail("--tui needs a terminal: without one, leave it out to print the explanation.")
    try:
        decode_as = parse_decode_as(args.decode_as)
    except LabError as err:
        return fail(str(err), err.exit_code)
    from tutor.app import run as run_app

    request = CaptureRequest(
        args.file,
        limit=args.limit,
        decode_as=decode_as,
        client=args.client,
        filter=args.filter or "",
        show_secrets=args.show_secrets,
    )
    return run_app(capture=request)
