"""`tutor lab list` and `tutor lab run LAB`: the labs, and running one from
the terminal with its trace printed as text, as JSON, or saved as a pcap.

Nothing heavy is imported until a lab runs; the lab itself runs in this
(main) thread, so Ctrl-C interrupts it at once and its `with` blocks close
its servers and sniffers on the way out.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from tutor.commands import fail

#: CLI option -> LabOptions field, for the options only some labs take.
LAB_OPTIONS = {
    "method": "method",
    "header": "headers",
    "data": "data",
    "insecure": "insecure",
    "name": "name",
    "type": "qtype",
    "mode": "mode",
    "simulate": "simulate",
}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "lab",
        help="list the labs, or run one and see what crossed the wire",
        description="Labs make real network requests (to their own local server, or to "
        "--target) and show every packet, explained.",
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", parser_class=type(p))
    ls = actions.add_parser(
        "list",
        help="the labs, and which version of each runs on this machine",
        description="Each lab, its lesson module, and whether it captures live here or "
        "reconstructs (no capture privilege), builds namespaces or is simulated.",
    )
    ls.add_argument("--json", action="store_true", help="print the list as JSON")
    ls.set_defaults(func=run_list)
    run = actions.add_parser(
        "run",
        help="run a lab and explain what crossed the wire",
        description="Run LAB against its own local server (or --target) and explain each "
        "packet. Exit codes: 0 ok, 2 bad usage or input, 1 the lab failed, 130 stopped.",
    )
    run.add_argument("lab", metavar="LAB", help="a lab id from `tutor lab list`")
    run.add_argument(
        "--target", metavar="URL|HOST[:PORT]", help="a live target instead of the lab's own server"
    )
    run.add_argument("--json", action="store_true", help="print the trace as JSON instead of text")
    run.add_argument(
        "--pcap", metavar="FILE", help="also save the wire packets as a pcap Wireshark opens"
    )
    run.add_argument(
        "--timeout", type=float, metavar="S", help="seconds to wait for an answer (default 10)"
    )
    run.add_argument(
        "--method", metavar="M", help="http-api: the HTTP method (default GET, POST with --data)"
    )
    run.add_argument(
        "--header",
        action="append",
        metavar="'NAME: VALUE'",
        help="http-api: a request header; repeatable",
    )
    run.add_argument("--data", metavar="D", help="http-api: the request body")
    run.add_argument(
        "--insecure",
        action="store_true",
        help="http-api, tls: do not verify the server's certificate",
    )
    run.add_argument(
        "--show-secrets",
        action="store_true",
        help="show passwords, API keys and cookies instead of ••••",
    )
    run.add_argument("--name", metavar="N", help="dns: the name to look up")
    run.add_argument("--type", metavar="T", help="dns: the record type (A, AAAA, MX, ...)")
    run.add_argument("--mode", metavar="M", help="ftp: passive|active; traceroute: udp|icmp|tcp")
    run.add_argument(
        "--simulate", action="store_true", help="traceroute, gateway-nat: run the simulated version"
    )
    run.set_defaults(func=run_lab)
    p.set_defaults(func=lambda args: (p.print_help(sys.stderr), 2)[1])


def run_list(args: argparse.Namespace) -> int:
    from labs import registry

    rows = []
    for info in registry.LABS:
        avail = registry.availability(info)
        rows.append((info, avail))
    if args.json:
        import json

        data = [
            {
                "id": i.id,
                "title": i.title,
                "module": i.module,
                "summary": i.summary,
                "version": a.version,
                "why": a.reason,
                "options": list(i.options),
                "target": i.target_hint,
            }
            for i, a in rows
        ]
        print(json.dumps(data, indent=2))
        return 0
    width = max(len(i.id) for i, _ in rows)
    for info, avail in rows:
        print(f"{info.id:<{width}}  module {info.module}  {info.title}")
        print(f"{'':<{width}}  {avail.version}: {avail.reason}")
    print("\nRun one with `tutor lab run LAB` (add --help for its options).")
    return 0


def _options(args: argparse.Namespace, info: Any) -> Any:
    """LabOptions from the command line; BadInput for what this lab does not take."""
    from labs.base import LabOptions
    from labs.errors import BadInput

    given = {
        opt: getattr(args, opt)
        for opt in LAB_OPTIONS
        if getattr(args, opt) not in (None, False, [])
    }
    unknown = [opt for opt in given if LAB_OPTIONS[opt] not in info.options]
    if unknown:
        takes = ", ".join(f"--{o}" for o, f in LAB_OPTIONS.items() if f in info.options)
        raise BadInput(
            f"The {info.id} lab does not take --{unknown[0]}.",
            f"It takes: {takes or 'no options besides --target and --timeout'}.",
        )
    if args.target is not None and info.target_hint.startswith("(none"):
        raise BadInput(f"The {info.id} lab takes no --target {info.target_hint}.")
    if args.timeout is not None and not 0 < args.timeout <= 3600:
        raise BadInput(f"--timeout {args.timeout:g}: give more than 0 and at most 3600 seconds.")
    headers = []
    for text in args.header or ():
        name, colon, value = text.partition(":")
        if not colon or not name.strip():
            raise BadInput(
                f"--header {text!r} is not 'Name: value'.",
                "For example: --header 'Accept: application/json'.",
            )
        headers.append((name.strip(), value.strip()))
    kwargs: dict[str, Any] = {LAB_OPTIONS[o]: v for o, v in given.items() if o != "header"}
    return LabOptions(
        target=args.target,
        timeout=args.timeout if args.timeout is not None else 10.0,
        headers=tuple(headers),
        **kwargs,
    )


def _save_keylog(trace: Any, pcap: Path, progress: Any) -> None:
    """Next to a TLS lab's pcap, the session keys Wireshark needs to decrypt it."""
    from labs.catalog.tls.explain import KEYLOG_SECTION

    keylog = next((s.body for s in trace.sections if s.title == KEYLOG_SECTION), None)
    if keylog:
        keys = pcap.with_name(pcap.name + ".keys")
        keys.write_text(keylog + "\n", encoding="utf-8")
        progress(f"Saved the session keys to {keys}: Wireshark decrypts the pcap with them.")


