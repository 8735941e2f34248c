"""`tutor drill ...`: incident drills from the terminal (labs/drills/README.md).

A live drill's broken network stays up between these commands (a keeper
process holds it) until `tutor drill answer` or `tutor drill stop`. Without
root the drill is simulated, and every output says SIMULATED.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import asdict
from typing import Any

from tutor.commands.drill_text import PROBES, _home, _json, _row, _say, _width


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "drill",
        help="incident drills: something is broken; find it from the packets",
        description="Start a broken network, probe it from the inside, say which layer is at "
        "fault, what is wrong and who to call, and get graded against the packets.",
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", parser_class=type(p))
    ls = actions.add_parser("list", help="the drills")
    ls.add_argument("--json", action="store_true", help="print the list as JSON")
    ls.set_defaults(func=run_list)
    start = actions.add_parser("start", help="build a drill's broken network and tell its story")
    start.add_argument("drill", metavar="NUMBER", help="a drill's number from `tutor drill list`")
    start.add_argument("--seed", type=int, metavar="N", help="which variant (default: a new one)")
    start.add_argument("--simulate", action="store_true", help="the simulated version")
    start.add_argument("--json", action="store_true", help="print the state as JSON")
    start.set_defaults(func=run_start)
    status = actions.add_parser("status", help="the drill in progress: story, probes, choices")
    status.add_argument("--json", action="store_true", help="print the state as JSON")
    status.set_defaults(func=run_status)
    probe = actions.add_parser(
        "probe",
        help="probe the drill's network from the laptop",
        description="resolve NAME[@SERVER] (like dig) | connect HOST:PORT (like nc) | "
        "fetch URL [--upload BYTES] [--count N] [--reuse SECONDS] (like curl -w) | trace HOST (like traceroute) | "
        "capture -- PROBE ... (any probe, with every captured packet explained; -v: and every "
        "field of each, as `tutor explain -v`)",
    )
    probe.add_argument("kind", choices=PROBES, metavar="PROBE", help=" | ".join(PROBES))
    probe.add_argument("rest", nargs=argparse.REMAINDER, metavar="ARG", help="the probe's argument")
    probe.add_argument("--json", action="store_true", help="print the result and trace as JSON")
    probe.add_argument(
        "--verbose", "-v", action="store_true", help="every field of every captured packet "
        "(ip.ttl, tcp.flags, ...) and where its bytes are; also typed after the probe",
    )  # fmt: skip
    probe.set_defaults(func=run_probe)
    hint = actions.add_parser("hint", help="the next of three hints (counted)")
    hint.add_argument("--json", action="store_true")
    hint.set_defaults(func=run_hint)
    answer = actions.add_parser("answer", help="give your diagnosis and get it graded")
    answer.add_argument("--layer", required=True, help="a layer key (`tutor drill status`)")
    answer.add_argument("--fault", required=True, help="a fault key")
    answer.add_argument("--call", required=True, help="who to call: a key")
    answer.add_argument("--note", default="", help="your own words, saved with the result")
    answer.add_argument("--json", action="store_true")
    answer.set_defaults(func=run_answer)
    report = actions.add_parser("report", help="'explain it to my engineer': a Markdown report")
    report.add_argument("--out", metavar="FILE.md", help="write it there (and the pcap beside it)")
    report.add_argument(
        "--fields", action="store_true", help="every field of the evidence packet, not only those "
        "its display filter reads",
    )  # fmt: skip
    report.set_defaults(func=run_report)
    stop = actions.add_parser("stop", help="end the drill without answering; remove its network")
    stop.set_defaults(func=run_stop)
    p.set_defaults(func=lambda args: (p.print_help(), 0)[1])


def _label(st: Any) -> None:
    if st.simulated:
        _say(st.label)  # "SIMULATED: ..."


def run_list(args: argparse.Namespace) -> int:
    from labs.api import drill_list, namespaces

    drills = drill_list()
    live = namespaces().ok and os.environ.get("TUTOR_SIMULATE") != "1"
    if args.json:
        mode = {"simulated": not live, "mode": "live" if live else "simulated"}
        return _json([asdict(d) | mode for d in drills])
    if not live:
        found = namespaces()  # its first clause: the rest speaks of the routing labs
        why = found.reason.split(";")[0].rstrip(".") if not found.ok else "TUTOR_SIMULATE=1"
        _say(f"SIMULATED here ({why}): the drills are modelled, nothing is sent.")
    # By number and symptom only: the ids name the fault, which is for the
    # learner to find. A solved drill says its id (--json has all, for tools).
    played = _played()
    _say("Each drill is a ticket's symptom; what is wrong is yours to find.")
    print()
    for d in drills:
        mark = played.get(d.id, "")
        _row(f"{d.number:>2}", d.title + (f" ({mark})" if mark else ""), 2)
    print()
    _say("Start one by its number: tutor drill start 1")
    return 0


def _played() -> dict[str, str]:
    """Each played drill's mark for the list: solved (and its id), or tried."""
    from tutor.progress import open_or_memory
    from tutor.progress_drill import statuses

    store = open_or_memory()
    try:
        done = statuses(store)
    finally:
        store.close()
    return {k: f"solved: {k}" if v == "done" else "tried" for k, v in done.items()}


