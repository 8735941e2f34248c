"""TLS records found in a TCP stream, as Wireshark 4.0 finds them.

A record is read whole, in the segment that completes it
(`tls_record` reads it). Its bytes are placed by sequence number
(`tcp_order.by_length`): after a gap, the segments of a record wait for the
resent one (a fast retransmission), and bytes past its end start the next
record meanwhile. Bytes that follow a gap which swallowed a record's header
are read as Wireshark reads them: guessed at (an SSLv2 header, text), or left
as continuation data. Handshake messages sent before that side's
ChangeCipherSpec are readable; everything after is encrypted and shown as
such: the point a learner should see is what stays visible (the server name,
the certificate in TLS 1.2) and what does not (the URL, headers, body).
"""

from __future__ import annotations

from dataclasses import replace

from labs.dissect.proto import tcp_order
from labs.dissect.proto.base import App, Stream, app, colons, reassembly_fields
from labs.dissect.proto.tls_record import (
    TLS13,
    first_part,
    is_record,
    read_record,
    sslv2_record,
)
from labs.model.trace import Field, Layer
from labs.model.waterfall_tls import ALERT_SIZED


def _whole(record: bytes, stream: Stream, at: int, rel: int, take: int, parts: int) -> Layer:
    """A record read in the segment that completes it, whose bytes
    [rel, rel + take) are this packet's, from `at` on. Fields in bytes of
    other segments keep no bytes of this packet."""
    if record[0] >= 0x80:  # begun as SSLv2 (Wireshark's guess after a gap)
        whole = sslv2_record(record, 0)
    else:
        whole, _end = read_record(record, 0, 0, stream)
    start, end = at - rel, at + take
    fields = []
    for f in whole.fields:
        lo, hi = max(f.offset + start, at), min(f.offset + start + f.length, end)
        fields.append(
            replace(f, offset=lo, length=hi - lo) if hi > lo else replace(f, offset=at, length=0)
        )
    fields += reassembly_fields(parts, len(record), at)
    name = f"{whole.name} (reassembled from {parts} segments)"
    return Layer(name, at, take, tuple(fields))


def _part(piece: bytes, at: int, missing: int) -> Layer:
    """Bytes of a record begun in an earlier segment that do not complete it."""
    n = len(piece)
    explain = "More of a TLS record begun in an earlier segment; it is read once whole."
    if missing:
        explain = (
            f"More of a TLS record begun in an earlier segment, but {missing} bytes before "
            "these have not been seen (yet): they are kept in place until those bytes come "
            "(a resent segment), and the record is read when complete."
        )
    shown = colons(piece[:32]) + ("…" if n > 32 else "")
    name = "Held after a gap" if missing else "Record data (continues)"
    return Layer(
        "TLS record (continued)", at, n, (Field(name, None, shown, f"{n} bytes", at, n, explain),)
    )


def _unread(payload: bytes, offset: int, name: str, explain: str) -> Layer:
    n = len(payload)
    shown = colons(payload[:32]) + ("…" if n > 32 else "")
    return Layer(name, offset, n, (Field("Data", None, shown, f"{n} bytes", offset, n, explain),))


def dissect(payload: bytes, offset: int, stream: Stream) -> list[Layer]:
    flags = stream.state.get("tcp.analysis", ())
    if "retransmission" in flags:
        # Wireshark 4.0 leaves a retransmission on timeout out of its reassembly.
        return [_unread(payload, offset, "TLS (resent)", "A copy of bytes sent before.")]
    if "out_of_order" in flags:
        # It puts bytes out of order in place but reads no record in them
        # (`tcp.no_subdissector_on_error`): a record they complete is only counted.
        return tcp_order.by_length(payload, offset, stream, _unread_late, _counted, _part)
    return tcp_order.by_length(payload, offset, stream, _fresh, _whole, _part, _length)


def _length(head: bytes, stream: Stream) -> int | None:
    """A record's whole length from its header's first bytes, as `_fresh`
    would measure it; None when they begin no record."""
    if len(head) < 5 or all(32 <= c < 127 for c in head[:4]):
        return None
    if stream.shared.get("version") not in (None, TLS13):
        return 5 + int.from_bytes(head[3:5], "big") if head[0] in _VALID else None
    if head[0] >= 0x80 and head[2] in _V2_TYPES:
        return ((head[0] & 0x7F) << 8 | head[1]) + 2
    if head[0] in _VALID and head[1] == 3 and head[2] < 4:
        return 5 + int.from_bytes(head[3:5], "big")
    return None


