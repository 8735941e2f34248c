"""NetBIOS Name Service (RFC 1002 section 4.2): how Windows computers on one
network found each other's addresses by name before (and beside) DNS, on
UDP port 137, often by broadcasting the question to everyone. The message
looks like DNS, but names are "first-level encoded": each byte of the
16-byte name becomes two letters (A + high nibble, A + low nibble), so
FILESERVER travels as EGEJEMEFFDEFFCFGEFFCCACACACACAAA. Fields as
Wireshark names them (nbns.*, Wireshark 4.0).

Read by hand: scapy's NBNS layers decode names but keep no byte offsets."""

from __future__ import annotations

import ipaddress

from labs.dissect.proto.base import App, Stream, app, first_field
from labs.model.trace import Field, Layer

TYPES = {32: "NB", 33: "NBSTAT"}
OPCODES = {0: "Name query", 5: "Registration", 6: "Release", 7: "WACK", 8: "Refresh"}


def _f(
    label: str, name: str, value: str, at: int, n: int, explain: str = "", show: str = ""
) -> Field:
    return Field(label, name, value, show or value, at, n, explain)


def decode_name(encoded: bytes) -> str:
    """A first-level-encoded NetBIOS name as Wireshark prints it ("FILESERVER<00>")."""
    if len(encoded) != 32 or any(not 0x41 <= c <= 0x50 for c in encoded):
        raise ValueError("not a NetBIOS name")
    raw = bytes(((encoded[i] - 0x41) << 4) | (encoded[i + 1] - 0x41) for i in range(0, 32, 2))
    return f"{raw[:15].decode('latin-1').rstrip()}<{raw[15]:02x}>"


def _name(data: bytes, pos: int, at: int) -> tuple[Field, int]:
    n = data[pos]
    if n != 32:
        raise ValueError("not a NetBIOS name")
    end = pos + 1 + n
    while end < len(data) and data[end] != 0:  # a scope ID: more labels
        end += 1 + data[end]
    name = decode_name(data[pos + 1 : pos + 33])
    field = _f("Name", "nbns.name", name, at + pos, end + 1 - pos,
               f"The name asked for, first-level encoded: {data[pos + 1 : pos + 33].decode('latin-1')} "
               "(two letters per byte of the padded 16-byte name; the last byte says the service, 00 a computer).")  # fmt: skip
    return field, end + 1


def dissect(payload: bytes, offset: int, stream: Stream) -> list[Layer]:
    if len(payload) < 12:
        raise ValueError("not NBNS")
    flags = int.from_bytes(payload[2:4], "big")
    counts = [int.from_bytes(payload[i : i + 2], "big") for i in range(4, 12, 2)]
    at = offset
    opcode = (flags >> 11) & 0xF
    fields = [
        _f("Transaction ID", "nbns.id", f"0x{payload[:2].hex()}", at, 2),
        _f("Flags", "nbns.flags", f"0x{flags:04x}", at + 2, 2),
        _f("Response", "nbns.flags.response", str(flags >> 15), at + 2, 2),
        _f("Opcode", "nbns.flags.opcode", str(opcode), at + 2, 2, "", OPCODES.get(opcode, str(opcode))),
        _f("Truncated", "nbns.flags.truncated", str((flags >> 9) & 1), at + 2, 2),
        _f("Recursion desired", "nbns.flags.recdesired", str((flags >> 8) & 1), at + 2, 2),
        _f("Broadcast", "nbns.flags.broadcast", str((flags >> 4) & 1), at + 2, 2,
           "1: the question was sent to everyone on the network, not to a name server."),
        _f("Questions", "nbns.count.queries", str(counts[0]), at + 4, 2),
        _f("Answer RRs", "nbns.count.answers", str(counts[1]), at + 6, 2),
        _f("Authority RRs", "nbns.count.auth_rr", str(counts[2]), at + 8, 2),
        _f("Additional RRs", "nbns.count.add_rr", str(counts[3]), at + 10, 2),
    ]  # fmt: skip
    pos = 12
    for _ in range(counts[0]):
        name, pos = _name(payload, pos, at)
        qtype = int.from_bytes(payload[pos : pos + 2], "big")
        fields += [
            name,
            _f("Type", "nbns.type", str(qtype), at + pos, 2, "", TYPES.get(qtype, str(qtype))),
            _f(
                "Class",
                "nbns.class",
                str(int.from_bytes(payload[pos + 2 : pos + 4], "big")),
                at + pos + 2,
                2,
            ),
        ]
        pos += 4
    for _ in range(counts[1]):
        name, pos = _name(payload, pos, at)
        rtype = int.from_bytes(payload[pos : pos + 2], "big")
        ttl = int.from_bytes(payload[pos + 4 : pos + 8], "big")
        rdlen = int.from_bytes(payload[pos + 8 : pos + 10], "big")
        fields += [
            name,
            _f("Type", "nbns.type", str(rtype), at + pos, 2, "", TYPES.get(rtype, str(rtype))),
            _f(
                "Class",
                "nbns.class",
                str(int.from_bytes(payload[pos + 2 : pos + 4], "big")),
                at + pos + 2,
                2,
            ),
            _f("Time to live", "nbns.ttl", str(ttl), at + pos + 4, 4),
            _f("Data length", "nbns.data_length", str(rdlen), at + pos + 8, 2),
        ]
        rdata = payload[pos + 10 : pos + 10 + rdlen]
        if rtype == 32:
            for i in range(0, rdlen - rdlen % 6, 6):
                addr = str(ipaddress.IPv4Address(rdata[i + 2 : i + 6]))
                fields.append(_f("Address", "nbns.addr", addr, at + pos + 10 + i + 2, 4))
        pos += 10 + rdlen
    return [Layer("NBNS", offset, len(payload), tuple(fields))]


def _value(layers: tuple[Layer, ...], name: str) -> str | None:
    found = first_field(layers, ("NBNS",), name)
    return found.value if found is not None else None


def describe(layers: tuple[Layer, ...]) -> str:
    name = _value(layers, "nbns.name") or "a name"
    if _value(layers, "nbns.flags.response") == "1":
        addr = _value(layers, "nbns.addr")
        return f"NetBIOS answer: {name} is at {addr}" if addr else f"NetBIOS answer about {name}"
    how = (
        "everyone on the network"
        if _value(layers, "nbns.flags.broadcast") == "1"
        else "a name server"
    )
    return f"NetBIOS name query: asks {how} who is {name}"


def summarize(layers: tuple[Layer, ...]) -> str:
    kind = TYPES.get(int(_value(layers, "nbns.type") or 0), "")
    prefix = "Name query response" if _value(layers, "nbns.flags.response") == "1" else "Name query"
    return f"NBNS {prefix} {kind} {_value(layers, 'nbns.name') or ''}".strip()


app(App("nbns", ("udp",), (137,), dissect, describe, None, summarize))
