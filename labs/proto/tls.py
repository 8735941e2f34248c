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

from typing import Any

from labs.proto.base import App, Stream, app, colons, dec, hex4
from labs.proto.walk import Spot, deep_spots
from labs.trace import Field, Layer

CONTENT_TYPES = {
    20: "Change Cipher Spec",
    21: "Alert",
    22: "Handshake",
    23: "Application Data",
    24: "Heartbeat",
}
VERSIONS = {
    0x0300: "SSL 3.0",
    0x0301: "TLS 1.0",
    0x0302: "TLS 1.1",
    0x0303: "TLS 1.2",
    0x0304: "TLS 1.3",
}
HANDSHAKES = {
    0: "Hello Request",
    1: "Client Hello",
    2: "Server Hello",
    4: "New Session Ticket",
    8: "Encrypted Extensions",
    11: "Certificate",
    12: "Server Key Exchange",
    13: "Certificate Request",
    14: "Server Hello Done",
    15: "Certificate Verify",
    16: "Client Key Exchange",
    20: "Finished",
}
_HANDSHAKE_EXPLAIN = {
    1: "The client says hello: the TLS versions and cipher suites it can use, and the name of the server it wants (SNI), all readable by anyone on the path.",
    2: "The server picks one version and one cipher suite from the client's lists.",
    11: "The server's certificate: its name and who vouches for it. In TLS 1.2 it crosses the network in clear.",
    12: "The server's half of the key exchange, signed with its certificate's key.",
    14: "The server has said everything it needs to for now.",
    16: "The client's half of the key exchange; from both halves each side computes the same secret keys.",
    4: "A ticket the client can show later to resume without a full handshake.",
}


def version_name(v: int) -> str:
    return VERSIONS.get(v, f"0x{v:04x}")


def _suite_name(v: int) -> str:
    from scapy.layers.tls.crypto.suites import _tls_cipher_suites

    return str(_tls_cipher_suites.get(v, f"0x{v:04x}"))


def is_record(payload: bytes) -> bool:
    """A TLS record header: a known content type and a 3.x version."""
    return len(payload) >= 5 and payload[0] in CONTENT_TYPES and payload[1] == 3 and payload[2] <= 4


def _f(
    name: str,
    filt: str | None,
    value: str,
    show: str,
    spot: Spot | tuple[int, int],
    explain: str = "",
) -> Field:
    offset, length = (spot.offset, spot.length) if isinstance(spot, Spot) else spot
    return Field(name, filt, value, show, offset, length, explain)


# (scapy class, field) -> (label, Wireshark filter, formatter) for plain one-value fields.
_PLAIN: dict[tuple[str, str], tuple[str, str | None, Any]] = {
    ("*", "msglen"): ("Length", "tls.handshake.length", dec),
    ("*", "sidlen"): ("Session ID length", "tls.handshake.session_id_length", dec),
    ("*", "sid"): ("Session ID", "tls.handshake.session_id", colons),
    ("*", "cipherslen"): ("Cipher suites length", "tls.handshake.cipher_suites_length", dec),
    ("*", "complen"): ("Compression methods length", "tls.handshake.comp_methods_length", dec),
    ("*", "extlen"): ("Extensions length", "tls.handshake.extensions_length", dec),
    ("*", "certslen"): ("Certificates length", "tls.handshake.certificates_length", dec),
    ("ServerName", "namelen"): (
        "Server name length",
        "tls.handshake.extensions_server_name_len",
        dec,
    ),
    ("ServerName", "nametype"): (
        "Server name type",
        "tls.handshake.extensions_server_name_type",
        dec,
    ),
    ("TLS_Ext_ServerName", "servernameslen"): (
        "Server name list length",
        "tls.handshake.extensions_server_name_list_len",
        dec,
    ),
    ("TLS_Ext_ALPN", "protocolslen"): (
        "ALPN extension length",
        "tls.handshake.extensions_alpn_len",
        dec,
    ),
    ("ProtocolName", "len"): ("ALPN string length", "tls.handshake.extensions_alpn_str_len", dec),
    ("TLS_Ext_SupportedVersion_CH", "versionslen"): (
        "Supported versions length",
        "tls.handshake.extensions.supported_versions_len",
        dec,
    ),
}

# List fields of 2-byte codes: (scapy field) -> (label, filter, show).
_LISTS: dict[str, tuple[str, str, Any]] = {
    "ciphers": ("Cipher suite", "tls.handshake.ciphersuite", _suite_name),
    "versions": ("Supported version", "tls.handshake.extensions.supported_version", version_name),
    "groups": (
        "Supported group",
        "tls.handshake.extensions_supported_group",
        lambda v: f"0x{v:04x}",
    ),
    "sig_algs": ("Signature algorithm", "tls.handshake.sig_hash_alg", lambda v: f"0x{v:04x}"),
}