def _unread_late(payload: bytes, offset: int, stream: Stream) -> tuple[list[Layer], None]:
    explain = "Bytes that belong before ones already seen: not read here (as in Wireshark)."
    return [_unread(payload, offset, "TLS (out of order)", explain)], None


def _counted(record: bytes, stream: Stream, at: int, rel: int, take: int, parts: int) -> Layer:
    """A record completed by a segment that is not read (resent or out of order)."""
    fields = reassembly_fields(parts, len(record), at)
    return Layer(f"TLS record completed, not read ({parts} segments)", at, take, tuple(fields))


#: content types Wireshark 4.0 takes for a record's (25: TLS 1.2 with a connection ID)
_VALID = frozenset(range(20, 26))
#: SSLv2 message types Wireshark 4.0's heuristic takes for an SSLv2 header
#: (error, client hello, client master key, server hello)
_V2_TYPES = frozenset((0, 1, 2, 4))


def _fresh(
    payload: bytes, offset: int, stream: Stream
) -> tuple[list[Layer], tuple[int, int] | None]:
    """The records of bytes that begin a message, read as Wireshark 4.0 reads
    them (also after a gap that swallowed a header: garbage then). Where a
    record that goes on past them starts, and its whole length."""
    if len(payload) > 4 and all(32 <= c < 127 for c in payload[:4]):
        # Four printable bytes: Wireshark takes them for text, not TLS.
        return [_data(payload, offset)], None
    # Wireshark reads records straight away once a version below 1.3 is
    # known, and guesses from each record's first bytes otherwise.
    direct = stream.shared.get("version") not in (None, TLS13)
    layers: list[Layer] = []
    pos = 0
    while pos < len(payload):
        rest = payload[pos:]
        length = int.from_bytes(rest[3:5], "big")
        if len(rest) < 5:
            # Wireshark waits for the next segment to read the header whole.
            layers.append(_unread(rest, offset + pos, "TLS record (first part)", _SHORT))
            return layers, (pos, 0)
        if direct and rest[0] not in _VALID:
            layers.append(_unread(rest[: 5 + length], offset + pos, "TLS continuation", _GARBAGE))
            pos += 5 + length
            continue
        v2 = not direct and rest[0] >= 0x80 and rest[2] in _V2_TYPES
        if not direct and not v2 and not (rest[0] in _VALID and rest[1] == 3 and rest[2] < 4):
            layers.append(_unread(rest, offset + pos, "TLS continuation", _GARBAGE))
            break
        size = ((rest[0] & 0x7F) << 8 | rest[1]) + 2 if v2 else 5 + length
        if size > len(rest):
            first = (
                _unread(rest, offset + pos, f"{_GUESS} (first part)", _GARBAGE)
                if v2
                else first_part(
                    rest[0], int.from_bytes(rest[1:3], "big"), length, rest[5:], offset + pos
                )
            )
            layers.append(first)
            return layers, (pos, size)
        layers.append(
            sslv2_record(rest[:size], offset + pos)
            if v2
            else read_record(payload, pos, offset, stream)[0]
        )
        pos += size
    return layers, None


_SHORT = (
    "The first bytes of a record's 5-byte header: the rest is in the next segment, and "
    "the record is read once whole."
)
_GARBAGE = (
    "Bytes that do not begin a TLS record: the middle of one whose start was not "
    "captured (a gap before them)."
)


def _data(payload: bytes, at: int) -> Layer:
    n = len(payload)
    return Layer(
        "Data",
        at,
        n,
        (
            Field("Data", "data.data", payload.hex(":"), f"{n} bytes", at, n),
            Field("Length", "data.len", str(n), f"{n} bytes", at, n),
        ),
    )


def _all(layers: tuple[Layer, ...], filt: str) -> list[Field]:
    return [
        f
        for layer in layers
        if layer.name.startswith("TLS")
        for f in layer.fields
        if f.filter == filt
    ]


def summarize(layers: tuple[Layer, ...]) -> str:
    names = [layer.name.removeprefix("TLS ") for layer in layers if layer.name.startswith("TLS")]
    return "TLS " + ", ".join(dict.fromkeys(names)) if names else ""


