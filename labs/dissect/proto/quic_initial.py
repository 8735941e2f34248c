"""Reading a QUIC Initial packet as Wireshark does (RFC 9001 section 5):
its keys are derived from the Destination Connection ID the client chose,
which travels in clear, with a salt published in the RFC. So anyone on the
path can decrypt it: Initial encryption stops tampering by accident, not
reading. Inside are the TLS ClientHello and ServerHello, with the name of
the site (SNI) in clear, as in TLS over TCP.

Written by hand: the steps are short and fixed (HKDF-Expand-Label, AES-ECB
header protection, AES-GCM), and no maintained Python library exposes them
for a packet read from a file (aioquic does this inside its connection
object only); the primitives are the `cryptography` package's."""

from __future__ import annotations

from labs.dissect.proto.tls_hello import handshake_fields
from labs.model.trace import Field

#: RFC 9001 section 5.2, QUIC version 1.
SALT_V1 = bytes.fromhex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a")
FRAMES = {0: "PADDING", 1: "PING", 2: "ACK", 3: "ACK", 6: "CRYPTO", 0x1C: "CONNECTION_CLOSE"}


def _expand_label(secret: bytes, label: str, length: int) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

    full = b"tls13 " + label.encode()
    info = length.to_bytes(2, "big") + bytes([len(full)]) + full + b"\0"
    return HKDFExpand(hashes.SHA256(), length, info).derive(secret)


def keys(odcid: bytes, side: str) -> tuple[bytes, bytes, bytes]:
    """(key, iv, header protection key) of one side's Initial packets."""
    import hashlib
    import hmac

    initial = hmac.new(SALT_V1, odcid, hashlib.sha256).digest()  # HKDF-Extract
    secret = _expand_label(initial, f"{side} in", 32)
    return (
        _expand_label(secret, "quic key", 16),
        _expand_label(secret, "quic iv", 12),
        _expand_label(secret, "quic hp", 16),
    )


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    size = 1 << (data[pos] >> 6)
    value = data[pos] & 0x3F
    for b in data[pos + 1 : pos + size]:
        value = value << 8 | b
    return value, size


def _skip_ack(data: bytes, pos: int, ecn: bool) -> int:
    """Where an ACK frame's body (RFC 9000 section 19.3) that starts at `pos` ends."""
    values = []
    for _ in range(4):  # largest acknowledged, delay, range count, first range
        value, size = _varint(data, pos)
        values.append(value)
        pos += size
    for _ in range(2 * values[2] + (3 if ecn else 0)):  # gap and length per range; ECN counts
        pos += _varint(data, pos)[1]
    return pos


def decrypt(
    packet: bytes, start: int, pn_at: int, end: int, odcid: bytes, side: str
) -> tuple[bytes, int, int] | None:
    """The packet with its header protection removed and payload decrypted in
    place, the packet number's length, and the packet number; None if the
    keys do not fit (not an Initial of this connection, or damaged)."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    key, iv, hp = keys(odcid, side)
    sample = packet[pn_at + 4 : pn_at + 20]
    if len(sample) < 16:
        return None
    encryptor = Cipher(algorithms.AES(hp), modes.ECB()).encryptor()
    mask = encryptor.update(sample) + encryptor.finalize()
    first = packet[start] ^ (mask[0] & 0x0F)
    pn_len = (first & 3) + 1
    pn_bytes = bytes(
        b ^ m for b, m in zip(packet[pn_at : pn_at + pn_len], mask[1 : 1 + pn_len], strict=True)
    )
    pn = int.from_bytes(pn_bytes, "big")
    header = bytes([first]) + packet[start + 1 : pn_at] + pn_bytes
    nonce = (int.from_bytes(iv, "big") ^ pn).to_bytes(12, "big")
    try:
        plain = AESGCM(key).decrypt(nonce, packet[pn_at + pn_len : end], header)
    except Exception:
        return None
    body_at = pn_at + pn_len
    out = packet[:start] + header + plain + packet[body_at + len(plain) :]
    return out, pn_len, pn


def fields(packet: bytes, start: int, pn_at: int, end: int, odcid: bytes, side: str) -> list[Field]:
    """The fields Wireshark reads after decrypting an Initial: the packet
    number, the frames, and the TLS handshake in CRYPTO frames. Offsets are
    those of the (encrypted) bytes on the wire that hold each value."""
    found = decrypt(packet, start, pn_at, end, odcid, side)
    if found is None:
        return []
    plain, pn_len, pn = found
    note = "Decrypted with keys anyone can derive from the connection ID (RFC 9001): not secret."
    out = [
        Field(
            "Packet Number Length",
            "quic.packet_number_length",
            str(pn_len - 1),  # the two bits on the wire: length minus one
            f"{pn_len} bytes",
            start,
            1,
            note,
        ),
        Field("Packet Number", "quic.packet_number", str(pn), str(pn), pn_at, pn_len),
    ]
    pos = pn_at + pn_len
    stop = end - 16  # the AEAD tag
    while pos < stop:
        ftype = plain[pos]
        if ftype == 0:
            n = pos
            while n < stop and plain[n] == 0:
                n += 1
            out.append(Field("Frame Type", "quic.frame_type", "0", "PADDING", pos, n - pos))
            pos = n
            continue
        out.append(
            Field(
                "Frame Type", "quic.frame_type", str(ftype), FRAMES.get(ftype, str(ftype)), pos, 1
            )
        )
        if ftype == 6:
            off, s1 = _varint(plain, pos + 1)
            length, s2 = _varint(plain, pos + 1 + s1)
            data_at = pos + 1 + s1 + s2
            out += [
                Field("Offset", "quic.crypto.offset", str(off), str(off), pos + 1, s1),
                Field("Length", "quic.crypto.length", str(length), str(length), pos + 1 + s1, s2),
            ]
            if off == 0:
                out += handshake_fields(plain[data_at : data_at + length], data_at, 0, plain)
            pos = data_at + length
        elif ftype == 1:
            pos += 1
        elif ftype in (2, 3):  # ACK: skipped over, its contents left out
            pos = _skip_ack(plain, pos + 1, ftype == 3)
        else:
            break  # ACK and others: the frame types are named, their contents left out
    return out
