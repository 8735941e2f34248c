"""`tutor explain FILE`: explain any pcap or pcapng capture, packet by packet."""

from __future__ import annotations

import argparse
import sys

from tutor.commands import fail


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
    p.add_argument(
        "--verbose", "-v", action="store_true", help="every layer and field, with byte offsets"
    )
    p.add_argument(
        "--show-secrets",
        action="store_true",
        help="show passwords, tokens and cookies instead of ••••",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from labs.api import LabError, explain_file, parse_decode_as

    try:
        if args.json:
            # Large captures are read in two processes; same bytes as serial.
            from labs.api import write_explain_json

            write_explain_json(
                args.file,
                sys.stdout,
                limit=args.limit,
                decode_as=parse_decode_as(args.decode_as),
                client=args.client,
            )
            return 0
        trace = explain_file(
            args.file,
            limit=args.limit,
            decode_as=parse_decode_as(args.decode_as),
            client=args.client,
        )
    except LabError as err:
        return fail(str(err), err.exit_code)
    from tutor.tracetext import render

    sys.stdout.write(render(trace, show_secrets=args.show_secrets, verbose=args.verbose))
    return 0
