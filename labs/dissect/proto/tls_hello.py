"""TLS handshake messages sent in clear (ClientHello, ServerHello,
Certificate), read with scapy's TLS classes and walked field by field into
Wireshark's tls.handshake.* fields (the certificates themselves:
`labs.dissect.proto.tls_cert`). Used by `labs.dissect.proto.tls` for records
before encryption."""

from __future__ import annotations

from typing import Any

from labs.dissect.proto.base import colons, dec, hex4
from labs.dissect.proto.tls_cert import cert_fields
from labs.dissect.proto.walk import Spot, deep_spots
from labs.model.trace import Field

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


#: The hello classes whose `version` field is the hello's own (legacy) version.
_HELLOS = ("TLSClientHello", "TLSServerHello", "TLS13ServerHello", "TLS13HelloRetryRequest")
#: ServerHello.random of a HelloRetryRequest (RFC 8446 section 4.1.3).
RETRY_MAGIC = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")
_RETRY_EXPLAIN = (
    "A Server Hello that is really a Hello Retry Request (TLS 1.3): the server cannot go on "
    "with the client's hello as sent (most often none of its key shares suits) and asks it "
    "to say hello again."
)
_RETRY_RANDOM = (
    "Not random at all: SHA-256 of 'HelloRetryRequest', the fixed value that turns this "
    "Server Hello into a request to say hello again."
)


def version_name(v: int) -> str:
    return VERSIONS.get(v, f"0x{v:04x}")


def _group_name(v: int) -> str:
    from scapy.layers.tls.crypto.groups import _tls_named_groups

    return str(_tls_named_groups.get(v, f"0x{v:04x}"))


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
                    _RETRY_EXPLAIN
                    if cls == "TLS13HelloRetryRequest"
                    else _HANDSHAKE_EXPLAIN.get(t, ""),
                )
            )
        elif name == "version" and cls in _HELLOS:
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
        elif name == "random_bytes" and (random_at is not None or spot.length == 32):
            # A TLS 1.2-shaped hello splits the 32 bytes in two (gmt_unix_time first).
            start = spot.offset if random_at is None else random_at
            span = (start, spot.offset + spot.length - start)
            retry = cls == "TLS13HelloRetryRequest"
            out.append(
                _f(
                    "Random",
                    "tls.handshake.random",
                    colons(packet[span[0] : span[0] + span[1]]),
                    "HelloRetryRequest magic" if retry else "32 random bytes",
                    span,
                    _RETRY_RANDOM
                    if retry
                    else "Fresh random bytes that go into the keys, so no two sessions share them.",
                )
            )
        elif name == "selected_group":
            group = _group_name(int(v))
            out.append(
                _f(
                    "Selected group",
                    "tls.handshake.extensions_key_share_selected_group",
                    str(int(v)),
                    group,
                    spot,
                    f"The server wants a key share for {group}, a group the client listed but sent no key for: the client must say hello again with one.",
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
            out.extend(cert_fields(packet, spot))
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
        if t == 2 and body[i + 6 : i + 38] == RETRY_MAGIC:
            # Its legacy version says 1.2, so scapy would read a 1.2 Server
            # Hello and fail on the key share that names only a group.
            from scapy.layers.tls.handshake import TLS13HelloRetryRequest

            cls = TLS13HelloRetryRequest
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
