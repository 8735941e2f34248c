"""QUIC (RFC 9000, RFC 9001): the transport under HTTP/3, over UDP. What
anyone on the path can read is the first byte's form bits, and in a long
header (used while the connection is set up) the version, the connection
IDs and the length; everything else (packet numbers, frames, the HTTP/3
requests inside) is encrypted, and even the packet number's length is
masked ("header protection"). Fields as Wireshark names them (quic.*,
Wireshark 4.0), those Wireshark reads without keys.

Read by hand: scapy's QUIC layer decodes only the header forms it binds to
port 443, and the connection IDs of short headers need the lengths learnt
from the long headers of the same conversation (kept in the Stream)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from labs.dissect.proto import quic_initial
from labs.dissect.proto.base import App, Stream, app, first_field
from labs.model.trace import Field, Layer

#: Long header packet types, QUIC version 1 (RFC 9000 section 17.2).
LONG_TYPES = {0: "Initial", 1: "0-RTT", 2: "Handshake", 3: "Retry"}
_SAYS = {
    0: "the first packets of a connection: the TLS handshake's ClientHello/ServerHello "
    "(encrypted with keys anyone can derive from the connection ID, so not secret)",
    1: "data sent early, before the handshake ends (0-RTT)",
    2: "the rest of the TLS handshake, encrypted",
    3: "the server asks the client to try again with a token",
}
VERSIONS = {1: "1", 0x6B3343CF: "2"}


def _f(
    label: str, name: str | None, value: str, at: int, n: int, explain: str = "", show: str = ""
) -> Field:
    return Field(label, name, value, show or value, at, n, explain)


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    """A variable-length integer (RFC 9000 section 16): value and its size."""
    first = data[pos]
    size = 1 << (first >> 6)
    value = first & 0x3F
    for b in data[pos + 1 : pos + size]:
        value = value << 8 | b
    if pos + size > len(data):
        raise ValueError("cut varint")
    return value, size


def _long(
    data: bytes, pos: int, at: int, shared: dict[str, Any], side: str
) -> tuple[list[Field], int]:
    known: set[bytes] = shared.setdefault("quic-cids", set())
    b0 = data[pos]
    kind = (b0 >> 4) & 3
    version = int.from_bytes(data[pos + 1 : pos + 5], "big")
    dcil = data[pos + 5]
    dcid = data[pos + 6 : pos + 6 + dcil]
    p = pos + 6 + dcil
    scil = data[p]
    scid = data[p + 1 : p + 1 + scil]
    p += 1 + scil
    known.update(c for c in (dcid, scid) if c)
    fields = [
        _f("Header Form", "quic.header_form", "1", at + pos, 1, "1: a long header, used while the connection is set up."),
        _f("Fixed Bit", "quic.fixed_bit", str((b0 >> 6) & 1), at + pos, 1),
        _f("Packet Type", "quic.long.packet_type", str(kind), at + pos, 1, f"{LONG_TYPES[kind]}: {_SAYS[kind]}.", LONG_TYPES[kind]),
        _f("Version", "quic.version", f"0x{version:08x}", at + pos + 1, 4, "", f"QUIC version {VERSIONS.get(version, hex(version))}"),
        _f("Destination Connection ID Length", "quic.dcil", str(dcil), at + pos + 5, 1),
        _f("Destination Connection ID", "quic.dcid", dcid.hex(":"), at + pos + 6, dcil,
           "Chosen by the receiver: it routes the packet to its connection even if the sender's address changes."),
        _f("Source Connection ID Length", "quic.scil", str(scil), at + p - scil - 1, 1),
        _f("Source Connection ID", "quic.scid", scid.hex(":"), at + p - scil, scil),
    ]  # fmt: skip
    if kind == 3:  # Retry: a token and an integrity tag, no length
        return fields, len(data)
    if kind == 0:
        token_len, size = _varint(data, p)
        fields.append(_f("Token Length", "quic.token_length", str(token_len), at + p, size))
        p += size + token_len
    length, size = _varint(data, p)
    fields.append(_f("Length", "quic.length", str(length), at + p, size,
                     "The bytes that follow in this packet: the (masked) packet number and the encrypted payload."))  # fmt: skip
    end = min(p + size + length, len(data))
    if kind == 0 and version == 1:
        # The client's first Initial names the connection ID both sides' Initial keys come from.
        odcid = shared.setdefault("quic-odcid", dcid)
        opened = quic_initial.fields(data, pos, p + size, end, odcid, side)
        if opened:
            return fields + [replace(f, offset=f.offset + at) for f in opened], end
    fields.append(_f("Protected payload", None, f"{end - p - size} bytes", at + p + size, end - p - size,
                     "Encrypted: the packet number and the frames inside cannot be read without the keys."))  # fmt: skip
    return fields, end


def _short(data: bytes, pos: int, at: int, known: set[bytes]) -> list[Field]:
    b0 = data[pos]
    fields = [
        _f("Header Form", "quic.header_form", "0", at + pos, 1, "0: a short header, used once the connection is set up."),
        _f("Fixed Bit", "quic.fixed_bit", str((b0 >> 6) & 1), at + pos, 1),
        _f("Spin Bit", "quic.spin_bit", str((b0 >> 5) & 1), at + pos, 1,
           "Flips once per round trip, so a router on the path can measure the round-trip time."),
    ]  # fmt: skip
    cid = next(
        (c for c in sorted(known, key=len, reverse=True) if data[pos + 1 :].startswith(c)), None
    )
    if cid is not None:
        fields.append(
            _f("Destination Connection ID", "quic.dcid", cid.hex(":"), at + pos + 1, len(cid))
        )
    rest = pos + 1 + (len(cid) if cid else 0)
    fields.append(_f("Protected payload", None, f"{len(data) - rest} bytes", at + rest, len(data) - rest,
                     "Encrypted: everything after the connection ID."))  # fmt: skip
    return fields


def dissect(payload: bytes, offset: int, stream: Stream) -> list[Layer]:
    known: set[bytes] = stream.shared.setdefault("quic-cids", set())
    shared = stream.shared
    # The side that speaks first is the client (its Initial keys differ from the server's).
    side = stream.state.setdefault("quic-side", "server" if "quic-odcid" in shared else "client")
    fields: list[Field] = []
    pos = 0
    while pos < len(payload):
        if payload[pos] & 0x80:
            made, pos = _long(payload, pos, offset, shared, side)
            fields += made
        elif not fields:
            fields += _short(payload, pos, offset, known)
            break
        elif any(payload[pos:]):  # after a long header: a coalesced short header packet
            fields += _short(payload, pos, offset, known)
            break
        else:
            break  # zero padding after the last packet
    return [Layer("QUIC", offset, len(payload), tuple(fields))]


def detect(payload: bytes) -> bool:
    """A long header of a known version with connection IDs of at most 20 bytes."""
    return (
        len(payload) >= 7
        and payload[0] & 0xC0 == 0xC0
        and int.from_bytes(payload[1:5], "big") in VERSIONS
        and payload[5] <= 20
    )


def describe(layers: tuple[Layer, ...]) -> str:
    kinds = [
        f.show
        for layer in layers
        if layer.name == "QUIC"
        for f in layer.fields
        if f.filter == "quic.long.packet_type"
    ]
    if kinds:
        return (
            "QUIC "
            + " + ".join(kinds)
            + ": setting up an encrypted connection (HTTP/3 runs on top)"
        )
    return "QUIC: encrypted data on an established connection; only the connection ID is readable"


def summarize(layers: tuple[Layer, ...]) -> str:
    kinds = [
        f.show
        for layer in layers
        if layer.name == "QUIC"
        for f in layer.fields
        if f.filter == "quic.long.packet_type"
    ]
    dcid = first_field(layers, ("QUIC",), "quic.dcid")
    what = ", ".join(kinds) if kinds else "Protected Payload"
    return f"QUIC {what}" + (f", DCID={dcid.value.replace(':', '')}" if dcid else "")


app(App("quic", ("udp",), (443,), dissect, describe, detect, summarize, sticky=True))
