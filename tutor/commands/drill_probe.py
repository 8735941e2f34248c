"""`tutor drill probe ...`: one probe and what it saw, and the commands a
hint or a grade points at.

A probe by name looks the name up first: its DNS rows stand under a heading
of their own, then what the probe itself did. `-v`/`--verbose`, typed
anywhere in the probe, prints every field of every captured packet (as
`tutor explain -v` does): the evidence a hint names (ip.ttl) is there.
"""

from __future__ import annotations

import argparse
import re
import shlex
import sys
from typing import Any

from tutor.commands.drill_text import PROBES, _data, _home, _json, _row, _say, _width

#: The detail rows a probe's DNS lookup gives (labs/drills/client.py, sim.py):
#: before a connect, a fetch or a trace they are the lookup's, not the probe's.
LOOKUP = ("server", "rcode", "answer", "time", "dns")
#: A Wireshark field's filter name in a sentence (ip.ttl, http.response.code).
FIELD = re.compile(r"\b(?:ip|tcp|udp|dns|http|tls|arp|icmp)\.[a-z_.]*[a-z_]\b")
#: What a probe does after its lookup, when the lookup gave no address.
NOT_TRIED = {
    "connect": "No connection was tried: the lookup gave no address.",
    "fetch": "No request was sent: the lookup gave no address.",
    "trace": "No route was traced: the lookup gave no address.",
}


def _flags(rest: list[str]) -> tuple[list[str], bool, bool]:
    """`rest` less --json and -v/--verbose, wherever they were typed (before
    `--`, after the probe's argument): what those flags say."""
    words = [w for w in rest if w not in ("--json", "-v", "--verbose")]
    return words, "--json" in rest, "-v" in rest or "--verbose" in rest


def probe_arg(kind: str, rest: list[str]) -> tuple[str, str, bool]:
    from labs.api import BadInput

    capture = kind == "capture"
    if capture:
        rest = rest[1:] if rest[:1] == ["--"] else rest
        if not rest or rest[0] not in PROBES[:-1]:
            raise BadInput(
                "capture needs a probe: capture -- fetch URL (or resolve, connect, trace)."
            )
        kind, rest = rest[0], rest[1:]
    if kind == "fetch" and rest:
        url, options, words = rest[0], [], iter(rest[1:])
        for word in words:
            if word in ("--upload", "--count", "--reuse"):
                options.append(f"{word[2:]}={next(words, '')}")
            else:
                options.append(word)
        rest = [" ".join([url, *options])]
    if len(rest) != 1:
        raise BadInput(f"probe {kind} takes one argument (see `tutor drill probe --help`).")
    return kind, " ".join(rest), capture


def command(probe: str, capture: bool = False, verbose: bool = False) -> str:
    """`probe` (probe syntax: "fetch URL count=4") as a command line to paste."""
    head = ["tutor", "drill", "probe"]
    if capture or verbose:
        head += ["capture", "-v", "--"] if verbose else ["capture", "--"]
    return shlex.join(head + probe.split())


def commands_for(text: str, probes: list[str] | None = None) -> list[str]:
    """The command lines of the probes `text` cites (or `probes`): with every
    field (`capture -v`) when it names a field, explained when it says
    capture, else the plain probe."""
    from labs.api import drill_cited  # probes as the drills' texts cite them

    cited = list(dict.fromkeys(probes if probes is not None else drill_cited.findall(text)))
    fields = bool(FIELD.search(drill_cited.sub("", text)))
    capture = "capture" in text.lower()
    return [command(p, capture, fields) for p in cited]


def print_commands(lines: list[str], indent: str = "  ") -> None:
    """Command lines to paste, each broken only where the shell reads on
    (` \\` at a line's end), so it fits the width and still pastes whole."""
    width = _width()
    for cmd in lines:
        line = indent
        for word in (shlex.quote(w) for w in shlex.split(cmd)):
            if line.strip() and len(line) + len(word) + 3 > width:
                print(line + " \\")
                line = indent + "  " + word
            else:
                line += f" {word}" if line.strip() else word
        print(line)


