"""Transport headers: TCP (flags, sequence numbers, options) and UDP."""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from operator import attrgetter
from typing import Any

from labs.dissect.proto.base import (
    Planned,
    Rule,
    colons,
    dec,
    header,
    hex4,
    rules_mapper,
)
from labs.dissect.proto.port_words import SERVICES, port_explain
from labs.model.trace import Field, Layer

#: scapy's flag bits, lowest first, with Wireshark's short names and field names.
FLAG_BITS = (
    (0x001, "FIN", "tcp.flags.fin", "finished: the sender has no more data to send"),
    (
        0x002,
        "SYN",
        "tcp.flags.syn",
        "synchronize: opens a connection and sets the starting sequence number",
    ),
    (
        0x004,
        "RST",
        "tcp.flags.reset",
        "reset: abort the connection (or: nothing listens on this port)",
    ),
    (0x008, "PSH", "tcp.flags.push", "push: hand the data to the application now"),
    (0x010, "ACK", "tcp.flags.ack", "acknowledgment: the ack number is valid"),
    (0x020, "URG", "tcp.flags.urg", "urgent pointer is valid"),
    (0x040, "ECE", "tcp.flags.ece", "congestion experienced"),
    (0x080, "CWR", "tcp.flags.cwr", "congestion window reduced"),
    (0x100, "AE", "tcp.flags.ae", "accurate ECN"),
)
_SHOWN_BITS = ("FIN", "SYN", "RST", "PSH", "ACK", "URG")


def flag_names(bits: int) -> list[str]:
    return [name for bit, name, _f, _e in FLAG_BITS if bits & bit]


def _flags_explain(bits: int) -> str:
    names = flag_names(bits)
    if not names:
        return "No flags set."
    meanings = [e for bit, _n, _f, e in FLAG_BITS if bits & bit]
    return "; ".join(f"{n} = {m}" for n, m in zip(names, meanings, strict=True)) + "."


def _syn_bit(layer: Any) -> int:
    return int(layer.flags) & 0x002


def _ack_bit(layer: Any) -> int:
    return int(layer.flags) & 0x010


def _seq_explain(v: Any, layer: Any) -> str:
    if int(layer.flags) & 0x002:
        return (
            f"{int(v)} is this side's initial sequence number, chosen at random; "
            "every byte it sends afterwards is numbered from here."
        )
    return (
        "The number of the first data byte in this segment; it counts bytes sent in this direction."
    )


def _ack_explain(v: Any, layer: Any) -> str:
    if not int(layer.flags) & 0x010:
        return "Not used here (no ACK flag)."
    return f"'I have received everything before byte {int(v)}; send {int(v)} next.'"


def _window_explain(v: Any, layer: Any) -> str:
    if int(layer.flags) & 0x002:
        return f"The sender can receive {int(v)} bytes before it must be acknowledged (never scaled in a SYN)."
    return (
        f"Receive window: {int(v)}, multiplied by the scale the handshake set when both "
        "SYNs carried the window-scale option."
    )


TCP = {
    "sport": Rule("Source port", "tcp.srcport", dec, explain=port_explain),
    "dport": Rule("Destination port", "tcp.dstport", dec, explain=port_explain),
    "seq": Rule(
        "Sequence number",
        "tcp.seq_raw",
        dec,
        explain=_seq_explain,
        uses_layer=True,
        layer_key=_syn_bit,
        repeats=False,
    ),
    "ack": Rule(
        "Acknowledgment number",
        "tcp.ack_raw",
        dec,
        explain=_ack_explain,
        uses_layer=True,
        layer_key=_ack_bit,
        repeats=False,
    ),
    "dataofs": Rule(
        "Header length",
        "tcp.hdr_len",
        lambda v: str(int(v) * 4),
        lambda v: f"{int(v) * 4} bytes",
    ),
    "window": Rule(
        "Window",
        "tcp.window_size_value",
        dec,
        explain=_window_explain,
        uses_layer=True,
        layer_key=_syn_bit,
    ),
    "chksum": Rule(
        "Checksum",
        "tcp.checksum",
        hex4,
        explain="Lets the receiver detect damaged data.",
        repeats=False,
    ),
    "urgptr": Rule("Urgent pointer", "tcp.urgent_pointer", dec),
}

