"""The certificates of a TLS Certificate message: each one's length and DER
bytes (tls.handshake.certificate_length, tls.handshake.certificate) and the
names in it, read with `cryptography` (subject, issuer, expiry and the DNS
names Wireshark shows as x509ce.dNSName)."""

from __future__ import annotations

from typing import Any

from labs.dissect.proto.base import colons
from labs.dissect.proto.walk import Spot
from labs.model.trace import Field


def _f(
    name: str, filt: str | None, value: str, show: str, span: tuple[int, int], explain: str = ""
) -> Field:
    return Field(name, filt, value, show, span[0], span[1], explain)


def cert_fields(packet: bytes, spot: Spot) -> list[Field]:
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
