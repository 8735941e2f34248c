"""A Trace as plain text for the terminal (`tutor explain`, `tutor lab run`).

Reads only the plain dataclasses of `labs.trace`; secrets (fields marked
`secret`, and their values wherever a sentence quotes them) are masked
unless the learner asks to see them.
"""

from __future__ import annotations

from labs.trace import MASK, Field, Packet, Section, Trace, mask_secrets

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

_LOUD = {
    "reconstructed": "RECONSTRUCTED: these packets were not captured. The bytes your program sent and "
    "received are real; the IP/TCP headers around them were rebuilt by tutor.",
    "simulated": "SIMULATED: nothing was sent. These packets were computed from a model of the network.",
}
_CAPTURES = {
    "live": "Captured live on this machine.",
    "file": "Read from a capture file.",
    "reconstructed": "Reconstructed from the bytes seen at the socket.",
    "simulated": "Simulated.",
}

WIDTH = 100


def duration(seconds: float) -> str:
    if seconds < 0.001:
        return f"{seconds * 1_000_000:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds:.2f} s"


def _ranges(indexes: tuple[int, ...]) -> str:
    """0,1,2,5 -> "0-2, 5"."""
    out: list[str] = []
    run: list[int] = []
    for i in indexes:
        if run and i == run[-1] + 1:
            run.append(i)
            continue
        if run:
            out.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
        run = [i]
    if run:
        out.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
    return ", ".join(out)


def _wrap(text: str, indent: str) -> str:
    """Greedy word wrap at WIDTH (textwrap.fill took most of the time of
    rendering a large capture); words longer than a line stay whole."""
    room = WIDTH - len(indent)
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
        return MASK
    if f.show and f.show != f.value:
        return f.show if f.show.startswith(f.value) else f"{f.value} ({f.show})"
    return f.value


def header(trace: Trace) -> list[str]:
    lines = [f"{trace.lab} · {trace.target}" if trace.target else trace.lab]
    loud = _LOUD.get(trace.capture)
    if loud:
        lines.append(_wrap(f"!! {loud}", ""))
    note = trace.capture_note or _CAPTURES.get(trace.capture, "")
    if note:
        lines.append(_wrap(note, ""))
    n = len(trace.packets)
    if not n:
        lines.append("No packets to show.")
        return lines
    bits = [f"{n} packet{'s' if n != 1 else ''}"]
    if trace.started:
        bits.insert(0, f"started {trace.started}")
    if trace.duration:
        bits.append(f"took {duration(trace.duration)}")
    text = ", ".join(bits)
    lines.append(
        text[:1].upper()
        + text[1:]
        + ". Packets count from #0; Wireshark numbers the same ones from 1."
    )
    return lines


def steps(trace: Trace) -> list[str]:
    if not trace.steps:
        return []
    lines = ["", "Steps"]
    for i, step in enumerate(trace.steps, 1):
        title = step.title or step.name
        when = f"at {duration(step.start)}, took {duration(step.duration)}"
        lines.append(f"  {i:>2}. {title}  [{step.name}]  {when}  packets {_ranges(step.packets)}")
        if step.explain:
            lines.append(_wrap(step.explain, "      "))
    return lines


def packet_lines(p: Packet, *, show_secrets: bool, verbose: bool) -> list[str]:
    where = f"  {p.src} → {p.dst}" if p.src or p.dst else ""
    lines = [f"  #{p.index:<3} +{duration(p.time):>9}{where}  {p.summary}"]
    if p.origin == "inside-tls":
        lines.append("      (inside the encrypted tunnel — not visible on the wire)")
    if p.explain:
        lines.append(_wrap(p.explain, "      "))
    if verbose:
        for layer in p.layers:
            end = layer.offset + layer.length - 1
            lines.append(
                f"      {layer.name}  (bytes {layer.offset}-{end})"
                if layer.length
                else f"      {layer.name}"
            )
            for f in layer.fields:
                name = f" {f.filter}" if f.filter else ""
                lines.append(
                    f"        {f.name}{name} = {field_value(f, show_secrets)}  [{f.offset}+{f.length}]"
                )
                if f.explain:
                    lines.append(_wrap(f.explain, "            "))
        return lines
    by_filter: dict[str, Field] = {}
    for layer in p.layers:
        if layer.name.endswith(" (quoted)"):
            continue  # the probe an ICMP error sends back: the router's fields matter here
        for f in layer.fields:
            if f.filter and f.filter not in by_filter:
                by_filter[f.filter] = f
    keys = [
        f"{name} = {field_value(by_filter[name], show_secrets)}"
        for name in KEY_FIELDS
        if name in by_filter
    ]
    keys += [
        f"{f.name} = {MASK if not show_secrets else f.value}"
        for layer in p.layers
        for f in layer.fields
        if f.secret
    ]
    if keys:
        lines.append(_wrap(" · ".join(keys), "      "))
    return lines


def section(s: Section) -> list[str]:
    lines = ["", s.title]
    if s.kind == "code":
        lines += ["    " + line for line in s.body.splitlines()]
    elif s.kind == "table":
        rows = [r.split("\t") for r in s.body.splitlines() if r.strip()]
        widths = [
            max(len(r[i]) if i < len(r) else 0 for r in rows)
            for i in range(max(map(len, rows), default=0))
        ]
        for j, row in enumerate(rows):
            lines.append("  " + "  ".join(c.ljust(widths[i]) for i, c in enumerate(row)).rstrip())
            if j == 0:
                lines.append("  " + "  ".join("-" * w for w in widths))
    else:
        for para in s.body.split("\n\n"):
            lines.append(_wrap(para.replace("\n", " "), "  "))
    return lines


def facts(trace: Trace) -> list[str]:
    if not trace.facts:
        return []
    lines = ["", "What this run shows"]
    for f in trace.facts:
        evidence = []
        if f.packets:
            evidence.append(f"packets {_ranges(f.packets)}")
        if f.filter:
            evidence.append(f.filter)
        tail = f" ({', '.join(evidence)})" if evidence else ""
        lines.append(f"  {f.name} = {f.value}{tail}")
        if f.explain:
            lines.append(_wrap(f.explain, "      "))
    return lines


def render(trace: Trace, *, show_secrets: bool = False, verbose: bool = False) -> str:
    """The whole trace as text: header, steps, packets, sections, facts."""
    lines = header(trace) + steps(trace)
    if trace.packets:
        lines += ["", "Packets"]
        for p in trace.packets:
            lines += packet_lines(p, show_secrets=show_secrets, verbose=verbose)
    for s in trace.sections:
        lines += section(s)
    lines += facts(trace)
    text = "\n".join(lines) + "\n"
    secrets = [] if show_secrets else trace.secret_values()
    if not secrets:
        return text
    # Masked over the whole text: sentences, sections and curl lines quote them too.
    note = f"\nSecrets (credentials, cookies, API keys) are shown as {MASK}; --show-secrets reveals them.\n"
    return mask_secrets(text, secrets) + note


__all__ = ["KEY_FIELDS", "MASK", "duration", "field_value", "render"]
