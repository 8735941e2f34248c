"""Compare the Wireshark-named fields of a trace with tshark's on the pcap
the trace saves (decrypted with its key log when there is one): for the
http2 and websocket labs, every field whose name starts with a prefix."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

from labs.model.trace import Packet, Trace

#: Fields whose value is bytes: tshark prints them as bare hex, the trace
#: with colons and, past a size, cut with "…".
BYTES = {
    "http2.data.data",
    "http2.headers",
    "http2.ping",
    "http2.pong",
    "websocket.masking_key",
    "websocket.payload.ping",
    "websocket.payload.pong",
    "websocket.payload.unknown",
    "data.data",
}


def names_used(packets: Sequence[Packet], prefixes: tuple[str, ...]) -> list[str]:
    seen: dict[str, None] = {}
    for p in packets:
        for layer in p.layers:
            for f in layer.fields:
                if f.filter and f.filter.startswith(prefixes):
                    seen[f.filter] = None
    return list(seen)


def tshark_fields(
    pcap: Path, names: Sequence[str], decode_as: Sequence[str] = (), keylog: Path | None = None
) -> list[dict[str, list[str]]]:
    """One dict per packet: field name -> every value, in packet order."""
    args = [
        "tshark",
        "-r",
        str(pcap),
        "-T",
        "fields",
        "-E",
        "occurrence=a",
        "-E",
        "aggregator=\x1f",
    ]
    if keylog is not None:
        args += ["-o", f"tls.keylog_file:{keylog}"]
    for rule in decode_as:
        args += ["-d", rule]
    for name in names:
        args += ["-e", name]
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=60).stdout
    rows = []
    for line in out.splitlines():
        cells = line.split("\t")
        rows.append({n: (c.split("\x1f") if c else []) for n, c in zip(names, cells, strict=True)})
    return rows


def ours(p: Packet, name: str) -> list[str]:
    return [f.value for f in p.fields(name)]


def same(name: str, mine: str, theirs: str) -> bool:
    if name == "http2.data.data":
        # Wireshark shows a body's last DATA frame as the whole reassembled
        # body; every other frame as its own bytes.
        return mine.split(" …")[0].replace(":", "") in theirs
    if name in BYTES:
        bare = mine.split(" …")[0].replace(":", "")
        return theirs.startswith(bare) and (bare == theirs or " …" in mine)
    return mine == theirs


def _cut(*values: object) -> str:
    return repr(values)[:300]


def compare(
    trace: Trace,
    pcap: Path,
    prefixes: tuple[str, ...],
    decode_as: Sequence[str] = (),
    keylog: Path | None = None,
    inside: bool = False,
) -> int:
    """Assert every field equals tshark's; returns how many values matched.

    `inside`: the trace's fields are on its inside-tls packets, which a pcap
    cannot hold; tshark reads them from the decrypted wire packets, so the
    values are compared in order over the whole capture, not packet by packet."""
    mine_packets = [p for p in trace.packets if (p.origin != "wire") == inside]
    names = names_used(mine_packets, prefixes)
    rows = tshark_fields(pcap, ["tcp.srcport", *names], decode_as, keylog)
    wire = trace.wire_packets()
    assert len(rows) == len(wire)
    checked = 0
    if inside:
        # Each direction in its own order: the client recorded its sends when
        # it made them and the server's bytes when it read them.
        for port in {p.src.rsplit(":", 1)[1] for p in mine_packets}:
            mine = [p for p in mine_packets if p.src.rsplit(":", 1)[1] == port]
            theirs = [row for row in rows if row["tcp.srcport"] == [port]]
            for name in names:
                a = [v for p in mine for v in ours(p, name)]
                b = [v for row in theirs for v in row[name]]
                assert len(a) == len(b), _cut(port, name, a, b)
                for x, y in zip(a, b, strict=True):
                    assert same(name, x, y), _cut(port, name, x, y)
                    checked += 1
        return checked
    for p, row in zip(wire, rows, strict=True):
        for name in names:
            a, b = ours(p, name), row[name]
            assert len(a) == len(b), _cut(p.index, name, a, b)
            for x, y in zip(a, b, strict=True):
                assert same(name, x, y), _cut(p.index, name, x, y)
                checked += 1
    return checked
