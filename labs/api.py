"""The labs as the app sees them: the one module `tutor` imports from `labs`
(besides the trace model, `labs.trace`). Cheap to import: what needs scapy
or a lab's code is imported when it is called."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from labs.errors import BadInput, Cancelled, LabError
from labs.registry import Availability, availability, get, run_lab, simulated, specs
from labs.spec import LabRequest, LabSpec, Option, Target
from labs.system import Capability, libpcap_available, live_capture, namespaces

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import TextIO

    from labs.trace import Trace


def save_capture(trace: Trace, path: Path) -> tuple[int, Path | None]:
    """Save the trace's wire packets as a pcap Wireshark opens, and beside it
    (`FILE.keys`) the TLS session keys that decrypt it, when the lab had any.
    Returns the number of packets written and the key file, if written."""
    # lazy: pcap writing is needed only when a learner saves one
    from labs.files.pcapio import write_pcap

    count = write_pcap(trace, path)
    if not trace.keylog:
        return count, None
    keys = path.with_name(path.name + ".keys")
    # 0600 and never through a symlink someone planted at the key file's name.
    fd = os.open(keys, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(trace.keylog + "\n")
    return count, keys


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
    """Remove the namespaces (and their processes) a killed lab left behind."""
    # lazy: pyroute2 is imported only when cleaning up
    from labs.netsim.netns import cleanup_leftovers as cleanup

    return cleanup()


def draw_packet(lab: str, src: str, dst: str, summary: str) -> str | None:
    """The lab's network drawn with one packet's path, for the namespace labs."""
    from labs.netsim.topology import draw_packet as draw

    return draw(lab, src, dst, summary)


__all__ = [
    "Availability",
    "BadInput",
    "Cancelled",
    "Capability",
    "LabError",
    "LabRequest",
    "LabSpec",
    "Option",
    "Target",
    "availability",
    "cleanup_leftovers",
    "draw_packet",
    "explain_file",
    "get",
    "libpcap_available",
    "live_capture",
    "namespaces",
    "parse_decode_as",
    "run_lab",
    "simulated",
    "specs",
    "write_explain_json",
    "save_capture",
]
