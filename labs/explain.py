"""`tutor explain FILE`: any pcap or pcapng file as a Trace, explained the
same way as a lab's own capture."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from labs.dissect import build_trace
from labs.errors import BadInput
from labs.pcapio import read_capture
from labs.trace import Trace

#: Protocol names `--decode-as` accepts (what `labs.proto` can dissect).
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


def explain_file(
    path: str | Path,
    *,
    limit: int | None = None,
    decode_as: Mapping[int, str] | None = None,
    client: str | None = None,
) -> Trace:
    """The capture at `path` as a Trace with capture="file" (BadInput when it
    cannot be read; see `labs.pcapio.read_capture`)."""
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


__all__ = ["DECODERS", "explain_file", "parse_decode_as"]