def _print_state(st: Any) -> None:
    _label(st)
    # The number, not the id (it names the fault) until the drill is answered.
    known = f", {st.drill}" if st.grade is not None else ""
    _say(f"Drill {st.number or st.drill} (variant {st.seed}{known}): {st.title}")
    print()
    _say(st.story)
    print()
    _say(f"Start from: {st.url}")
    if st.probes:
        print("\nYour probes so far:")
        for p in st.probes:
            _row(f"{p.number}.", f"{p.like}: {p.outcome}", len(str(len(st.probes))) + 1)
    if st.grade is not None:
        print()
        _say("You answered this drill; it is finished.")
        _verdict(st.grade, st)
        return
    for name, choices in (("layer", st.layers), ("fault", st.faults), ("call", st.calls)):
        print(f"\n--{name}:")
        for c in choices:
            _row(c.key, c.text, 16)
    if not st.alive and not st.finished:
        print()
        _say("Its network is gone (the keeper stopped): `tutor drill stop` clears it.")


def _verdict(grade: Any, st: Any) -> None:
    """An answered drill: each part's verdict (a wrong call with why), the
    explanation, and what to do next."""
    from tutor.timetext import took

    for name in ("layer", "fault", "call"):
        part = getattr(grade, name)
        verdict = "right" if part.right else f"wrong (the answer: {part.correct})"
        _row(name, f"{part.given}: {verdict}", 6)
        if getattr(part, "why", ""):
            _say(part.why, " " * 9)
    print()
    _say("All three right." if grade.correct else "Not quite.")
    print()
    _say(grade.explanation)
    _unseen(grade, st)
    print()
    _say(f"Time {took(grade.seconds)}, hints {grade.hints_used}.")
    again = f"`tutor drill start {st.number or st.drill}`" if st is not None else "starting it"
    _say(
        f"Next: `tutor drill report` writes it up; {again} again plays it with new names and "
        "addresses; `tutor drill list` shows the others."
    )


def _unseen(grade: Any, st: Any) -> None:
    """The probes the explanation rests on that the learner did not run, as
    commands: the drill is over, so on a replay of the same variant."""
    from tutor.commands.drill_probe import commands_for, print_commands

    unseen = list(getattr(grade, "unseen", ()))
    if not unseen or st is None:
        return
    print()
    _say("To see it for yourself, play the same variant again and run what your probes missed:")
    again = " --simulate" if st.simulated else ""
    lines = [f"tutor drill start {st.number or st.drill} --seed {st.seed}{again}"]
    lines += commands_for(grade.explanation, unseen)
    print_commands(lines)


