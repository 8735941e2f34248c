"""`tutor explain FILE`: any pcap or pcapng file as a Trace, explained the
same way as a lab's own capture (`explain_file`), or straight to the trace
JSON (`write_explain_json`: the same bytes, in two processes for a large
capture, see `labs.files.parallel`)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import TextIO

from labs.core.base import RawPacket
from labs.dissect.core import build_trace
from labs.dissect.expert import PROBING, expert_section
from labs.dissect.steps import view
from labs.files.firstpass import Pass, first_pass, surveyed
from labs.files.parallel import stream_parallel, stream_serial
from labs.files.pcapio import read_capture
from labs.files.pcapread import Capture, open_capture
from labs.files.survey import Survey
from labs.model.errors import BadInput
from labs.model.trace import Trace

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
    _check_limit(limit)
    packets, link = read_capture(path)
    raws = list(packets[:limit]) if limit else list(packets)
    return raws, link, _note(path, len(packets), limit, packets)


def _check_limit(limit: int | None) -> None:
    if limit is not None and limit < 1:
        raise BadInput("--limit must be at least 1.")


def _note(path: str | Path, total: int, limit: int | None, info: Capture | Pass) -> str:
    name = Path(path).name
    note = f"Read from the capture file {name}: {total} packet{'s' if total != 1 else ''}"
    if limit and total > limit:
        note += f", the first {limit} shown"
    note += "."
    if info.truncated:
        note += " The file is truncated: it ends in the middle of a packet, so only the complete packets before the cut are shown."
    if info.note:
        note += " " + info.note
    return note


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
    probing = any(s.name in PROBING for s in trace.steps)
    expert = expert_section([view(p) for p in trace.packets], probing)
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
    mask: bool = False,
) -> None:
    """`write_json(explain_file(path, ...), out)`, the same bytes (with
    `mask`: those of `masked(explain_file(...))`), written as a stream: the
    packets are read from the file one at a time, dissected, written and
    dropped, so memory does not grow with the capture
    (`labs.files.streamjson`). A capture of `parallel_from` packets or more
    is dissected in two processes (`labs.files.parallel`) when this machine
    has two CPUs for it, after a first pass in a third (`labs.files.firstpass`)."""
    _check_limit(limit)
    with open_capture(path) as stream:
        # First pass: count, and (when two processes may read) which
        # conversation each packet belongs to.
        found: Survey | None = None
        if (_can_fork() or _fork_safe()) and (limit is None or limit >= parallel_from):
            done, found = surveyed(stream, limit)
        else:
            done = first_pass(stream, limit, None)
        total = done.total
        n = min(total, limit) if limit else total
        note = _note(path, total, limit, done)
        # Everything but the packets and their steps, exactly as explain_file has it.
        shell = _trace(path, [], done.link, note, decode_as, client)
        t0 = 0.0
        if done.start is not None and done.end is not None:
            t0 = done.start
            started = datetime.fromtimestamp(t0, UTC).isoformat()
            shell = replace(shell, started=started, duration=round(done.end - t0, 6))

        def source() -> Iterable[tuple[int, RawPacket]]:
            return islice(enumerate(stream), n)

        if found is not None and n >= parallel_from and _can_fork():
            stream_parallel(shell, source, n, t0, found, out, decode_as, client, mask)
        else:
            # One CPU: one process reads it all, forgetting what the survey
            # says is over, as the two processes would.
            if found is not None and n < parallel_from:
                found.close()
                found = None
            stream_serial(shell, source, n, t0, out, decode_as, client, mask, found)


def _can_fork() -> bool:
    """Two CPUs for this process, and a fork is safe (`_fork_safe`)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (cpus or 1) >= 2 and _fork_safe()


def _fork_safe() -> bool:
    """Fork available, and no threads a fork would leave behind in the child."""
    return hasattr(os, "fork") and threading.active_count() == 1


__all__ = ["DECODERS", "PARALLEL_FROM", "explain_file", "parse_decode_as", "write_explain_json"]