def _check_pcap_path(path: str) -> None:
    from labs.errors import BadInput

    parent = Path(path).expanduser().resolve().parent
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise BadInput(f"--pcap {path}: cannot write in {parent}.", "Choose a writable path.")


def run_lab(args: argparse.Namespace) -> int:
    from labs import registry
    from labs.errors import BadInput, Cancelled, LabError

    def progress(message: str) -> None:
        if not args.json:
            print(f"  {message}", file=sys.stderr, flush=True)

    try:
        info = registry.get(args.lab)
        options = _options(args, info)
        if args.pcap:
            _check_pcap_path(args.pcap)
            if options.simulate or (
                info.needs == "netns" and registry.availability(info).version == "simulated"
            ):
                raise BadInput(
                    "--pcap: the simulated version sends nothing, so there is no capture to save.",
                    "Run it as root (without --simulate) for real packets.",
                )
        trace = registry.run_lab(args.lab, options, progress=progress)
        if args.pcap:
            from labs.files.pcapio import write_pcap

            count = write_pcap(trace, Path(args.pcap).expanduser())
            progress(f"Saved {count} wire packets to {args.pcap}.")
            _save_keylog(trace, Path(args.pcap).expanduser(), progress)
    except Cancelled:
        return fail("stopped; the lab's servers and capture were closed.", 130)
    except KeyboardInterrupt:
        return fail("stopped; the lab's servers and capture were closed.", 130)
    except LabError as err:
        return fail(str(err), err.exit_code)
    except Exception as err:  # a bug, not the learner's doing: one line, and how to see more
        if os.environ.get("TUTOR_DEBUG"):
            raise
        return fail(
            f"the lab failed unexpectedly ({type(err).__name__}: {err}); TUTOR_DEBUG=1 shows details.",
            1,
        )
    if args.json:
        from labs.trace import dumps

        sys.stdout.write(dumps(trace) + "\n")
        return 0
    from tutor.tracetext import render

    text = render(trace, show_secrets=args.show_secrets)
    sys.stdout.write(text)
    return 0
