"""The labs as the app sees them: the one module `tutor` imports from `labs`
(besides the trace model, `labs.model.trace`). Cheap to import: what needs scapy
or a lab's code is imported when it is called."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labs.model.errors import BadInput, Cancelled, LabError

if TYPE_CHECKING:
    import threading
    from collections.abc import Callable, Mapping
    from typing import TextIO

    from labs.core.display_filter import (
        DisplayFilter,
        compile_filter,
        field_names,
        filter_trace,
        unknown_names,
    )
    from labs.core.filter_typos import filter_typo
    from labs.core.spec import LabRequest, LabSpec, Option, Target
    from labs.core.system import Capability, libpcap_available, live_capture, namespaces
    from labs.dissect.conversations import Conversation
    from labs.dissect.follow import Followed
    from labs.drills.grading import CITED as drill_cited
    from labs.drills.spec import DrillInfo, Grade, Hint, ProbeResult
    from labs.drills.spec import Report as DrillReport
    from labs.drills.spec import State as DrillState
    from labs.model.trace import Trace
    from labs.model.trace_file import read_trace_file
    from labs.registry import Availability, availability, get, simulated, specs

#: What this facade hands on from other modules (name: module, name there),
#: imported on first use by `__getattr__`: declaring the labs, the drills and
#: the display filters is a fifth of `tutor explain`'s start-up, and it needs none.
_ELSEWHERE = {
    **dict.fromkeys(
        ("DisplayFilter", "compile_filter", "field_names", "filter_trace", "unknown_names"),
        "labs.core.display_filter",
    ),
    "filter_typo": "labs.core.filter_typos",
    **dict.fromkeys(("DrillInfo", "Grade", "Hint", "ProbeResult"), "labs.drills.spec"),
    "DrillReport": "labs.drills.spec:Report",
    "DrillState": "labs.drills.spec:State",
    "drill_cited": "labs.drills.grading:CITED",
    "read_trace_file": "labs.model.trace_file",
    **dict.fromkeys(("Availability", "availability", "get", "simulated", "specs"), "labs.registry"),
    **dict.fromkeys(("LabRequest", "LabSpec", "Option", "Target"), "labs.core.spec"),
    **dict.fromkeys(
        ("Capability", "libpcap_available", "live_capture", "namespaces"), "labs.core.system"
    ),
}


if not TYPE_CHECKING:  # mypy reads the imports above, and still flags a misspelt name

    def __getattr__(name: str) -> Any:
        if name not in _ELSEWHERE:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        module, _colon, there = _ELSEWHERE[name].partition(":")
        value = getattr(importlib.import_module(module), there or name)
        globals()[name] = value  # the next look-up finds it without this function
        return value


#: Set by `skip_routes`: scapy was imported without reading the routing tables.
_routes_skipped = False


def skip_routes() -> None:
    """For a process that only reads captures (`tutor explain`): scapy, when
    first imported, then reads neither the routing tables (IPv4, IPv6) nor the
    interface list, which only sending or sniffing uses and which are half of
    scapy's import. Set here, the one place, before anything imports
    scapy.arch (else nothing); `_need_routes` reads them if a lab runs later."""
    global _routes_skipped
    if "scapy.arch" in sys.modules:
        return
    import scapy.interfaces  # noqa: F401  (makes conf.ifaces, still empty)
    from scapy.config import conf

    conf.route_autoload = conf.route6_autoload = False
    # scapy.arch fills the interface list as it is imported, and no setting
    # defers that: until `_need_routes`, reloading it does nothing.
    conf.ifaces.reload = lambda: None  # type: ignore[method-assign]
    _routes_skipped = True


def _need_routes() -> None:
    """What `skip_routes` left unread, read before a lab sends or sniffs."""
    global _routes_skipped
    if not _routes_skipped:
        return
    from scapy.config import conf

    conf.route_autoload = conf.route6_autoload = True
    del conf.ifaces.reload
    if "scapy.arch" in sys.modules:
        conf.ifaces.reload()
    if conf.route is not None:
        conf.route.resync()
        conf.ifaces.load_confiface()  # the default interface, chosen from the routes
    if conf.route6 is not None:
        conf.route6.resync()
    _routes_skipped = False


def run_lab(
    request: LabRequest,
    progress: Callable[[str], None] | None = None,
    cancel: threading.Event | None = None,
) -> Trace:
    """Run a lab to completion and return its trace (`labs.registry.run_lab`)."""
    from labs.registry import run_lab as run

    _need_routes()
    return run(request, progress, cancel)


def save_capture(trace: Trace, path: Path) -> tuple[int, Path | None]:
    """Save the trace's wire packets as a pcap Wireshark opens, and beside it
    (`FILE.keys`) the TLS session keys that decrypt it, when the lab had any.
    Both are written 0600 under temporary names and renamed into place
    together (never through a symlink planted at either name); on a full
    disk neither appears. Returns the number of packets written and the key
    file, if written."""
    # lazy: pcap writing is needed only when a learner saves one
    from labs.files.pcapio import pcap_chunks, wire_raws, write_pcap
    from labs.files.private import write_files

    if not trace.keylog or trace.capture == "simulated":  # write_pcap refuses a simulated run
        return write_pcap(trace, path), None
    raws = wire_raws(trace)
    keys = path.with_name(path.name + ".keys")
    write_files([(path, pcap_chunks(raws)), (keys, [(trace.keylog + "\n").encode()])])
    return len(raws), keys


def check_save_path(path: str, flag: str = "--pcap") -> Path:
    """The path a capture will be saved to, checked before the lab runs
    (BadInput: empty, a directory, or a directory that is missing or not ours to write)."""
    from labs.files.private import check_writable

    return check_writable(path, flag)


def explain_file(
    path: str | Path,
    limit: int | None = None,
    decode_as: Mapping[int, str] | None = None,
    client: str | None = None,
) -> Trace:
    """Explain any capture file (pcap or pcapng) the way labs are explained."""
    # lazy: scapy is imported only when a file is explained
    from labs.files.explain import explain_file as explain

    return explain(path, limit=limit, decode_as=decode_as, client=client)


def write_explain_json(
    path: str | Path,
    out: TextIO,
    limit: int | None = None,
    decode_as: Mapping[int, str] | None = None,
    client: str | None = None,
    mask: bool = False,
) -> None:
    """The same trace as `explain_file`, written as JSON (two processes for a
    big file); `mask`: its secrets masked, as `labs.model.trace.masked` does."""
    # lazy: as explain_file
    from labs.files.explain import write_explain_json as write

    write(path, out, limit=limit, decode_as=decode_as, client=client, mask=mask)


def conversations(trace: Trace) -> tuple[Conversation, ...]:
    """The trace's TCP and UDP conversations (Wireshark's Statistics ›
    Conversations), numbered as Wireshark's tcp.stream / udp.stream."""
    from labs.dissect.conversations import conversations as found

    return found(trace.packets)


