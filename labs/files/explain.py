"""`tutor explain FILE`: any pcap or pcapng file as a Trace, explained the
same way as a lab's own capture (`explain_file`), or straight to the trace
JSON (`write_explain_json`: the same bytes, in two processes for a large
capture, see `labs.files.parallel`)."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from labs.base import RawPacket
from labs.dissect.core import build_trace
from labs.dissect.expert import expert_section
from labs.dissect.steps import view
from labs.errors import BadInput
from labs.files.parallel import write_json_parallel, write_json_streamed
from labs.files.pcapio import read_capture
from labs.trace import Trace

#: Protocol names `--decode-as` accepts (what `labs.dissect.proto` can dissect).
DECODERS = ("http", "dns", "tls", "ftp", "ftp-data")


def parse_decode_as(items: list[str] | None) -> dict[int, str]:
    """`PORT=PROTO` strings (as `--decode-as` takes them) as a mapping."""
    out: dict[int, str] = {}
    for item in items or ():
        port, sep, proto = item.partition("=")
        if not sep or not port.strip().isdigit() or not 0 < int(port) < 65536:
            raise BadInput(f"--decode-as {item!r}: expected PORT=PROTOCOL, e.g. 8053=dns.")
        name = proto.strip().lower()
        if name not in DECODERS:
            raise BadInput(
                f"--decode-as {item!r}: unknown protocol {name!r}.",
                f"Use one of: {', '.join(DECODERS)}.",
            )
        out[int(port)] = name
    return out


#: From this many packets, `write_explain_json` dissects in two processes.
PARALLEL_FROM = 4000


def _load(path: str | Path, limit: int | None) -> tuple[list[RawPacket], str, str]:
    """The packets to explain, their link type and the capture note."""
    if limit is not None and limit < 1:
        raise BadInput("--limit must be at least 1.")
    packets, link = read_capture(path)
    total = len(packets)
    raws = list(packets[:limit]) if limit else list(packets)
    name = Path(path).name
    note = f"Read from the capture file {name}: {total} packet{'s' if total != 1 else ''}"
    if limit and total > limit:
        note += f", the first {limit} shown"
    note += "."
    if packets.truncated:
        note += " The file is truncated: it ends in the middle of a packet, so only the complete packets before the cut are shown."
    if packets.note:
        note += " " + packets.note
    return raws, link, note


def _trace(
    path: str | Path,
    raws: list[RawPacket],
    link: str,
    note: str,
    decode_as: Mapping[int, str] | None,
    client: str | None,
) -> Trace:
    started = datetime.fromtimestamp(raws[0].time, UTC).isoformat() if raws else ""
    return build_trace(
        lab="explain",
        target=str(path),
        capture="file",
        raws=raws,
        capture_note=note,
        decode_as=decode_as,
        client=client,
        link=link,
        started=started,
        duration=round(raws[-1].time - raws[0].time, 6) if raws else 0.0,
    )


def explain_file(
    path: str | Path,
    *,
    limit: int | None = None,
    decode_as: Mapping[int, str] | None = None,
    client: str | None = None,
) -> Trace:
    """The capture at `path` as a Trace with capture="file" (BadInput when it
    cannot be read; see `labs.files.pcapio.read_capture`)."""
    raws, link, note = _load(path, limit)
    trace = _trace(path, raws, link, note, decode_as, client)
    expert = expert_section([view(p) for p in trace.packets])
    if expert is None:
        return trace
    return replace(trace, sections=(*trace.sections, expert))


def write_explain_json(
    path: str | Path,
    out: TextIO,
    *,
    limit: int | None = None,
    decode_as: Mapping[int, str] | None = None,
    client: str | None = None,
    parallel_from: int = PARALLEL_FROM,
) -> None:
    """`write_json(explain_file(path, ...), out)`, the same bytes, written
    packet by packet so memory does not grow with the capture; a capture of
    `parallel_from` packets or more is dissected in two processes
    (`labs.files.parallel`) when this machine has two CPUs for it."""
    raws, link, note = _load(path, limit)
    # Everything but the packets and their steps, exactly as explain_file has it.
    shell = _trace(path, [], link, note, decode_as, client)
    if raws:
        started = datetime.fromtimestamp(raws[0].time, UTC).isoformat()
        shell = replace(shell, started=started, duration=round(raws[-1].time - raws[0].time, 6))
    if len(raws) >= parallel_from and _can_fork():
        write_json_parallel(shell, raws, out, decode_as, client)
    else:
        write_json_streamed(shell, raws, out, decode_as, client)


def _can_fork() -> bool:
    """Two CPUs for this process, fork available, and no threads a fork
    would leave behind in the child."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return hasattr(os, "fork") and (cpus or 1) >= 2 and threading.active_count() == 1


__all__ = ["DECODERS", "PARALLEL_FROM", "explain_file", "parse_decode_as", "write_explain_json"]
