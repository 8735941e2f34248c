"""Conversations and followed streams as text and JSON (`tutor explain FILE
--conversations`, `--follow N`); `labs.api.conversations` and
`labs.api.follow_stream` compute them."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any


def _size(n: int) -> str:
    return (
        f"{n} B" if n < 10_000 else f"{n / 1000:.1f} kB" if n < 10_000_000 else f"{n / 1e6:.1f} MB"
    )


def conversations_text(found: tuple[Any, ...]) -> str:
    """A table per transport, as Wireshark's Statistics › Conversations: the
    stream number, both endpoints, frames and bytes each way, start, duration."""
    if not found:
        return "No TCP or UDP conversation in this capture.\n"
    out: list[str] = []
    for kind in ("tcp", "udp"):
        rows = [c for c in found if c.transport == kind]
        if not rows:
            continue
        out.append(f"{kind.upper()} conversations ({len(rows)}): A sent the first packet")
        head = (
            "stream",
            "A",
            "",
            "B",
            "A→B frames",
            "bytes",
            "B→A frames",
            "bytes",
            "start",
            "duration",
        )
        table = [head] + [
            (
                str(c.stream),
                c.a,
                "<->",
                c.b,
                str(c.frames_ab),
                _size(c.bytes_ab),
                str(c.frames_ba),
                _size(c.bytes_ba),
                f"{c.start:.6f} s",
                f"{c.duration:.4f} s",
            )
            for c in rows
        ]
        widths = [max(len(r[i]) for r in table) for i in range(len(head))]
        for r in table:
            cells = [
                v.ljust(w) if i < 4 else v.rjust(w)
                for i, (v, w) in enumerate(zip(r, widths, strict=True))
            ]
            out.append("  ".join(cells).rstrip())
        out.append("")
    out.append(
        "Follow one with --follow N (TCP stream N) or --follow udp:N: its bytes as text, "
        "both directions marked."
    )
    return "\n".join(out) + "\n"


def conversations_json(trace_json: dict[str, Any], found: tuple[Any, ...]) -> str:
    """The trace JSON with the conversations as a top-level list."""
    data = dict(trace_json)
    data["conversations"] = [asdict(c) for c in found]
    return json.dumps(data, indent=2, ensure_ascii=False)


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