def follow_stream(trace: Trace, spec: str, where: str = "in this capture") -> tuple[Followed, str]:
    """`--follow [tcp:|udp:]N`: stream N's pieces and its text as `tshark -z
    follow,tcp,ascii,N` prints it; BadInput when there is no such stream
    (`where` says which packets were looked in)."""
    from labs.dissect.follow import ascii_text, follow

    kind, _colon, number = spec.rpartition(":")
    kind = kind.lower() or "tcp"
    if kind not in ("tcp", "udp") or not number.isdigit():
        raise BadInput(
            f"--follow {spec!r} is not a stream number.",
            "For example: --follow 0 (TCP stream 0) or --follow udp:1.",
        )
    found = follow(trace.packets, kind, int(number))
    if found is None:
        raise BadInput(
            f"There is no {kind.upper()} stream {number} {where}.",
            "See them with --conversations (the first column is the stream number).",
        )
    return found, ascii_text(found)


def stream_of(trace: Trace, index: int) -> str | None:
    """The `--follow` spec ("tcp:3", "udp:0") of the stream packet `index` is
    in, or None for a packet of no TCP/UDP conversation."""
    from labs.dissect.follow import stream_of as found

    where = found(trace.packets, index)
    return None if where is None else f"{where[0]}:{where[1]}"


def parse_decode_as(items: list[str] | None) -> dict[int, str]:
    from labs.files.explain import parse_decode_as as parse

    return parse(items)


