"""One TLS record read into Wireshark's fields: its 5-byte header, the
handshake messages that travel in clear (read by `tls_hello`), and what is
encrypted, shown as such. `labs.dissect.proto.tls` finds the records in the
TCP stream and hands each one here whole.
"""

from __future__ import annotations

from labs.dissect.proto.base import Stream, colons, hex4
from labs.dissect.proto.tls_hello import RETRY_MAGIC, handshake_fields, version_name
from labs.model.trace import Field, Layer
from labs.model.waterfall_tls import ALERT_SIZED, alert_size

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


def read_record(payload: bytes, pos: int, offset: int, stream: Stream) -> tuple[Layer, int]:
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
        # Kept until its last byte arrives, and read there (as Wireshark's
        # reassembly reads it in the segment that completes it).
        return first_part(ctype, version, length, body, at), pos + 5 + len(body)
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
        if opaque and length == alert_size(stream.shared.get("suite")):
            fields.append(_alert_sized(length, at + 3))
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
                "An alert, encrypted: its type (21, Alert) is readable, not which alert it "
                "is: 'I am done sending' (close_notify) or an error.",
            )
        )
    return Layer(name, at, 5 + len(body), tuple(fields)), pos + 5 + len(body)


def _handshake_name(fields: list[Field], body: bytes, stream: Stream) -> str:
    """The layer's name from its handshake messages; a Server Hello also
    tells which version the server chose."""
    types = [f.show for f in fields if f.filter == "tls.handshake.type"]
    if "Server Hello" in types:
        # The one version the server picked (a Client Hello lists several).
        chosen = [f.value for f in fields if f.filter == _CHOSEN]
        stream.shared["version"] = chosen[0] if chosen else TLS12
        # Its cipher suite sets the size of an encrypted alert (`_alert_sized`).
        suite = [f.value for f in fields if f.filter == "tls.handshake.ciphersuite"]
        stream.shared["suite"] = suite[0] if suite else None
        if body[:1] == b"\x02" and body[6:38] == RETRY_MAGIC:
            # Only TLS 1.3 asks the client to try again.
            stream.shared["version"] = TLS13
            types[types.index("Server Hello")] = "Hello Retry Request"
    return "TLS " + ", ".join(types) if types else ""


def _alert_sized(length: int, at: int) -> Field:
    """Tutor's reading of a TLS 1.3 record's length: what the size shows,
    never which alert (the encryption hides that, and whether it is one)."""
    tag = length - 3
    return Field(
        ALERT_SIZED,
        None,
        str(length),
        f"2 + 1 + {tag} bytes",
        at,
        0,
        f"Tutor's reading of the length (no Wireshark field): {length} encrypted bytes are "
        f"exactly the size of an encrypted TLS alert: 2 bytes of alert, 1 byte of its real "
        f"type and the cipher suite's {tag}-byte tag (RFC 8446 §5.2). An alert is how TLS 1.3 "
        "says 'I am done sending' (close_notify, RFC 8446 §6.1); the encryption hides whether "
        "this record is one.",
    )


def first_part(ctype: int, version: int, length: int, body: bytes, at: int) -> Layer:
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


def sslv2_record(record: bytes, at: int) -> Layer:
    """Bytes whose first ones look like an SSLv2 header, as Wireshark reads
    them: after a gap this is the middle of a TLS record, not SSLv2."""
    n = len(record)
    return Layer(
        "TLS SSLv2 Encrypted Data, Wireshark's guess",
        at,
        n,
        (
            Field("Version", "tls.record.version", "0x0002", "SSL 2.0", at, 0, _V2_NOTE),
            Field("Data", None, colons(record[:32]) + ("…" if n > 32 else ""), f"{n} bytes", at, n),
        ),
    )


_V2_NOTE = (
    "Wireshark guesses SSL 2.0 from this record's first bytes. Here it is the middle "
    "of a TLS record whose start was lost, so the guess is wrong."
)
