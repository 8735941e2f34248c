"""TLS records and the handshake messages that travel in clear.

Records are found by their 5-byte headers, following a record that
continues in the next TCP segment with the direction's `Stream`. Handshake
messages sent before that side's ChangeCipherSpec are read with scapy's TLS
classes and walked field by field (ClientHello: versions, cipher suites,
SNI, ALPN; ServerHello; Certificate, whose X.509 names come from
`cryptography`). Everything after is encrypted and shown as such: the point
a learner should see is what stays visible (the server name, the
certificate in TLS 1.2) and what does not (the URL, headers, body).
"""

from __future__ import annotations

from dataclasses import replace

from labs.dissect.proto.base import App, Stream, app, colons, hex4, reassembly_fields
from labs.dissect.proto.tls_hello import handshake_fields, version_name
from labs.trace import Field, Layer

CONTENT_TYPES = {
    20: "Change Cipher Spec",
    21: "Alert",
    22: "Handshake",
    23: "Application Data",
    24: "Heartbeat",
}


TLS13, TLS12 = "0x0304", "0x0303"
_CHOSEN = "tls.handshake.extensions.supported_version"
_OPAQUE = (
    "Every encrypted TLS 1.3 record says 23 (Application Data) here; its real type "
    "(handshake, alert or data) is inside the encryption, hidden from the path."
)


def is_record(payload: bytes) -> bool:
    """A TLS record header: a known content type and a 3.x version."""
    return len(payload) >= 5 and payload[0] in CONTENT_TYPES and payload[1] == 3 and payload[2] <= 4


def _record(payload: bytes, pos: int, offset: int, stream: Stream) -> tuple[Layer, int]:
    """One record starting at payload[pos]; returns it and where the next begins."""
    ctype, version, length = (
        payload[pos],
        int.from_bytes(payload[pos + 1 : pos + 3], "big"),
        int.from_bytes(payload[pos + 3 : pos + 5], "big"),
    )
    at = offset + pos
    body = payload[pos + 5 : pos + 5 + length]
    complete = len(body) == length
    if not complete:
        # Kept whole until its last byte arrives, and read there (as
        # Wireshark's reassembly reads it in the segment that completes it).
        stream.state["left"] = length - len(body)
        stream.state["record"], stream.state["parts"] = payload[pos:], 1
        return _first_part(ctype, version, length, body, at), pos + 5 + len(body)
    # TLS 1.3 hides the real type inside the encryption: every encrypted
    # record says Application Data outside, which Wireshark files as the
    # "opaque type" once the server has chosen 1.3.
    opaque = ctype == 23 and stream.shared.get("version") == TLS13
    fields = [
        Field(
            "Opaque type" if opaque else "Content type",
            "tls.record.opaque_type" if opaque else "tls.record.content_type",
            str(ctype),
            CONTENT_TYPES.get(ctype, str(ctype)),
            at,
            1,
            _OPAQUE if opaque else _type_explain(ctype, stream),
        ),
        Field("Version", "tls.record.version", hex4(version), version_name(version), at + 1, 2),
        Field(
            "Length",
            "tls.record.length",
            str(length),
            f"{length} bytes",
            at + 3,
            2,
            ""
            if complete
            else f"Only {len(body)} of these bytes are in this segment; the rest follow in the next.",
        ),
    ]
    # Handshake records are encrypted after this side's ChangeCipherSpec in
    # TLS 1.2; in TLS 1.3 the ChangeCipherSpec is only for middleboxes (it
    # follows a HelloRetryRequest too) and encrypted handshake records say 23.
    encrypted = bool(stream.state.get("ccs")) and stream.shared.get("version") != TLS13
    name = f"TLS {CONTENT_TYPES.get(ctype, 'record')}"
    if ctype == 22 and not encrypted and complete:
        fields.extend(handshake_fields(body, at + 5, offset, payload))
        name = _handshake_name(fields, body, stream) or name
    elif ctype == 22 or (ctype == 23 and length):
        what = "Encrypted Handshake Message" if ctype == 22 else "Encrypted Application Data"
        filt = "tls.app_data" if ctype == 23 else None
        fields.append(
            Field(
                what,
                filt,
                colons(body[:32]) + ("…" if len(body) > 32 else ""),
                f"{length} encrypted bytes",
                at + 5,
                len(body),
                f"{length} bytes only the two ends can read: to anyone else on the path they look random.",
            )
        )
        name = "TLS " + ("Application Data" if ctype == 23 else "Encrypted Handshake Message")
    elif ctype == 20:
        stream.state["ccs"] = True
        fields.append(
            Field(
                "Change Cipher Spec",
                "tls.change_cipher_spec",
                colons(body),
                "switch to encryption",
                at + 5,
                len(body),
                "From the next record on, this side encrypts everything it sends.",
            )
        )
    elif ctype == 21 and complete and not encrypted and length == 2:
        fields.append(
            Field(
                "Alert level",
                "tls.alert_message.level",
                str(body[0]),
                "fatal" if body[0] == 2 else "warning",
                at + 5,
                1,
            )
        )
        fields.append(
            Field(
                "Alert description", "tls.alert_message.desc", str(body[1]), str(body[1]), at + 6, 1
            )
        )
    elif ctype == 21:
        name = "TLS Encrypted Alert"
        fields.append(
            Field(
                "Encrypted Alert",
                None,
                colons(body),
                f"{length} encrypted bytes",
                at + 5,
                len(body),
                "An alert (often 'closing now'), encrypted.",
            )
        )
    return Layer(name, at, 5 + len(body), tuple(fields)), pos + 5 + len(body)