_OPTION_NAMES = {
    0: "End of options",
    1: "No-operation",
    2: "Maximum segment size",
    3: "Window scale",
    4: "SACK permitted",
    5: "SACK",
    8: "Timestamps",
}


def _option_fields(data: bytes, start: int) -> list[Field]:
    """Fields for each TCP option, found by its kind and length bytes."""
    out: list[Field] = []
    i = 0
    while i < len(data):
        kind = data[i]
        if kind in (0, 1):
            i += 1
            continue
        if i + 1 >= len(data) or data[i + 1] < 2:
            break
        # A damaged length byte must not point past the options.
        size = min(data[i + 1], len(data) - i)
        body = data[i + 2 : i + size]
        at = start + i
        if kind == 2 and len(body) == 2:
            mss = int.from_bytes(body, "big")
            out.append(
                Field(
                    "MSS",
                    "tcp.options.mss_val",
                    str(mss),
                    f"{mss} bytes",
                    at + 2,
                    2,
                    f"Maximum segment size: the sender accepts at most {mss} bytes of data per segment.",
                )
            )
        elif kind == 3 and len(body) == 1:
            out.append(
                Field(
                    "Window scale",
                    "tcp.options.wscale.shift",
                    str(body[0]),
                    f"x{1 << body[0]}",
                    at + 2,
                    1,
                    f"Later window values from this side are multiplied by 2^{body[0]} = {1 << body[0]}.",
                )
            )
        elif kind == 4:
            out.append(
                Field(
                    "SACK permitted",
                    "tcp.options.sack_perm",
                    colons(data[i : i + size]),
                    "yes",
                    at,
                    size,
                    "The sender can acknowledge out-of-order blocks (selective acknowledgment).",
                )
            )
        elif kind == 8 and len(body) == 8:
            tsval = int.from_bytes(body[:4], "big")
            tsecr = int.from_bytes(body[4:], "big")
            out.append(
                Field(
                    "Timestamp value",
                    "tcp.options.timestamp.tsval",
                    str(tsval),
                    str(tsval),
                    at + 2,
                    4,
                    "A clock value the other side echoes back, to measure round-trip time.",
                )
            )
            out.append(
                Field(
                    "Timestamp echo reply",
                    "tcp.options.timestamp.tsecr",
                    str(tsecr),
                    str(tsecr),
                    at + 6,
                    4,
                )
            )
        else:
            name = _OPTION_NAMES.get(kind, f"Option {kind}")
            out.append(Field(name, None, colons(data[i : i + size]), name, at, size))
        i += size
    return out


@lru_cache(maxsize=4096)
def _flag_fields(bits: int, at: int) -> tuple[Field, ...]:
    """tcp.flags and one field per flag bit; the same few combinations
    (SYN, SYN-ACK, ACK, PSH-ACK, FIN-ACK) recur in every connection."""
    names = flag_names(bits)
    out = [
        Field(
            "Flags",
            "tcp.flags",
            hex4(bits),
            ", ".join(names) or "none",
            at,
            2,
            _flags_explain(bits),
        )
    ]
    for bit, name, filt, meaning in FLAG_BITS:
        if name in _SHOWN_BITS:
            on = bool(bits & bit)
            out.append(
                Field(
                    name,
                    filt,
                    "1" if on else "0",
                    "set" if on else "not set",
                    at + 1,
                    1,
                    meaning.capitalize() + "." if on else "",
                )
            )
    return tuple(out)


@lru_cache(maxsize=4096)
def _options(data: bytes, at: int) -> tuple[Field, ...]:
    whole = Field("Options", "tcp.options", colons(data), f"{len(data)} bytes", at, len(data))
    return (whole, *_option_fields(data, at))


@lru_cache(maxsize=4096)
def _segment_length(seg: int, at: int) -> Field:
    explain = (
        f"This segment carries {seg} bytes of data."
        if seg
        else "This segment carries no data, only the header."
    )
    return Field("Segment length", "tcp.len", str(seg), f"{seg} bytes", at, seg, explain)


