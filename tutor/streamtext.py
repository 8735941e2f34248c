"""Conversations and followed streams as text and JSON (`tutor explain FILE
--conversations`, `--follow N`); `labs.api.conversations` and
`labs.api.follow_stream` compute them."""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import asdict
from typing import Any

from labs.model.numbers import ALL_WIRE, Numbering
from tutor.tracetext import text_width


def _size(n: int) -> str:
    return (
        f"{n} B" if n < 10_000 else f"{n / 1000:.1f} kB" if n < 10_000_000 else f"{n / 1e6:.1f} MB"
    )


#: How the CLI follows a stream (the TUI says its own key instead).
FOLLOW_FLAG = (
    "Follow one with --follow N (TCP stream N) or --follow udp:N: its bytes as text, "
    "both directions marked."
)


def conversations_text(
    found: tuple[Any, ...], follow: str = FOLLOW_FLAG, width: int | None = None
) -> str:
    """A table per transport, as Wireshark's Statistics › Conversations: the
    stream number, both endpoints, frames and bytes each way, start, duration;
    then `follow`, the line saying how to follow one. In `width` cells (when
    not given, COLUMNS, the terminal's or 100: `tutor.tracetext.text_width`): a table too wide for it puts
    each conversation's counts on a line under its endpoints."""
    if not found:
        return "No TCP or UDP conversation in this capture.\n"
    width = width or text_width()
    out: list[str] = []
    for kind in ("tcp", "udp"):
        rows = [c for c in found if c.transport == kind]
        if not rows:
            continue
        out.append(f"{kind.upper()} conversations ({len(rows)}): A sent the first packet")
        table = [_HEAD] + [
            (
                str(c.stream),
                c.a,
                "<->",
                c.b,
                str(c.frames_ab),
                _size(c.bytes_ab),
                str(c.frames_ba),
                _size(c.bytes_ba),
                f"{c.start:.6f}",
                f"{c.duration:.4f}",
            )
            for c in rows
        ]
        flat = _columns(table, right=4)
        out += flat if max(len(line) for line in flat) <= width else _stacked(table, width)
        out.append("")
    out += textwrap.wrap(follow, width) or [follow]
    return "\n".join(out) + "\n"


_HEAD = (
    "stream",
    "A",
    "",
    "B",
    "A→B frames",
    "bytes",
    "B→A frames",
    "bytes",
    # In seconds with Wireshark's decimals, unlike `took` elsewhere: the
    # columns read as Statistics › Conversations' Rel Start and Duration,
    # to compare one with the other. The heading says the unit.
    "start (s)",
    "duration (s)",
)


def _columns(table: list[tuple[str, ...]], right: int, indent: str = "") -> list[str]:
    """`table`'s rows as lines, columns two cells apart, those from `right`
    on right-aligned (the numbers)."""
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    return [
        (
            indent
            + "  ".join(
                v.ljust(w) if i < right else v.rjust(w)
                for i, (v, w) in enumerate(zip(r, widths, strict=True))
            )
        ).rstrip()
        for r in table
    ]


def _stacked(table: list[tuple[str, ...]], width: int) -> list[str]:
    """Each conversation in two lines, for a terminal narrower than its row:
    the stream and both endpoints, then under the endpoints its frames, bytes,
    start and duration (the same values, headed as in the one-line table).
    Endpoints too long for one line (IPv6 with ports) put B on a line of its own."""
    lead = max(len(r[0]) for r in table) + 2
    ends = [(r[1], r[3]) for r in table]
    a_width = max(len(a) for a, _ in ends)
    joined = lead + a_width + len("  <->  ") + max(len(b) for _, b in ends) <= width
    counts = _columns([r[4:] for r in table], right=0, indent=" " * lead)
    lines = []
    for r, below in zip(table, counts, strict=True):
        if joined:
            lines.append(
                f"{r[0].ljust(lead)}{r[1].ljust(a_width)}  {r[2] or '   '}  {r[3]}".rstrip()
            )
        else:
            lines.append(f"{r[0].ljust(lead)}{r[1]}  {r[2]}".rstrip())
            lines.append(" " * lead + r[3])
        lines.append(below)
    return lines


