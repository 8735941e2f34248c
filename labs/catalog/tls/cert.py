"""The server's certificate as a learner reads it: who it names, who vouches
for it, how long it is valid, and where the lab got it from."""

from __future__ import annotations

from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from labs.catalog.tls.result import Exchange
from labs.catalog.tls.wire import handshake, tls_version
from labs.kit import Packet, Section
from labs.model.numbers import Numbering


def describe_cert(der: bytes, now: datetime | None = None) -> list[tuple[str, str]]:
    """(label, value) rows for a DER certificate, parsed with cryptography."""
    cert = x509.load_der_x509_certificate(der)
    now = now or datetime.now(UTC)
    rows = [
        ("Subject (who it is for)", cert.subject.rfc4514_string()),
        ("Issuer (who vouches for it)", cert.issuer.rfc4514_string()),
    ]
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = [str(n) for n in san.get_values_for_type(x509.DNSName)]
        names += [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
        rows.append(("Names it is valid for (SAN)", ", ".join(names)))
    except x509.ExtensionNotFound:
        rows.append(("Names it is valid for (SAN)", "(none listed)"))
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    left = (end - now).days
    state = f"{left} days left" if end > now else "EXPIRED"
    if start > now:
        state = "not valid yet"
    rows.append(("Valid from", start.strftime("%Y-%m-%d %H:%M UTC")))
    rows.append(("Valid until", f"{end.strftime('%Y-%m-%d %H:%M UTC')} ({state})"))
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        rows.append(("Public key", f"RSA, {key.key_size} bits"))
    elif isinstance(key, ec.EllipticCurvePublicKey):
        rows.append(("Public key", f"elliptic curve {key.curve.name}"))
    else:
        rows.append(("Public key", type(key).__name__))
    algo = cert.signature_algorithm_oid._name  # cryptography's readable OID name
    rows.append(("Signature algorithm", str(algo)))
    rows.append(("Serial number", f"{cert.serial_number:x}"))
    if cert.issuer == cert.subject:
        rows.append(("Self-signed", "yes: it vouches for itself"))
    return rows


def cert_sections(
    exchange: Exchange, packets: tuple[Packet, ...], embedded: bool, now: datetime
) -> tuple[Section, ...]:
    """The certificate as a table (its validity counted from `now`), and
    where it came from and why it was trusted."""
    if not exchange.cert_der:
        return ()
    on_wire = handshake(packets, "11")
    if on_wire is not None:
        source = (
            f"In {tls_version(exchange)} the Certificate message crosses the wire in clear "
            f"(packet {Numbering(packets).label(on_wire.index)}): anyone on the path can read it. The lab read the same "
            "certificate from its own end of the connection."
        )
    else:
        source = (
            f"Read from the client's end of the connection: in {tls_version(exchange)} the "
            "Certificate message travels inside encrypted records, so someone on the path "
            "cannot read it (they could fetch it themselves by connecting to the server)."
        )
    trust = (
        "The lab trusted only the certificate authority its own server made a moment ago."
        if embedded
        else (
            "The client checked it against the system's trusted authorities and the name."
            if exchange.verified
            else "--insecure: the client did not check it (anyone could have presented it)."
        )
    )
    rows = ["field\tvalue"] + [f"{k}\t{v}" for k, v in describe_cert(exchange.cert_der, now)]
    return (
        Section("The server's certificate", "\n".join(rows), "table"),
        Section("Where the certificate came from", f"{source} {trust}"),
    )