def run_start(args: argparse.Namespace) -> int:
    from labs.api import BadInput, drill_list, drill_start

    if args.seed is not None and args.seed < 0:
        raise BadInput("--seed must be 0 or more.")
    drills = drill_list()
    word = args.drill.strip().removeprefix("#")
    # A number (what the list shows) or an id (older notes, scripts, tests).
    if not any(word in (d.id, str(d.number)) for d in drills):
        raise BadInput(
            f"no drill {args.drill!r}.",
            f"The drills are numbered 1 to {len(drills)}: `tutor drill list` shows them.",
        )
    if not args.json:
        _starting(args.simulate)
    st = drill_start(_home(), args.drill, args.seed, args.simulate)
    if args.json:
        return _json(asdict(st) | {"simulated": st.simulated})
    _print_state(st)
    print()
    _say(f"Probe it: tutor drill probe {'|'.join(PROBES)} ...")
    return 0


def _starting(simulate: bool) -> None:
    """What starting is about to do (stderr: progress, not output): a live
    drill builds namespaces, which takes seconds; a simulated one builds
    nothing, and says why when it was not asked for."""
    from labs.api import namespaces

    found = namespaces()
    if not (simulate or os.environ.get("TUTOR_SIMULATE") == "1" or not found.ok):
        print("Building the drill's network (namespaces on this machine)...", file=sys.stderr)
        return
    why = "" if simulate or found.ok else f" ({found.reason.split(';')[0].rstrip('.')})"
    print(
        f"Simulated{why}: nothing is built or sent; the drill's network is modelled from its "
        "facts.",
        file=sys.stderr,
    )


def run_status(args: argparse.Namespace) -> int:
    from labs.api import BadInput, drill_state

    st = drill_state(_home())
    if st is None:
        raise BadInput("no drill is running.", "Start one: `tutor drill start NUMBER`.")
    if args.json:
        return _json(asdict(st) | {"simulated": st.simulated})
    _print_state(st)
    return 0


def run_probe(args: argparse.Namespace) -> int:
    from tutor.commands.drill_probe import run_probe as run

    return run(args)


def run_hint(args: argparse.Namespace) -> int:
    from labs.api import drill_hint, drill_state

    home = _home()
    h = drill_hint(home)
    st = drill_state(home)
    simulated = bool(st and st.simulated)
    if args.json:
        return _json(asdict(h) | {"simulated": simulated})
    if st is not None:
        _label(st)
    _say(f"Hint {h.number} of 3: {h.text}" + ("" if h.left else " (that was the last one)"))
    from tutor.commands.drill_probe import commands_for, print_commands

    print_commands(commands_for(h.text))
    return 0


def run_answer(args: argparse.Namespace) -> int:
    from labs.api import drill_answer, drill_state

    home = _home()
    grade = drill_answer(home, args.layer, args.fault, args.call, args.note)
    st = drill_state(home)
    if st is not None:
        from tutor.progress import open_or_memory
        from tutor.progress_drill import record

        store = open_or_memory()
        try:
            record(store, st, grade)
        finally:
            store.close()
    if args.json:
        return _json(asdict(grade) | {"simulated": bool(st and st.simulated)})
    if st is not None:
        _label(st)
    _verdict(grade, st)
    return 0


def run_report(args: argparse.Namespace) -> int:
    from labs.api import check_save_path, drill_report, drill_write_report
    from tutor.commands.drill_report import markdown

    out = check_save_path(args.out, "--out") if args.out else None
    rep = drill_report(_home())
    if out is None:
        sys.stdout.write(markdown(rep, width=_width(), fields=args.fields) + "\n")
        return 0
    text = markdown(rep, fields=args.fields)
    pcap = drill_write_report(rep, text, out)
    print(f"Wrote {out}" + (f" and {pcap}" if pcap else " (simulated: no pcap)"))
    return 0


def run_stop(args: argparse.Namespace) -> int:
    from labs.api import drill_stop

    removed = drill_stop(_home())
    _say("Removed: " + "; ".join(removed) if removed else "No drill was running.")
    return 0
