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
from typing import Any

from tutor.commands import (
    add_output_flags,
    apply_filter,
    check_filter,
    conflict,
    fail,
    print_trace,
)


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
        "--show-secrets",
        action="store_true",
        help="show passwords, API keys and cookies instead of ••••",
    )
    add_output_flags(run)
    add_lab_flags(run)
    run.set_defaults(func=run_lab)
    # `tutor lab` alone lists them, as its help line promises ("list the
    # labs, or run one"): it was a usage error a new user met first.
    p.set_defaults(func=run_list, json=False)


def run_list(args: argparse.Namespace) -> int:
    from labs.api import availability, specs

    rows = [(info, availability(info)) for info in specs()]
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
                "options": [o.name for o in i.options],
                "target": i.target.hint,
            }
            for i, a in rows
        ]
        print(json.dumps(data, indent=2))
        return 0
    from tutor.packettext import wrap
    from tutor.tracetext import text_width

    width = max(len(i.id) for i, _ in rows)
    digits = max(len(str(i.module)) for i, _ in rows)  # module 3 and module 10 align
    indent = " " * (width + 2)
    # The one width rule (COLUMNS, into a pipe too): the availability line
    # wraps under itself, not at column 0, on a terminal and in a pipe alike;
    # a cell short of the edge, where a full line makes some terminals add a
    # blank one.
    columns = text_width(sys.stdout) - 1
    for info, avail in rows:
        lead = f"{info.id:<{width}}  module {info.module:>{digits}}  "
        print(lead + wrap(info.title, " " * len(lead), columns).lstrip())
        print(wrap(here(avail.version, avail.reason), indent, columns))
    print(
        "\n" + wrap("Run one with `tutor lab run LAB` (add --help for its options).", "", columns)
    )
    return 0


#: What each version of a lab does on this machine, in a learner's words.
VERSIONS = {
    "live": "captures the real packets as they cross this machine.",
    "reconstructed": "records the bytes the lab's programs sent and received, and rebuilds "
    "the packet headers around them (they are not captured).",
    "namespaces": "builds a small network of real routers inside this machine (Linux "
    "network namespaces) and captures the packets crossing it.",
    "simulated": "computes the packets from a model of the network; nothing is sent.",
}
#: Said after a reason that names root: what root is, and how to run as it.
ROOT = " (Root is the administrator account: `sudo tutor lab run LAB` runs a lab as root.)"


def here(version: str, reason: str) -> str:
    """What the lab does here, in words, then why only where it does less
    than it could: when it runs in full, the reason is an internal note
    ("Running as root with iproute2") the learner has no use for."""
    said = f"Here: {version}, it {VERSIONS.get(version, 'runs.')}"
    if version in ("live", "namespaces"):
        return said
    return f"{said} Why: {reason}" + (ROOT if "root" in reason else "")


def add_lab_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per option any lab declares (labs.core.spec), its help naming the
    labs that take it. Which lab takes what is checked by the lab's spec, the
    same check the TUI's option bar goes through."""
    from labs.api import specs

    flags: dict[str, list[tuple[str, Any]]] = {}
    for spec in specs():
        for opt in spec.options:
            flags.setdefault(opt.flag, []).append((spec.id, opt))
    for flag, users in flags.items():
        opt = users[0][1]
        said: dict[str, list[str]] = {}
        for lab, o in users:
            said.setdefault(o.help + (f" ({'|'.join(o.choices)})" if o.choices else ""), []).append(
                lab
            )
        helps = "; ".join(f"{', '.join(labs)}: {text}" for text, labs in said.items())
        dest = "lab_" + flag.removeprefix("--").replace("-", "_")
        if opt.kind == "flag":
            parser.add_argument(flag, dest=dest, action="store_true", help=helps)
        elif opt.kind == "list":
            parser.add_argument(flag, dest=dest, action="append", metavar=opt.metavar, help=helps)
        else:
            parser.add_argument(flag, dest=dest, metavar=opt.metavar or "V", help=helps)


def _request(args: argparse.Namespace) -> Any:
    """The lab's request from the command line, validated by its spec."""
    from labs.api import BadInput, get

    spec = get(args.lab)
    # An empty value typed on the command line is a mistake, not "the default"
    # (the TUI's empty boxes are; the spec treats both alike).
    for key, value in [("target", args.target), *vars(args).items()]:
        if (
            isinstance(value, str)
            and not value.strip()
            and (key == "target" or key.startswith("lab_"))
        ):
            flag = "--" + key.removeprefix("lab_").replace("_", "-")
            raise BadInput(f"{flag} is empty.", f"Leave {flag} out, or give it a value.")
    given = {
        "--" + key.removeprefix("lab_").replace("_", "-"): value
        for key, value in vars(args).items()
        if key.startswith("lab_")
    }
    return spec.request(target=args.target, timeout=args.timeout, given=given)


def run_lab(args: argparse.Namespace) -> int:
    from labs.api import (
        BadInput,
        Cancelled,
        LabError,
        check_save_path,
        run_lab,
        save_capture,
        simulated,
    )

    def progress(message: str) -> None:
        if not args.json:
            print(f"  {message}", file=sys.stderr, flush=True)

    clash = conflict(args)
    if clash:
        return fail(clash)
    try:
        request = _request(args)
        check_filter(args.filter)  # before anything starts, not after the lab ran
        pcap = None if args.pcap is None else check_save_path(args.pcap)
        if pcap is not None:
            if simulated(request):
                raise BadInput(
                    "--pcap: the simulated version sends nothing, so there is no capture to save.",
                    "Run it as root (without --simulate) for real packets.",
                )
        trace = run_lab(request, progress=progress)
        if pcap is not None:
            count, keys = save_capture(trace, pcap)
            progress(f"Saved {count} wire packets to {args.pcap}.")
            if keys:
                progress(
                    f"Saved the session keys to {keys}: Wireshark decrypts the pcap with them."
                )
        total = len(trace.packets)
        trace = apply_filter(trace, args.filter)
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
        from labs.model.trace import dumps, masked

        sys.stdout.write(dumps(trace if args.show_secrets else masked(trace)) + "\n")
        return 0
    print_trace(trace, args, total)
    return 0