#: ServerHello.random of a HelloRetryRequest (RFC 8446 section 4.1.3).
_RETRY = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")


def _handshake_name(fields: list[Field], body: bytes, stream: Stream) -> str:
    """The layer's name from its handshake messages; a Server Hello also
    tells which version the server chose."""
    types = [f.show for f in fields if f.filter == "tls.handshake.type"]
    if "Server Hello" in types:
        # The one version the server picked (a Client Hello lists several).
        chosen = [f.value for f in fields if f.filter == _CHOSEN]
        stream.shared["version"] = chosen[0] if chosen else TLS12
        if body[:1] == b"\x02" and body[6:38] == _RETRY:
            # Only TLS 1.3 asks the client to try again.
            stream.shared["version"] = TLS13
            types[types.index("Server Hello")] = "Hello Retry Request"
    return "TLS " + ", ".join(types) if types else ""


def _continued(payload: bytes, take: int, offset: int, stream: Stream) -> Layer:
    """The next `take` bytes of a record begun in an earlier segment, read as
    a whole record when they complete it."""
    record = stream.state.get("record")
    if record is None:
        return Layer(
            "TLS record (continued)",
            offset,
            take,
            (
                Field(
                    "Record data",
                    None,
                    colons(payload[:32]) + ("…" if take > 32 else ""),
                    f"{take} bytes",
                    offset,
                    take,
                    "The rest of a TLS record that began in an earlier segment.",
                ),
            ),
        )
    record += payload[:take]
    parts = int(stream.state.get("parts", 1)) + 1
    if stream.state.get("left"):
        stream.state["record"], stream.state["parts"] = record, parts
        return Layer(
            "TLS record (continued)",
            offset,
            take,
            (
                Field(
                    "Record data (continues)",
                    None,
                    colons(payload[:32]) + ("…" if take > 32 else ""),
                    f"{take} bytes",
                    offset,
                    take,
                    "More of a TLS record begun in an earlier segment; it is read once whole.",
                ),
            ),
        )
    stream.state.pop("record", None)
    stream.state.pop("parts", None)
    # Read whole as if it began the packet, then moved to where it sits: it
    # began `len(record) - take` bytes before this payload. Fields in the
    # bytes of earlier segments keep no bytes of this packet.
    start = offset + take - len(record)
    whole, _end = _record(record, 0, 0, stream)
    fields = [replace(f, offset=f.offset + start) for f in whole.fields]
    fields = [f if f.offset >= offset else replace(f, offset=offset, length=0) for f in fields]
    fields += reassembly_fields(parts, len(record), offset)
    name = f"{whole.name} (reassembled from {parts} segments)"
    return Layer(name, offset, take, tuple(fields))


