"""`tutor explain FILE`: explain any pcap or pcapng capture, packet by packet."""

from __future__ import annotations

import argparse
import sys

from tutor.commands import add_output_flags, apply_filter, fail, print_trace


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
        help="print the bytes of TCP stream N (or UDP stream N) as text, both directions "
        "marked (as tshark -z follow,tcp,ascii,N)",
    )
    p.add_argument(
        "--show-secrets",
        action="store_true",
        help="show passwords, tokens and cookies instead of ••••",
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


def run(args: argparse.Namespace) -> int:
    from labs.api import LabError, explain_file, parse_decode_as

    try:
        check_client(args.client)
    except LabError as err:
        return fail(str(err), err.exit_code)

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


def _streams(args: argparse.Namespace) -> int:
    """`--conversations` / `--follow N`: computed by labs.api over the whole
    capture (before --filter), rendered by tutor.streamtext."""
    from labs.api import LabError, conversations, explain_file, follow_stream, parse_decode_as
    from labs.model.trace import masked, to_json
    from tutor import streamtext

    try:
        trace = explain_file(
            args.file,
            limit=args.limit,
            decode_as=parse_decode_as(args.decode_as),
            client=args.client,
        )
        if not args.show_secrets:
            trace = masked(trace)
        if args.follow:
            found, text = follow_stream(trace, args.follow)
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