def run_probe(args: argparse.Namespace) -> int:
    from labs.api import drill_probe

    rest, as_json, verbose = _flags(list(args.rest))
    as_json = as_json or args.json
    verbose = verbose or args.verbose
    kind, arg, capture = probe_arg(args.kind, rest)
    # Every field needs the packets shown: -v on a plain probe captures it too.
    capture = capture or verbose
    result = drill_probe(_home(), kind, arg, capture)
    if as_json:
        return _json(_data(result) | {"capture_shown": capture})
    if result.simulated:
        _say("SIMULATED: nothing was sent; this is what the drill's network would do.")
    _say(f"Probe {result.number}: {result.like}")
    _outcome(result)
    if result.trace is None:
        return 0
    print()
    _packets(result.trace, every=capture)
    if capture:
        from tutor.tracetext import print_trace

        print()
        print_trace(result.trace, sys.stdout, full=True, verbose=verbose)
        return 0
    from tutor.waterfall_text import block

    lines = block(result.trace)
    if lines:
        print("\n" + "\n".join(lines))
    probe = f"{kind} {arg}"
    print()
    _say("Every packet explained, then every field of each (ip.ttl, tcp.flags, ...):")
    print_commands([command(probe, capture=True), command(probe, verbose=True)])
    return 0


def _outcome(result: Any) -> None:
    """The probe's words and detail rows; a lookup before the probe under a
    heading of its own, then what the probe did with the address it gave."""
    rows = list(result.details)
    if any(k == "time" for k, _ in rows):
        rows = [(k, v) for k, v in rows if k != "dns"]  # the same time twice
    lookup = [(k, v) for k, v in rows if k in LOOKUP]
    if result.kind == "resolve" or not lookup:
        _say(result.words, "  ")
        for label, value in rows:
            _row(label, value, 12)
        return
    name = result.arg.rpartition(":")[0] if result.kind == "connect" else result.arg
    if result.kind == "fetch":
        from urllib.parse import urlsplit

        name = urlsplit(result.arg).hostname or result.arg
    _say(f"First {name} was looked up (DNS, like dig {name}):", "  ")
    for label, value in lookup:
        _row(label, value, 12, "    ")
    address = next((v.split()[0] for k, v in lookup if k == "answer"), None)
    if address is None:  # the lookup failed: its words are the probe's outcome
        _say(result.words, "    ")
        _say(NOT_TRIED[result.kind], "  ")
        return
    port = result.arg.rpartition(":")[2] if result.kind == "connect" else ""
    then = {
        "connect": f"Then the connection to {address}:{port} (like nc -vz):",
        "fetch": f"Then the request to {address} (like curl):",
        "trace": f"Then the route to {address} (like traceroute):",
    }[result.kind]
    _say(then, "  ")
    _say(result.words, "    ")
    for label, value in rows:
        if label not in LOOKUP:
            _row(label, value, 12, "    ")


def _packets(trace: Any, every: bool) -> None:
    """One row per packet: number, time, the side of the office gateway it
    was captured on (lan0, wan0), who to whom and what (the first 20, or
    `every` one)."""
    from tutor.packettext import wrap
    from tutor.timetext import took_cell

    width = _width()
    shown = trace.packets if every else trace.packets[:20]
    _say(f"Packets ({len(trace.packets)}):")
    rows = [(f"  {p.index + 1:>3} {took_cell(p.time)}  ", p) for p in shown]
    wide = [f"{head}{p.interface[:22]:<22} {p.src} → {p.dst}  {p.summary}" for head, p in rows]
    if all(len(row) <= width for row in wide):
        print("\n".join(wide))
    else:  # too narrow: where and who on one line, what under it; number and time a column
        for head, p in rows:
            pad = " " * len(head)
            print(head + wrap(f"{p.interface}  {p.src} → {p.dst}", pad, width)[len(pad) :])
            print(wrap(p.summary, pad, width))
    if len(shown) < len(trace.packets):
        _say(f"... and {len(trace.packets) - len(shown)} more (capture shows them all).", "  ")