def _first_part(ctype: int, version: int, length: int, body: bytes, at: int) -> Layer:
    """The first segment of a record that goes on in the next: its header,
    told but not named as Wireshark's fields (Wireshark reads the record in
    the segment that completes it; so does tutor)."""
    kind = CONTENT_TYPES.get(ctype, str(ctype))
    fields = (
        Field("Content type", None, str(ctype), kind, at, 1, "The record's type."),
        Field("Version", None, hex4(version), version_name(version), at + 1, 2),
        Field(
            "Length",
            None,
            str(length),
            f"{length} bytes",
            at + 3,
            2,
            f"Only {len(body)} of these bytes are in this segment; the rest follow, and "
            "the record is read in the segment that completes it.",
        ),
        Field(
            "Record data (continues)",
            None,
            colons(body[:32]) + ("…" if len(body) > 32 else ""),
            f"{len(body)} of {length} bytes",
            at + 5,
            len(body),
        ),
    )
    return Layer(f"TLS {kind} (first part)", at, 5 + len(body), fields)


def _type_explain(ctype: int, stream: Stream) -> str:
    if ctype == 22 and not stream.state.get("ccs"):
        return (
            "Handshake: the two sides agree on how to encrypt; this part is readable on the wire."
        )
    if ctype == 23:
        return "Application data: the encrypted content (for HTTPS: the HTTP request or response)."
    return ""


def _unread(payload: bytes, offset: int, name: str, explain: str) -> Layer:
    n = len(payload)
    shown = colons(payload[:32]) + ("…" if n > 32 else "")
    return Layer(name, offset, n, (Field("Data", None, shown, f"{n} bytes", offset, n, explain),))


def dissect(payload: bytes, offset: int, stream: Stream) -> list[Layer]:
    # TCP analysis found a gap or bytes out of order: records are not put back
    # in order here, so none is read in this direction from now on (tshark
    # reads them once the resent segment fills the gap). A copy of bytes
    # already read (a retransmission) is not read twice.
    flags = stream.state.get("tcp.analysis", ())
    if stream.state.get("gap") or "lost_segment" in flags or "out_of_order" in flags:
        stream.state["gap"] = True
        for key in ("left", "record", "parts"):
            stream.state.pop(key, None)
        return [_unread(payload, offset, "TLS (after a gap)",
                        "Bytes before these were lost or came out of order; tutor does not put "
                        "segments back in order, so the TLS records from here on are not read "
                        "(Wireshark reads them once the resent segment fills the gap).")]  # fmt: skip
    if {"retransmission", "fast_retransmission", "spurious_retransmission"} & set(flags):
        return [_unread(payload, offset, "TLS (resent)",
                        "A copy of bytes sent before: read where they first went.")]  # fmt: skip
    layers: list[Layer] = []
    pos = 0
    left = int(stream.state.get("left", 0))
    if left:
        take = min(left, len(payload))
        stream.state["left"] = left - take
        layers.append(_continued(payload, take, offset, stream))
        pos = take
    while pos < len(payload):
        if not is_record(payload[pos:]):
            rest = payload[pos:]
            layers.append(
                Layer(
                    "TLS (unreadable)",
                    offset + pos,
                    len(rest),
                    (
                        Field(
                            "Data",
                            "data.data",
                            colons(rest[:32]),
                            f"{len(rest)} bytes",
                            offset + pos,
                            len(rest),
                        ),
                    ),
                )
            )
            break
        layer, pos = _record(payload, pos, offset, stream)
        layers.append(layer)
    return layers


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
    data = _all(layers, "tls.app_data")
    if data:
        n = sum(f.length for f in data)
        return f"{n} bytes of encrypted application data (unreadable on the wire)"
    names = [layer.name for layer in layers if layer.name.startswith("TLS")]
    return ", ".join(names)


app(App("tls", ("tcp",), (443, 8443, 993, 995, 465), dissect, describe, is_record, summarize))
