"""Transport headers: TCP (flags, sequence numbers, options) and UDP."""

from __future__ import annotations

from typing import Any

from labs.proto.base import (
    Rule,
    colons,
    dec,
    header,
    hex4,
    ruled_fields,
    rules_mapper,
)
from labs.proto.walk import spots
from labs.trace import Field, Layer

SERVICES = {
    20: "FTP data",
    21: "FTP",
    22: "SSH",
    25: "SMTP",
    53: "DNS",
    80: "HTTP",
    123: "NTP",
    443: "HTTPS",
    5353: "multicast DNS",
    8080: "HTTP (alternate)",
}

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


def port_explain(v: Any, layer: Any = None) -> str:
    port = int(v)
    if port in SERVICES:
        return f"Port {port} is the usual port for {SERVICES[port]}."
    if port >= 32768:
        return (
            f"Port {port} is a high-numbered port, typically picked by the operating system "
            "for this one conversation (an ephemeral port)."
        )
    return f"Port {port}: which program on that computer the data is for."


def _flags_explain(bits: int) -> str:
    names = flag_names(bits)
    if not names:
        return "No flags set."
    meanings = [e for bit, _n, _f, e in FLAG_BITS if bits & bit]
    return "; ".join(f"{n} = {m}" for n, m in zip(names, meanings, strict=True)) + "."


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
        f"Receive window: room for {int(v)} more bytes, multiplied by the scale factor "
        "agreed in the handshake (if any)."
    )


TCP = {
    "sport": Rule("Source port", "tcp.srcport", dec, explain=port_explain),
    "dport": Rule("Destination port", "tcp.dstport", dec, explain=port_explain),
    "seq": Rule("Sequence number", "tcp.seq_raw", dec, explain=_seq_explain),
    "ack": Rule("Acknowledgment number", "tcp.ack_raw", dec, explain=_ack_explain),
    "dataofs": Rule(
        "Header length",
        "tcp.hdr_len",
        lambda v: str(int(v) * 4),
        lambda v: f"{int(v) * 4} bytes",
    ),
    "window": Rule("Window", "tcp.window_size_value", dec, explain=_window_explain),
    "chksum": Rule(
        "Checksum", "tcp.checksum", hex4, explain="Lets the receiver detect damaged data."
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
        size = data[i + 1]
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


@header("TCP", "TCPerror")
def tcp_layer(layer: Any, start: int, packet: bytes) -> tuple[Layer, int]:
    found, length = spots(layer, start, packet)
    fields = ruled_fields(
        layer, [s for s in found if s.name not in ("reserved", "flags", "options")], TCP
    )
    bits = (int(layer.reserved) << 9) | int(layer.flags)
    flag_spot = next((s for s in found if s.name == "flags"), None)
    if flag_spot is not None:
        names = flag_names(bits)
        fields.append(
            Field(
                "Flags",
                "tcp.flags",
                hex4(bits),
                ", ".join(names) or "none",
                start + 12,
                2,
                _flags_explain(bits),
            )
        )
        for bit, name, filt, meaning in FLAG_BITS:
            if name in _SHOWN_BITS:
                fields.append(
                    Field(
                        name,
                        filt,
                        "1" if bits & bit else "0",
                        "set" if bits & bit else "not set",
                        start + 13,
                        1,
                        meaning.capitalize() + "." if bits & bit else "",
                    )
                )
    opts = next((s for s in found if s.name == "options"), None)
    if opts is not None and opts.length:
        data = packet[opts.offset : opts.offset + opts.length]
        fields.append(
            Field(
                "Options",
                "tcp.options",
                colons(data),
                f"{opts.length} bytes",
                opts.offset,
                opts.length,
            )
        )
        fields.extend(_option_fields(data, opts.offset))
    payload = layer.payload
    seg = len(payload.load) if type(payload).__name__ == "Raw" else 0
    fields.append(
        Field(
            "Segment length",
            "tcp.len",
            str(seg),
            f"{seg} bytes",
            start + length,
            seg,
            f"This segment carries {seg} bytes of data."
            if seg
            else "This segment carries no data, only the header.",
        )
    )
    fields.sort(key=lambda f: f.offset)
    return Layer("TCP", start, length, tuple(fields)), length


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
    "chksum": Rule("Checksum", "udp.checksum", hex4),
}

header("UDP", "UDPerror")(rules_mapper("UDP", UDP))

__all__ = ["SERVICES", "flag_names", "port_explain", "tcp_layer"]