def _message_fields(msg: Any, start: int, packet: bytes) -> list[Field]:
    out: list[Field] = []
    random_at: int | None = None
    for owner, spot in deep_spots(msg, start, packet):
        cls, name, v = type(owner).__name__, spot.name, spot.value
        if name == "msgtype":
            t = int(v)
            out.append(
                _f(
                    "Handshake type",
                    "tls.handshake.type",
                    str(t),
                    HANDSHAKES.get(t, str(t)),
                    spot,
                    _HANDSHAKE_EXPLAIN.get(t, ""),
                )
            )
        elif name == "version" and cls in ("TLSClientHello", "TLSServerHello"):
            out.append(_f("Version", "tls.handshake.version", hex4(v), version_name(int(v)), spot))
        elif name == "version" and cls == "TLS_Ext_SupportedVersion_SH":
            out.append(
                _f(
                    "Selected version",
                    "tls.handshake.extensions.supported_version",
                    hex4(v),
                    version_name(int(v)),
                    spot,
                    f"The server chose {version_name(int(v))}.",
                )
            )
        elif name == "gmt_unix_time":
            random_at = spot.offset
        elif name == "random_bytes" and random_at is not None:
            span = (random_at, spot.offset + spot.length - random_at)
            out.append(
                _f(
                    "Random",
                    "tls.handshake.random",
                    colons(packet[span[0] : span[0] + span[1]]),
                    "32 random bytes",
                    span,
                    "Fresh random bytes that go into the keys, so no two sessions share them.",
                )
            )
        elif name == "cipher":
            out.append(
                _f(
                    "Cipher suite",
                    "tls.handshake.ciphersuite",
                    hex4(v),
                    _suite_name(int(v)),
                    spot,
                    f"The server picked {_suite_name(int(v))}: how the rest of the conversation is encrypted.",
                )
            )
        elif name in _LISTS and isinstance(v, list):
            label, filt, show = _LISTS[name]
            for i, code in enumerate(v):
                out.append(_f(label, filt, hex4(code), show(int(code)), (spot.offset + 2 * i, 2)))
        elif name == "comp" and isinstance(v, list):
            for i, code in enumerate(v):
                out.append(
                    _f(
                        "Compression method",
                        "tls.handshake.comp_method",
                        str(code),
                        "null" if code == 0 else str(code),
                        (spot.offset + i, 1),
                    )
                )
        elif name == "type" and cls.startswith("TLS_Ext"):
            from scapy.layers.tls.extensions import _tls_ext

            out.append(
                _f(
                    "Extension type",
                    "tls.handshake.extension.type",
                    str(int(v)),
                    str(_tls_ext.get(int(v), v)),
                    spot,
                )
            )
        elif name == "len" and cls.startswith("TLS_Ext"):
            out.append(
                _f(
                    "Extension length",
                    "tls.handshake.extension.len",
                    str(int(v or 0)),
                    str(int(v or 0)),
                    spot,
                )
            )
        elif name == "servername":
            host = v.decode("ascii", "replace")
            out.append(
                _f(
                    "Server name (SNI)",
                    "tls.handshake.extensions_server_name",
                    host,
                    host,
                    spot,
                    f"The name of the site being visited, {host}, in clear: anyone on the path can read it, even though everything after the handshake is encrypted.",
                )
            )
        elif name == "protocol" and cls == "ProtocolName":
            proto = v.decode("ascii", "replace")
            out.append(
                _f(
                    "ALPN protocol",
                    "tls.handshake.extensions_alpn_str",
                    proto,
                    proto,
                    spot,
                    f"Application protocol {'offered' if _client(msg) else 'chosen'}: {proto} will run inside the encrypted tunnel.",
                )
            )
        elif name == "certs" and isinstance(v, list):
            out.extend(_cert_fields(packet, spot))
        else:
            plain = _PLAIN.get((cls, name)) or _PLAIN.get(("*", name))
            if plain and spot.length:
                label, filt, fmt = plain
                val = fmt(
                    v
                    if v is not None
                    else int.from_bytes(packet[spot.offset : spot.offset + spot.length], "big")
                )
                out.append(_f(label, filt, val, val, spot))
    return out


def _client(msg: Any) -> bool:
    return type(msg).__name__ == "TLSClientHello"


