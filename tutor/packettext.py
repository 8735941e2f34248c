"""One packet as text (`tutor explain`'s packet list, `--full`, `--verbose`):
its heading line (#N, time, addresses, summary), its sentence, and its key
fields or, verbose, every field with where its bytes are. `tutor.tracetext`
puts the packets together with the rest of the output."""

from __future__ import annotations

import re

from labs.model.numbers import number
from labs.model.trace import Field, Packet, Trace, mask_value
from tutor.timetext import took

#: Text written into a pipe without COLUMNS is this wide.
WIDTH = 100

#: Fields worth a line under each packet, in this order, when present.
KEY_FIELDS = (
    "tcp.flags",
    "tcp.len",
    "udp.length",
    "icmp.type",
    "icmp.code",
    "arp.opcode",
    "dns.qry.name",
    "dns.qry.type",
    "dns.flags.rcode",
    "dns.a",
    "dns.aaaa",
    "dns.cname",
    "dns.resp.ttl",
    "http.request.method",
    "http.request.uri",
    "http.response.code",
    "http.host",
    "http.content_type",
    "tls.handshake.type",
    "tls.handshake.extensions_server_name",
    "tls.handshake.extensions_alpn_str",
    "ftp.request.command",
    "ftp.request.arg",
    "ftp.response.code",
)


