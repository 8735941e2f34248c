"""The ladder (sequence) diagram of a trace: one column per host, one arrow
per packet, time flowing down; as text lines (the CLI and the TUI widget),
Mermaid text (`--diagram mermaid`) and SVG (`--diagram svg`).

Made from the trace's packets only (src, dst, summary, time), so any trace
gets one: a lab's, a stored run's, `tutor explain` of any capture. The SVG
is a few lines, rectangles and text elements written here: a drawing
library would add a dependency for less than a page of output code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from labs.model.numbers import numbering_of, whole_of
from labs.model.trace import Packet, Trace, mask_secrets
from tutor import ladder_aside
from tutor.timetext import CELL, took, took_cell

#: The most arrows drawn; a long capture is cut (and says so).
MAX_ARROWS = 400
COLUMN = 30
#: The narrowest gap between two hosts' lines with the labels on the arrows.
NARROWEST = 12
#: Cells before the first host's line: the arrow's time (`took_cell`) and a space.
TIME = CELL + 1


@dataclass(frozen=True)
class Arrow:
    """One packet as an arrow: from column, to column, its label and time,
    and its number as a learner reads it (`labs.model.numbers`: "9", "9a")."""

    index: int
    src: int
    dst: int
    label: str
    time: float
    no: str = ""


@dataclass(frozen=True)
class Ladder:
    hosts: tuple[str, ...]
    arrows: tuple[Arrow, ...]
    cut: int


def host(endpoint: str) -> str:
    """ "192.0.2.10:51514" -> "192.0.2.10"; "[::1]:80" -> "::1"; a MAC stays."""
    if endpoint.startswith("[") and "]:" in endpoint:
        return endpoint[1 : endpoint.index("]")]
    if endpoint.count(":") == 1:
        return endpoint.split(":")[0]
    return endpoint


def _port(endpoint: str) -> str:
    return endpoint.rsplit(":", 1)[1] if host(endpoint) != endpoint else ""


def _columns(packets: tuple[Packet, ...]) -> Callable[[str], str]:
    """How an endpoint maps to a column: its host, except where both ends
    share a host (loopback), where the server's listening port gets its own
    column and every client port shares "HOST (client)"."""
    shared = {host(p.src) for p in packets if host(p.src) == host(p.dst)}
    listening: set[str] = set()
    seen: set[frozenset[str]] = set()
    for p in packets:
        pair = frozenset((p.src, p.dst))
        flags = p.number("tcp.flags")
        if flags is not None and flags & 0x12 == 0x02:
            listening.add(p.dst)
        elif flags is None and pair not in seen:
            listening.add(p.dst)  # the first datagram of a conversation goes to the server
        seen.add(pair)

    def column(endpoint: str) -> str:
        h = host(endpoint)
        if h not in shared or not _port(endpoint):
            return h
        return endpoint if endpoint in listening else f"{h} (client)"

    return column


def ladder(trace: Trace, show_secrets: bool = False, limit: int = MAX_ARROWS) -> Ladder:
    secrets = [] if show_secrets else trace.secret_values()
    hosts: list[str] = []
    arrows = []
    packets = trace.packets[:limit]
    # A filtered trace's sides are the whole capture's: its packets alone can
    # begin with an answer, whose sender would pass for the client.
    whole = whole_of(trace).packets
    column = _columns(whole)
    client = _client(whole) or (whole[0].src if whole else None)
    # Numbered over all the trace's packets: a filtered one keeps its numbers.
    numbering = numbering_of(trace, limit)
    if client is not None:
        hosts.append(column(client))
    for p in packets:
        a, b = column(p.src), column(p.dst)
        for h in (a, b):
            if h not in hosts:
                hosts.append(h)
        label = mask_secrets(_label(p), secrets)
        # A packet's time is already after the capture's first packet, as
        # the packet list writes it: a filtered ladder keeps those times.
        no = numbering.label(p.index)
        arrows.append(Arrow(p.index, hosts.index(a), hosts.index(b), label, p.time, no))
    return Ladder(tuple(hosts), tuple(arrows), max(0, len(trace.packets) - limit))


def _client(packets: tuple[Packet, ...]) -> str | None:
    """The endpoint drawn leftmost: the sender of the first SYN (or the one a
    SYN-ACK answers); without one, the sender of the capture's first packet
    (#0); and where a filter left neither, the end of the first TCP or UDP
    packet on the higher port (a client's port is picked from the high,
    ephemeral range); else None. So a filtered ladder puts the hosts on the
    sides the whole capture's does."""
    for p in packets:
        flags = p.number("tcp.flags")
        if flags is not None and flags & 0x12 == 0x02:
            return p.src
        if flags is not None and flags & 0x12 == 0x12:
            return p.dst
    if not packets or packets[0].index == 0:
        return None  # the first packet's sender comes first anyway
    for p in packets:
        for proto in ("tcp", "udp"):
            sport, dport = p.number(f"{proto}.srcport"), p.number(f"{proto}.dstport")
            if sport is not None and dport is not None and sport != dport:
                return p.src if sport > dport else p.dst
    return None


def _label(p: Packet) -> str:
    """The packet's summary, as the packet list shows it (tshark's expert
    notes, such as "[TCP Dup ACK 15#1]", are already in it)."""
    return p.summary + (" (inside TLS)" if p.origin != "wire" else "")


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _names(lad: Ladder, narrowest: int) -> list[int]:
    """Each gap's width (between host i and i+1) that writes the host names
    whole, the last one ending at its line after the one before it."""
    need = [max(narrowest, len(h) + 2) for h in lad.hosts[:-1]]
    if need:
        need[-1] = max(need[-1], len(lad.hosts[-2]) + len(lad.hosts[-1]) + 1)
    return need


def _needs(lad: Ladder, narrowest: int) -> list[int]:
    """Each gap's width that draws every label and host name whole."""
    need = _names(lad, narrowest)
    for arr in lad.arrows:
        lo, hi = sorted((arr.src, arr.dst))
        if lo == hi:
            if lo < len(need):
                need[lo] = max(need[lo], len(arr.label) + 4)  # "(label)" after the line
            continue
        # An arrow's label has its span less 4 cells ("|- label >|").
        per = -(-(len(arr.label) + 5) // (hi - lo))
        for g in range(lo, hi):
            need[g] = max(need[g], per)
    return need


def fit_column(lad: Ladder, width: int, narrowest: int = NARROWEST) -> tuple[int, ...]:
    """The gaps between the hosts' lines that draw `lad` in `width` cells:
    the time (TIME cells), the gaps and the last line. Each gap as wide as
    its labels need; where they need more than `width` has, the widest ones
    cut down evenly, but not below what the host names need (where those
    fit) nor below `narrowest` (then the lines are longer than `width`)."""
    if len(lad.hosts) < 2:
        return ()
    need = _needs(lad, narrowest)
    room = width - TIME - 1
    if sum(need) <= room:
        return tuple(need)
    floor = _names(lad, narrowest)
    floor = floor if sum(floor) <= room else [narrowest] * len(need)
    cap = max(need)
    while (
        cap > narrowest
        and sum(max(f, min(n, cap)) for f, n in zip(floor, need, strict=True)) > room
    ):
        cap -= 1
    gaps = [max(f, min(n, cap)) for f, n in zip(floor, need, strict=True)]
    spare = room - sum(gaps)
    for g, n in enumerate(need):  # the cells left over, to the gaps still short
        if spare > 0 and n > gaps[g]:
            gaps[g] += 1
            spare -= 1
    return tuple(gaps)


def fit_line(line: str, width: int) -> str:
    """`line` in `width` cells, cut with "…" (a ladder row must not wrap)."""
    return _fit(line, width) if width > 1 else line


def text_lines(lad: Ladder, column: int | tuple[int, ...] = COLUMN) -> list[str]:
    """The header line, then one line per arrow (in `lad.arrows` order).
    `column`: the gap between two hosts' lines, or each gap (`fit_column`)."""
    n = len(lad.hosts)
    gaps = (column,) * max(0, n - 1) if isinstance(column, int) else column
    xs = [sum(gaps[:c]) for c in range(n)]
    head = "".join(_fit(h, g - 1).ljust(g) for h, g in zip(lad.hosts, gaps, strict=False))
    if n > 1:
        # The last name ends at its line where it has the room: the cells
        # after the last line stay free for the arrows' labels.
        last = lad.hosts[-1]
        start = xs[-1] + 1 - len(last)
        before = head.rstrip()
        head = (before.ljust(start) if start >= len(before) + 2 else head) + last
    else:
        head = "".join(lad.hosts)
    head = head.rstrip()
    lines = [" " * TIME + head]
    for arr in lad.arrows:
        row = [" "] * ((xs[-1] if xs else 0) + 1)
        for x in xs:
            row[x] = "|"
        lo, hi = sorted((arr.src, arr.dst))
        if lo == hi:
            body = f"({arr.label})"
            start = xs[lo] + 2
            row[start : start + len(body)] = list(body)
        else:
            a, b = xs[lo] + 1, xs[hi]
            span = b - a
            text = f" {_fit(arr.label, span - 4)} "
            line = list(("-" * ((span - len(text)) // 2) + text).ljust(span, "-"))
            if arr.dst > arr.src:
                line[-1] = ">"
            else:
                line[0] = "<"
            row[a:b] = line
        lines.append(f"{took_cell(arr.time)} " + "".join(row).rstrip())
    return lines


def fitted(lad: Ladder, width: int, numbers: bool = True) -> tuple[list[str], list[str]]:
    """(key, lines): `lad` in `width` cells, the header then a row per arrow,
    and the key naming the hosts where the header gives them letters. The
    labels on the arrows (`fit_column`), or, where that would cut more of
    them or the hosts' names, the labels beside the lanes
    (`tutor.ladder_aside`), as Wireshark's Flow Graph writes them; `numbers`
    False leaves their "#N" out, for rows that show the No. already."""
    inline = [fit_line(line, width) for line in text_lines(lad, fit_column(lad, width))]
    aside = ladder_aside.lines(lad, width, numbers) if len(lad.hosts) > 2 else None
    if aside is None:
        return [], inline
    names = sum(_names(lad, NARROWEST)) <= width - TIME - 1
    cut = sum(1 for a, line in zip(lad.arrows, inline[1:], strict=True) if a.label not in line)
    cut_aside = sum(
        1 for a, line in zip(lad.arrows, aside[1][1:], strict=True) if a.label not in line
    )
    return ([], inline) if names and cut <= cut_aside else aside


def brief_lines(
    trace: Trace, limit: int, show_secrets: bool = False, width: int | None = None
) -> list[str]:
    """The ladder's first `limit` arrows, for the CLI's summary; says how to
    get all. Given a `width` (the terminal's), columns as wide as the labels
    need and the width allows (`fit_column`), and no line longer: a wrapped
    row breaks the ladder."""
    lad = ladder(trace, show_secrets, limit=limit)
    if width is None:
        lines = text_lines(lad)
    else:
        key, lines = fitted(lad, width)
        lines = key + lines
    if lad.cut:
        lines.append(
            f"  ... {lad.cut} more packets: --diagram text (or mermaid, svg) draws them all."
        )
    return lines


def render_text(trace: Trace, show_secrets: bool = False) -> str:
    lad = ladder(trace, show_secrets)
    out = ["Ladder diagram (time after the first packet; one arrow per packet)"]
    out += text_lines(lad)
    if lad.cut:
        out.append(f"... and {lad.cut} more packets (cut at {MAX_ARROWS}).")
    return "\n".join(out) + "\n"


def _mermaid_text(text: str) -> str:
    # Mermaid reads ';' as a line end and '#...;' as an entity: keep them out.
    return text.replace(";", ",").replace("#", "no.").replace("\n", " ")


def render_mermaid(trace: Trace, show_secrets: bool = False) -> str:
    lad = ladder(trace, show_secrets)
    lines = ["sequenceDiagram"]
    for i, h in enumerate(lad.hosts):
        lines.append(f"    participant H{i} as {_mermaid_text(h)}")
    for arr in lad.arrows:
        lines.append(
            f"    H{arr.src}->>H{arr.dst}: {arr.no} {_mermaid_text(arr.label)} ({took(arr.time)})"
        )
    if lad.cut:
        lines.append(f"    Note over H0: {lad.cut} more packets not drawn")
    return "\n".join(lines) + "\n"


def render_svg(trace: Trace, show_secrets: bool = False) -> str:
    lad = ladder(trace, show_secrets)
    col, top, step, left = 260, 50, 26, 90
    width = left + col * max(1, len(lad.hosts)) + 40
    height = top + step * (len(lad.arrows) + 1) + 20
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="monospace" font-size="12">',
        '<defs><marker id="a" markerWidth="8" markerHeight="8" refX="8" refY="4" '
        'orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#333"/></marker></defs>',
        f'<rect width="{width}" height="{height}" fill="#fff"/>',
    ]
    xs = [left + col * i + col // 2 for i in range(len(lad.hosts))]
    for x, h in zip(xs, lad.hosts, strict=True):
        out.append(
            f'<text x="{x}" y="24" text-anchor="middle" font-weight="bold">{escape(h)}</text>'
        )
        out.append(f'<line x1="{x}" y1="32" x2="{x}" y2="{height - 10}" stroke="#999"/>')
    for n, arr in enumerate(lad.arrows):
        y = top + step * n
        out.append(f'<text x="6" y="{y + 4}" fill="#666">{took(arr.time)}</text>')
        x1, x2 = xs[arr.src], xs[arr.dst]
        if x1 == x2:
            out.append(f'<text x="{x1 + 6}" y="{y + 4}">{escape(arr.label)}</text>')
            continue
        out.append(
            f'<line x1="{x1}" y1="{y}" x2="{x2}" y2="{y + 8}" stroke="#333" marker-end="url(#a)"/>'
        )
        out.append(
            f'<text x="{(x1 + x2) // 2}" y="{y - 3}" text-anchor="middle" '
            f"data-packet={quoteattr(arr.no)}>{_svg_label(arr)}</text>"
        )
    if lad.cut:
        out.append(f'<text x="6" y="{height - 6}">{lad.cut} more packets not drawn</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _svg_label(arr: Arrow) -> str:
    """An arrow's label, cut to its room, with the packet's No. and the whole
    label as its tooltip (a viewer shows it on hover)."""
    whole = escape(f"No. {arr.no}: {arr.label}")
    return f"<title>{whole}</title>{escape(_fit(arr.label, 40))}"


RENDERERS = {"text": render_text, "mermaid": render_mermaid, "svg": render_svg}

__all__ = [
    "RENDERERS",
    "Arrow",
    "Ladder",
    "brief_lines",
    "fit_column",
    "fit_line",
    "fitted",
    "ladder",
    "render_mermaid",
    "render_svg",
    "render_text",
]
