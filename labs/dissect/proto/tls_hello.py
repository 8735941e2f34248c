"""TLS handshake messages sent in clear (ClientHello, ServerHello,
Certificate), read with scapy's TLS classes and walked field by field into
Wireshark's tls.handshake.* fields; certificate names come from
`cryptography`. Used by `labs.dissect.proto.tls` for records before encryption."""

from __future__ import annotations

from typing import Any

from labs.dissect.proto.base import colons, dec, hex4
from labs.dissect.proto.walk import Spot, deep_spots
from labs.trace import Field

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
                label, plain_filter, fmt = plain
                val = fmt(
                    v
                    if v is not None
                    else int.from_bytes(packet[spot.offset : spot.offset + spot.length], "big")
                )
                out.append(_f(label, plain_filter, val, val, spot))
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


def handshake_fields(body: bytes, at: int, offset: int, payload: bytes) -> list[Field]:
    """Fields of the handshake messages in one record's body, which starts at
    `at` in the packet (the TCP payload starts at `offset`)."""
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