def wrap(text: str, indent: str, width: int = WIDTH) -> str:
    """Greedy word wrap at `width` (textwrap.fill took most of the time of
    rendering a large capture); words longer than a line stay whole."""
    room = max(20, width - len(indent))
    if len(text) <= room and "\n" not in text:
        return indent + text
    lines: list[str] = []
    line = ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > room:
            lines.append(indent + line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(indent + line)
    return "\n".join(lines)


def field_value(f: Field, show_secrets: bool) -> str:
    if f.secret and not show_secrets:
        return mask_value(f.name, f.value)
    if f.show and f.show != f.value:
        return _once(f.name, f.show if f.show.startswith(f.value) else f"{f.value} ({f.show})")
    return f.value


def _once(name: str, shown: str) -> str:
    """`shown` less a closing "(relative)" its field's name ends with too:
    "Sequence number (relative): 1", said once (Wireshark's tree: "Sequence
    Number: 1 (relative sequence number)"), also in traces saved before."""
    _, sep, tail = name.rpartition(" (")
    if sep and tail.endswith(")") and shown.endswith(f" ({tail}"):
        return shown[: -len(tail) - 2]
    return shown


def _heading(p: Packet, width: int, no: str) -> str:
    """`#N  +time  src → dst  summary`, the summary wrapped under itself, or
    under the addresses when that takes fewer lines: #N, the time and the
    addresses stay on the first line, where a learner scanning looks for #N."""
    lead = f"  #{no:<3} +{took(p.time):>9}  "
    where = f"{p.src} → {p.dst}  " if p.src or p.dst else ""
    if len(lead) + len(where) + len(p.summary) <= width:
        return lead + where + p.summary
    summary = " " * len(lead)
    if len(lead + where.rstrip()) > width:
        # Long IPv6 addresses: #N and the time without their column's padding
        # keep the line in the width (the summary goes under, where it would).
        lead = f"  #{no} +{took(p.time)}  "
    hang = " " * len(lead + where)
    beside = lead + where + wrap(p.summary, hang, width).lstrip()
    under = (lead + where).rstrip() + "\n" + wrap(p.summary, summary, width)
    narrow = width - len(hang) < 20  # _wrap's narrowest: beside would pass the edge
    return under if narrow or under.count("\n") < beside.count("\n") else beside


#: Values of one key field shown at most (a long answer has many records).
_MOST = 5
#: DNS records outside the answer section say so in their name; a key field
#: line keeps that, so glue is not read as the answer ("dns.a = … (additional)").
_SECTIONS = (" (additional)", " (authority)")


def _key_value(f: Field, show_secrets: bool) -> str:
    where = next((s for s in _SECTIONS if f.name.endswith(s)), "")
    return field_value(f, show_secrets) + where


#: A field line's indent, and its lines after the first (a hanging indent).
FIELD, HANG = " " * 8, " " * 10
#: A layer's line, and its lines after the first (past where its fields begin).
LAYER, LAYER_HANG = " " * 6, " " * 10


def _hanging(text: str, indent: str, hang: str, width: int, glued: int = -1) -> str:
    """`text` after `indent` in lines of `width`, the lines after the first
    after `hang`, broken only between words (a word longer than a line gets
    one of its own and passes the edge) and never after word number `glued`
    when it and the next fit a line together. The spaces between two words
    on a line stay as they were (a value's own double spaces), and a line
    break in `text` (a body's lines) starts a line after `hang`."""
    lines: list[str] = []
    here = indent
    for k, (word, gap) in enumerate(re.findall(r"(\S+)(\s*)", text)):
        need = len(word) + (len(gap) + 1 if k == glued else 0)
        if here.strip() and len(here) + need > width:
            lines.append(here.rstrip())
            here = hang
        here += word + (gap if not gap.strip(" ") else " ")
        if "\n" in gap or "\r" in gap:
            lines.append(here.rstrip())
            here = hang
    return "\n".join([*lines, here.rstrip()] if here.strip() else lines)


def field_line(f: Field, value: str, width: int = WIDTH) -> str:
    """`Name filter = value  [offset+length]` in lines of `width`: wrapped
    between words under a hanging indent, the filter name kept whole and with
    its "=" where the two fit (copied into --filter, half a name is a wrong
    one). Nothing is cut: a word longer than a line, a long hex string, gets
    a line of its own and passes the edge, the value still tshark's whole."""
    named = f"{f.name} {f.filter} = " if f.filter else f"{f.name} = "
    line = f"{FIELD}{named}{value}  [{f.offset}+{f.length}]"
    if len(line) <= width and "\n" not in line and "\r" not in line:
        return line
    # The word before the "=": the filter name, or the name's last word.
    glued = len(named.split()) - 2
    return _hanging(line, FIELD, HANG, width, glued)


def layer_line(name: str, offset: int, length: int, width: int = WIDTH) -> str:
    """A layer's name and where its bytes are, in lines of `width`."""
    line = f"{LAYER}{name}  (bytes {offset}-{offset + length - 1})" if length else LAYER + name
    return (
        line
        if len(line) <= width and "\n" not in line
        else _hanging(line, LAYER, LAYER_HANG, width)
    )


def packet_lines(
    p: Packet, *, show_secrets: bool, verbose: bool, width: int = WIDTH, no: str = ""
) -> list[str]:
    """`p` as text; `no`: its number as the learner reads it ("9a" inside
    TLS: `labs.model.numbers.Numbering.label`), else its index + 1."""
    lines = [_heading(p, width, no or str(number(p.index)))]
    if p.origin == "inside-tls":
        lines.append("      (inside the encrypted tunnel — not visible on the wire)")
    if p.explain:
        lines.append(wrap(p.explain, "      ", width))
    if verbose:
        for layer in p.layers:
            lines.append(layer_line(layer.name, layer.offset, layer.length, width))
            for f in layer.fields:
                lines.append(field_line(f, field_value(f, show_secrets), width))
                if f.explain:
                    lines.append(wrap(f.explain, "            ", width))
        return lines
    # Every value of a repeated key field, in packet order, as tshark's
    # `-T fields` lists them: the first alone said "dns.resp.ttl = 60 s" of an
    # answer whose A record lives 30 s.
    by_filter: dict[str, list[Field]] = {}
    for layer in p.layers:
        if layer.name.endswith(" (quoted)"):
            continue  # the probe an ICMP error sends back: the router's fields matter here
        for f in layer.fields:
            if f.filter in KEY_FIELDS:
                by_filter.setdefault(f.filter, []).append(f)
    keys = [
        f"{name} = {', '.join(_key_value(f, show_secrets) for f in by_filter[name][:_MOST])}"
        + (", …" if len(by_filter[name]) > _MOST else "")
        for name in KEY_FIELDS
        if name in by_filter
    ]
    # Each secret too (that it is there is the lesson), unless a key field said it.
    keys += [
        f"{f.filter or f.name} = {mask_value(f.name, f.value) if not show_secrets else f.value}"
        for layer in p.layers
        for f in layer.fields
        if f.secret and f.filter not in KEY_FIELDS
    ]
    if keys:
        lines.append(wrap(" · ".join(keys), "      ", width))
    return lines


def legend(trace: Trace, width: int = WIDTH) -> list[str]:
    """Once, before the fields: what the bracket after each one means, with
    the first field shown as the example."""
    first = next((f for p in trace.packets for la in p.layers for f in la.fields if f.length), None)
    if first is None:
        return []
    said = (
        f"Each field: its name, its Wireshark filter name (if it has one) = its value, then "
        f"[where it "
        f"starts+how many bytes it takes], counting bytes from the start of the packet "
        f"(the first byte is 0): [{first.offset}+{first.length}] is {first.length} "
        f"byte{'s' if first.length != 1 else ''} from byte {first.offset}."
    )
    return [wrap(said, "  ", width)]


__all__ = ["KEY_FIELDS", "WIDTH", "field_line", "field_value", "legend", "packet_lines", "wrap"]