def conversations_json(trace_json: dict[str, Any], found: tuple[Any, ...]) -> str:
    """The trace JSON with the conversations as a top-level list."""
    data = dict(trace_json)
    data["conversations"] = [asdict(c) for c in found]
    return json.dumps(data, indent=2, ensure_ascii=False)


#: The piece `labs.api.follow_stream` adds for bytes the capture never had.
_MISSING = re.compile(rb"\[\d+ bytes missing in capture file\]\.")


#: Bytes that do not occur in text: control characters other than tab, CR, LF.
_BINARY = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _readable(data: bytes) -> str:
    """Bytes as text, every byte that is not printable text as a dot and CR
    LF line ends as plain line ends. A piece with control bytes in it is
    binary (a DNS message, a TLS record): read byte by byte as ASCII, as
    Wireshark's Follow does, since two of its bytes that happen to form a
    UTF-8 letter ("ƅ" from a DNS ID) are no text. A piece of text is read
    as UTF-8, so "café" in a JSON body stays "café"."""
    if _BINARY.search(data):
        text = data.decode("ascii", "replace")
    else:
        text = data.decode("utf-8", "replace")
    text = text.replace("\r\n", "\n")
    return "".join(c if c == "\n" or (c.isprintable() and c != "\ufffd") else "." for c in text)


def follow_text(found: Any, numbering: Numbering = ALL_WIRE) -> str:
    """A followed stream for a learner: a heading naming both ends and what
    each sent, then every piece under a line saying which way it went, who
    sent it and in which packet (`--follow N`; `--tshark` prints tshark's),
    numbered as `numbering` (the trace's: "#9a" was read inside TLS)."""
    ref = numbering.ref
    ends = ("client", "server")
    sent = [sum(len(p.data) for p in found.pieces if p.node == n and not _gap(p)) for n in (0, 1)]
    count = [sum(1 for p in found.pieces if p.node == n and not _gap(p)) for n in (0, 1)]
    a, b = found.nodes
    lines = [
        f"{found.transport.upper()} stream {found.stream}: client {a} ⇄ server {b}",
        f"  → client to server: {_pieces(sent[0], count[0])}; "
        f"← server to client: {_pieces(sent[1], count[1])}",
        "  (the client is the side whose packet came first; bytes that are not text are dots)",
    ]
    if not found.pieces:
        lines += ["", "Neither side sent any data in this stream."]
    for piece in found.pieces:
        arrow = "→" if piece.node == 0 else "←"
        who = f"{ends[piece.node]} {found.nodes[piece.node]}"
        if _gap(piece):
            size = int(piece.data[1:].split()[0])
            lines += [
                "",
                f"{arrow} {size} bytes the {who} sent are missing from the capture "
                f"(packet {ref(piece.packet)} acknowledges them)",
            ]
            continue
        size = len(piece.data)
        lines += [
            "",
            f"{arrow} {ref(piece.packet)}  {who} sent {size} byte{'s' if size != 1 else ''}:",
        ]
        lines += [
            ("    " + line).rstrip() for line in _readable(piece.data).rstrip("\n").split("\n")
        ]
    return "\n".join(lines) + "\n"


def _gap(piece: Any) -> bool:
    return _MISSING.fullmatch(piece.data) is not None


def _pieces(size: int, n: int) -> str:
    return f"{size} byte{'s' if size != 1 else ''} in {n} piece{'s' if n != 1 else ''}"


def follow_json(found: Any) -> str:
    pieces = [
        {
            "node": p.node,
            "packet": p.packet,
            "length": len(p.data),
            "text": p.data.decode("utf-8", "replace"),
        }
        for p in found.pieces
    ]
    return json.dumps(
        {
            "follow": {
                "transport": found.transport,
                "stream": found.stream,
                "nodes": list(found.nodes),
                "pieces": pieces,
            }
        },
        indent=2,
        ensure_ascii=False,
    )
