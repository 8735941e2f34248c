"""The labs as the app sees them: the one module `tutor` imports from `labs`
(besides the trace model, `labs.trace`). Cheap to import: what needs scapy
or a lab's code is imported when it is called."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from labs.display_filter import (
    DisplayFilter,
    compile_filter,
    field_names,
    filter_trace,
    unknown_names,
)
from labs.errors import BadInput, Cancelled, LabError
from labs.registry import Availability, availability, get, lab_leftovers, run_lab, simulated, specs
from labs.spec import LabRequest, LabSpec, Option, Target
from labs.system import Capability, libpcap_available, live_capture, namespaces

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import TextIO

    from labs.trace import Trace


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
) -> None:
    """The same trace as `explain_file`, written as JSON (two processes for a big file)."""
    # lazy: as explain_file
    from labs.files.explain import write_explain_json as write

    write(path, out, limit=limit, decode_as=decode_as, client=client)


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
    removed += lab_leftovers()
    return removed


def draw_packet(lab: str, src: str, dst: str, summary: str) -> str | None:
    """The lab's network drawn with one packet's path, for the namespace labs."""
    from labs.netsim.topology import draw_packet as draw

    return draw(lab, src, dst, summary)


__all__ = [
    "Availability",
    "BadInput",
    "Cancelled",
    "Capability",
    "DisplayFilter",
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
    "explain_file",
    "field_names",
    "filter_trace",
    "get",
    "libpcap_available",
    "live_capture",
    "namespaces",
    "parse_decode_as",
    "run_lab",
    "simulated",
    "specs",
    "unknown_names",
    "write_explain_json",
    "save_capture",
]