def tcp_fields(layer: Any, start: int, packet: bytes) -> tuple[list[Field], int]:
    """A TCP header's fields, in byte order, and its length (`tcp_layer`
    without the Layer: the conversation's analysis adds its own first)."""
    fields, found, length = _tcp_fields(layer, start, packet)
    hit = _OPTIONS_AT.get(id(found))
    if hit is None or hit[0] is not found:
        if len(_OPTIONS_AT) >= 4096:
            _OPTIONS_AT.clear()
        where = next(((f[1], f[2]) for f in found if f[0] == "options"), (0, 0))
        last = max((max(off, 14) for _name, off, _n in found), default=14)
        hit = _OPTIONS_AT[id(found)] = (found, *where, _flags_at(found), last)
    payload = layer.payload
    seg = _segment_length(
        len(payload.load) if type(payload).__name__ == "Raw" else 0, start + length
    )
    flags = _flag_fields((int(layer.reserved) << 9) | int(layer.flags), start + 12)
    if hit[2] or hit[3] is None or length < hit[4]:
        fields.extend(flags)
        if hit[2]:
            at = start + hit[1]
            fields.extend(_options(packet[at : at + hit[2]], at))
        fields.append(seg)
        fields.sort(key=_OFFSET)
        return fields, length
    # Already in byte order: what `sort` would give, without sorting.
    split = hit[3]
    return [*fields[:split], *flags, *fields[split:], seg], length


def _flags_at(found: Any) -> int | None:
    """Where the flag fields (bytes 12-13) go among the planned fields of a
    TCP layout, when those are in byte order around them (else None: sort)."""
    offsets = [off for name, off, _n in found if name not in _tcp_fields.skip]
    split = sum(off <= 12 for off in offsets)
    ordered = offsets == sorted(offsets) and all(off >= 14 for off in offsets[split:])
    return split if ordered else None


@header("TCP", "TCPerror")
def tcp_layer(layer: Any, start: int, packet: bytes) -> tuple[Layer, int]:
    fields, length = tcp_fields(layer, start, packet)
    name = "TCP (quoted)" if type(layer).__name__ == "TCPerror" else "TCP"
    if name == "TCP (quoted)":
        # The start of a segment quoted in an ICMP error: Wireshark (4.0) gives
        # it no segment length, and under ICMPv4 no raw sequence number (it
        # reads the sequence number early there; under ICMPv6 as usual).
        # Its tcp.seq and tcp.ack are the raw numbers (no relative numbering,
        # no tcp.nxtseq in an error's quote).
        v6 = type(layer.underlayer).__name__ == "IPerror6"
        fields = [q for f in fields if f.filter != "tcp.len" for q in _quoted(f, v6)]
    return Layer(name, start, length, tuple(fields)), length


_OFFSET = attrgetter("offset")
#: id(layout) -> (the layout, where its options start, their length, where the
#: flag fields go (`_flags_at`), the least header length for that order (the
#: segment length comes last)): the same few layouts recur in every connection.
_OPTIONS_AT: dict[int, tuple[Any, int, int, int | None, int]] = {}


def _quoted(f: Field, v6: bool) -> tuple[Field, ...]:
    """A quoted header's field as Wireshark (4.0) names it there: its
    sequence and acknowledgment numbers also as tcp.seq and tcp.ack."""
    if f.filter == "tcp.seq_raw":
        seq = replace(f, filter="tcp.seq", explain=f.explain + _RAW)
        return (seq, f) if v6 else (seq,)
    if f.filter == "tcp.ack_raw":
        return (replace(f, filter="tcp.ack", explain=f.explain + _RAW), f)
    return (f,)


_RAW = " In an ICMP error's quote Wireshark shows the raw number (no relative numbering)."


_tcp_fields = Planned(TCP, skip=("reserved", "flags", "options"))

UDP = {
    "sport": Rule("Source port", "udp.srcport", dec, explain=port_explain),
    "dport": Rule("Destination port", "udp.dstport", dec, explain=port_explain),
    "len": Rule(
        "Length",
        "udp.length",
        dec,
        lambda v: f"{int(v)} bytes",
        lambda v, layer: f"The UDP header (8 bytes) plus {max(int(v) - 8, 0)} bytes of data.",
    ),
    "chksum": Rule("Checksum", "udp.checksum", hex4, repeats=False),
}

header("UDP")(rules_mapper("UDP", UDP))
# The probe an ICMP error sends back: same fields, named apart so the
# narration and key fields speak of the ICMP message, not of the probe.
header("UDPerror")(rules_mapper("UDP (quoted)", UDP))

__all__ = ["SERVICES", "flag_names", "port_explain", "tcp_fields", "tcp_layer"]