def describe(layers: tuple[Layer, ...]) -> str:
    sni = _all(layers, "tls.handshake.extensions_server_name")
    kinds = [f.show for f in _all(layers, "tls.handshake.type")]
    if "Client Hello" in kinds:
        name = f", naming the server {sni[0].value} in clear (SNI)" if sni else ""
        return f"a TLS Client Hello: the start of encryption{name}"
    if "Server Hello" in kinds:
        suite = _all(layers, "tls.handshake.ciphersuite")
        extra = " and its certificate" if "Certificate" in kinds else ""
        chosen = f" ({suite[0].show})" if suite else ""
        return f"the server's TLS answer{extra}: it picks how to encrypt{chosen}"
    if kinds:
        records = [
            layer.name.removeprefix("TLS ") for layer in layers if layer.name.startswith("TLS")
        ]
        return "TLS records: " + ", ".join(records)
    goodbye = _goodbye(layers)
    if goodbye:
        return goodbye
    data = _all(layers, "tls.app_data")
    if data:
        n = sum(f.length for f in data)
        return f"{n} bytes of encrypted application data (unreadable on the wire)"
    names = [layer.name for layer in layers if layer.name.startswith("TLS")]
    said = [
        _SAID.get(n) or _SAID[n.split(" (")[0]]
        for n in names
        if n in _SAID or n.split(" (")[0] in _SAID
    ]
    if any(f.name == "Held after a gap" for layer in layers for f in layer.fields):
        said.insert(0, _SAID["held"])
    return said[0] if said else ", ".join(names)


def _goodbye(layers: tuple[Layer, ...]) -> str:
    """What a packet whose records are all encrypted alerts (TLS 1.2 shows
    their type) or TLS 1.3 records of an alert's size shows; "" for others."""
    records = [layer for layer in layers if layer.name.startswith("TLS")]
    sized = [f for layer in records for f in layer.fields if f.name == ALERT_SIZED]
    alerts = [layer for layer in records if layer.name.startswith("TLS Encrypted Alert")]
    if not records or len(sized) + len(alerts) != len(records):
        return ""
    if alerts:
        n = sum(
            int(f.value)
            for layer in alerts
            for f in layer.fields
            if f.filter == "tls.record.length"
        )
        what = (
            "an encrypted TLS alert" if len(alerts) == 1 else f"{len(alerts)} encrypted TLS alerts"
        )
        return (
            f"{what} (a record of {n} bytes): its type, 21 (Alert), is readable before "
            "TLS 1.3, not which alert it is: 'I am done sending' (close_notify) or an error"
        )
    size, tag = sized[0].value, int(sized[0].value) - 3
    what = (
        f"{size} encrypted bytes"
        if len(sized) == 1
        else f"{len(sized)} records of {size} encrypted bytes"
    )
    return (
        f"{what}: exactly the size of an encrypted TLS alert (2 bytes, plus 1 byte of type and "
        f"a {tag}-byte tag), which is how TLS 1.3 says 'I am done sending' (close_notify, "
        f"RFC 8446 §6.1); the encryption hides whether {'it is' if len(sized) == 1 else 'they are'} one"
    )


_GUESS = "TLS SSLv2 Encrypted Data, Wireshark's guess"
#: what a packet says whose TLS bytes are not read here, by its layer's name
_SAID = {
    "held": "more of a TLS record, after bytes not seen yet: kept in place until they come "
    "(a resent segment), and the record is read when complete",
    "TLS record": "more of a TLS record begun in an earlier segment, read when complete",
    "TLS record (first part)": "the first bytes of a TLS record's header: the rest follow in "
    "the next segment",
    "TLS continuation": "bytes from the middle of a TLS record whose start was not captured: "
    "they cannot be read",
    _GUESS: "bytes from the middle of a TLS record whose start was not captured, which "
    "Wireshark takes for an SSLv2 record",
    "TLS record completed, not read": "the last bytes of a TLS record, out of order: Wireshark "
    "puts the record together here but does not read it",
    "TLS (resent)": "bytes sent again: not read a second time (as in Wireshark)",
    "TLS (out of order)": "bytes out of order: put in place but not read (as in Wireshark)",
}


app(
    App(
        "tls",
        ("tcp",),
        (443, 8443, 993, 995, 465),
        dissect,
        describe,
        is_record,
        summarize,
        reorders=True,
    )
)