def _cert_fields(packet: bytes, spot: Spot) -> list[Field]:
    """Each certificate: its 3-byte length, its DER bytes, and the names in it."""
    out: list[Field] = []
    pos, end = spot.offset, spot.offset + spot.length
    while pos + 3 <= end:
        n = int.from_bytes(packet[pos : pos + 3], "big")
        out.append(
            _f(
                "Certificate length",
                "tls.handshake.certificate_length",
                str(n),
                f"{n} bytes",
                (pos, 3),
            )
        )
        der = packet[pos + 3 : pos + 3 + n]
        out.append(
            _f(
                "Certificate",
                "tls.handshake.certificate",
                colons(der[:32]) + ("…" if n > 32 else ""),
                f"{n} bytes",
                (pos + 3, len(der)),
                "An X.509 certificate: who the server is, and who signed that claim.",
            )
        )
        out.extend(_x509_fields(der, pos + 3))
        pos += 3 + n
    return out


def _x509_fields(der: bytes, at: int) -> list[Field]:
    try:
        from cryptography import x509
        from cryptography.x509.oid import NameOID

        cert = x509.load_der_x509_certificate(der)
    except Exception:
        return []
    span = (at, len(der))

    def cn(name: Any) -> str:
        attrs = name.get_attributes_for_oid(NameOID.COMMON_NAME)
        return str(attrs[0].value) if attrs else name.rfc4514_string()

    out = [
        _f(
            "Subject",
            None,
            cert.subject.rfc4514_string(),
            cn(cert.subject),
            span,
            "Who the certificate is for.",
        ),
        _f(
            "Issuer",
            None,
            cert.issuer.rfc4514_string(),
            cn(cert.issuer),
            span,
            "Who signed it (a certificate authority, or the server itself if self-signed).",
        ),
        _f(
            "Not after",
            None,
            cert.not_valid_after_utc.isoformat(),
            cert.not_valid_after_utc.date().isoformat(),
            span,
            "The certificate is not valid after this time.",
        ),
    ]
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        for name in san.get_values_for_type(x509.DNSName):
            out.append(
                _f(
                    "DNS name",
                    "x509ce.dNSName",
                    name,
                    name,
                    span,
                    "A name this certificate is valid for; the browser checks it matches the site.",
                )
            )
    except x509.ExtensionNotFound:
        pass
    return out


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
        stream.state["left"] = length - len(body)
    fields = [
        Field(
            "Content type",
            "tls.record.content_type",
            str(ctype),
            CONTENT_TYPES.get(ctype, str(ctype)),
            at,
            1,
            _type_explain(ctype, stream),
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
    encrypted = bool(stream.state.get("ccs"))
    name = f"TLS {CONTENT_TYPES.get(ctype, 'record')}"
    if ctype == 22 and not encrypted and complete:
        fields.extend(_handshake(body, at + 5, offset, payload, pos))
        types = [f.show for f in fields if f.filter == "tls.handshake.type"]
        name = "TLS " + ", ".join(types) if types else name
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


def _type_explain(ctype: int, stream: Stream) -> str:
    if ctype == 22 and not stream.state.get("ccs"):
        return (
            "Handshake: the two sides agree on how to encrypt; this part is readable on the wire."
        )
    if ctype == 23:
        return "Application data: the encrypted content (for HTTPS: the HTTP request or response)."
    return ""


def _handshake(body: bytes, at: int, offset: int, payload: bytes, pos: int) -> list[Field]:
    from scapy.layers.tls.handshake import _tls_handshake_cls

    out: list[Field] = []
    packet = bytes(offset) + payload  # so offsets count within the packet
    i = 0
    while i + 4 <= len(body):
        t, n = body[i], int.from_bytes(body[i + 1 : i + 4], "big")
        cls = _tls_handshake_cls.get(t)
        fields: list[Field] = []
        if cls is not None and t in (1, 2, 11):
            try:
                fields = _message_fields(cls(body[i : i + 4 + n]), at + i, packet)
            except Exception:
                fields = []
        if not fields:
            fields = [
                Field(
                    "Handshake type",
                    "tls.handshake.type",
                    str(t),
                    HANDSHAKES.get(t, str(t)),
                    at + i,
                    1,
                    _HANDSHAKE_EXPLAIN.get(t, ""),
                ),
                Field("Length", "tls.handshake.length", str(n), f"{n} bytes", at + i + 1, 3),
            ]
        out.extend(fields)
        i += 4 + n
    return out


def dissect(payload: bytes, offset: int, stream: Stream) -> list[Layer]:
    layers: list[Layer] = []
    pos = 0
    left = int(stream.state.get("left", 0))
    if left:
        take = min(left, len(payload))
        stream.state["left"] = left - take
        layers.append(
            Layer(
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
        )
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