def cleanup_leftovers() -> list[str]:
    """Remove what killed tutor runs left behind, only where the run that
    made it is gone: network namespaces (and what runs in them), namespace
    agents, temporary files and directories (key logs, FTP roots). Returns
    what was removed, one short description each. Namespaces need root;
    without it they are skipped (the rest still goes)."""
    # lazy: pyroute2 and /proc walks only when cleaning up
    from labs.capture.leftovers import kill_orphan_agents, remove_temp_leftovers

    removed: list[str] = []
    if os.geteuid() == 0:
        from labs.netsim.netns import cleanup_leftovers as namespaces

        removed += [f"namespace {name}" for name in namespaces()]
    removed += [f"agent process {pid}" for pid in kill_orphan_agents()]
    removed += [f"temporary {path}" for path in remove_temp_leftovers()]
    from labs.registry import lab_leftovers

    removed += lab_leftovers()
    return removed


def draw_packet(lab: str, src: str, dst: str, summary: str) -> str | None:
    """The lab's network drawn with one packet's path, for the namespace labs."""
    from labs.netsim.topology import draw_packet as draw

    return draw(lab, src, dst, summary)


# --- incident drills (labs/drills/README.md) ---------------------------------

#: The probe kinds `drill_probe` takes.
drill_probe_kinds = ("resolve", "connect", "fetch", "trace")


def drill_list() -> tuple[DrillInfo, ...]:
    """Every incident drill: id, title, summary, what it needs."""
    from labs.drills.registry import infos

    return infos()


def drill_start(
    home: Path,
    drill_id: str,
    seed: int | None = None,
    simulate: bool = False,
    owner: int | None = None,
) -> DrillState:
    """Build drill `drill_id`'s broken world (live in namespaces, kept by a
    background keeper; simulated without root or when asked) and return its
    state. With `owner` (a pid), the world is torn down when that process
    ends, however it ends: the TUI passes its own."""
    from labs.drills.session import start

    _need_routes()
    return start(home, drill_id, seed, simulate, owner)


def drill_state(home: Path) -> DrillState | None:
    """The drill in progress under `home`, or None."""
    from labs.drills.session import state

    return state(home)


def drill_probe(home: Path, kind: str, arg: str, capture: bool = False) -> ProbeResult:
    """One probe inside the drill's network (recorded in the session)."""
    from labs.drills.session import probe

    _need_routes()
    return probe(home, kind, arg, capture)


def drill_hint(home: Path) -> Hint:
    """The next hint of three (recorded)."""
    from labs.drills.session import hint

    return hint(home)


def drill_answer(home: Path, layer: str, fault: str, call: str, note: str = "") -> Grade:
    """Grade the learner's diagnosis; finishes the drill (its world is removed)."""
    from labs.drills.session import answer

    return answer(home, layer, fault, call, note)


def drill_report(home: Path) -> DrillReport:
    """The data of the "explain it to my engineer" report."""
    from labs.drills.session import report

    return report(home)


def drill_save_pcap(report: DrillReport, path: Path) -> int:
    """The report's evidence packets as a pcap (0600); LabError when simulated."""
    from labs.drills.session import save_pcap

    return save_pcap(report, path)


def drill_write_report(report: DrillReport, markdown: str, path: Path) -> Path | None:
    """Write the report's Markdown to `path` and its evidence capture beside it
    (`path` with .pcap), both 0600 and atomic; returns the pcap (None when simulated)."""
    from labs.drills.session import write_report

    return write_report(report, markdown, path)


def drill_stop(home: Path) -> list[str]:
    """End the drill without answering; what was removed."""
    from labs.drills.session import stop

    return stop(home)


__all__ = [
    "Availability",
    "drill_cited",
    "BadInput",
    "Cancelled",
    "Capability",
    "DisplayFilter",
    "DrillInfo",
    "DrillReport",
    "DrillState",
    "Grade",
    "Hint",
    "ProbeResult",
    "LabError",
    "LabRequest",
    "LabSpec",
    "Option",
    "Target",
    "availability",
    "check_save_path",
    "cleanup_leftovers",
    "compile_filter",
    "draw_packet",
    "drill_answer",
    "drill_hint",
    "drill_list",
    "drill_probe",
    "drill_probe_kinds",
    "drill_report",
    "drill_save_pcap",
    "drill_start",
    "drill_state",
    "drill_stop",
    "drill_write_report",
    "conversations",
    "explain_file",
    "field_names",
    "follow_stream",
    "filter_trace",
    "filter_typo",
    "get",
    "libpcap_available",
    "live_capture",
    "namespaces",
    "parse_decode_as",
    "read_trace_file",
    "run_lab",
    "simulated",
    "specs",
    "stream_of",
    "unknown_names",
    "write_explain_json",
    "save_capture",
]
