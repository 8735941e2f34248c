"""PPP's two ways to log in (RFC 1334, RFC 1994), right after LCP opens
the link: PAP (protocol 0xc023) sends the user name and the password in
clear text; CHAP (0xc223) sends a random challenge the other end answers
with a hash of it and the shared password, so the password itself never
crosses the line. Fields as Wireshark names them (pap.*, chap.*, Wireshark
4.0). PAP's password is a secret field: renderers mask it.

Read by hand, as `labs.dissect.proto.ppp` reads LCP; kept apart so that
module stays one job (framing and link control)."""

from __future__ import annotations

from labs.model.trace import Field, Layer

PAP, CHAP = 0xC023, 0xC223

PAP_CODES = {1: "Authenticate-Request", 2: "Authenticate-Ack", 3: "Authenticate-Nak"}
CHAP_CODES = {1: "Challenge", 2: "Response", 3: "Success", 4: "Failure"}
MEANS = {
    (PAP, 1): "it sends the user name and the password in clear text: anyone who sees this "
    "frame can read the password",
    (PAP, 2): "the login is accepted",
    (PAP, 3): "the login is refused",
    (CHAP, 1): "a random value the other end must hash together with the shared password",
    (CHAP, 2): "the hash of the challenge and the password (the password itself never crosses "
    "the line)",
    (CHAP, 3): "the answer was right, so the login is accepted",
    (CHAP, 4): "the answer was wrong, so the login is refused",
}
LAYERS = {
    PAP: "PPP Password Authentication Protocol",
    CHAP: "PPP Challenge Handshake Authentication Protocol",
}


def _field(
    label: str, name: str, value: str, at: int, n: int, explain: str = "", secret: bool = False
) -> Field:
    return Field(label, name, value, value, at, n, explain, secret=secret)


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def read(data: bytes, start: int, end: int, proto: int) -> Layer:
    """A PAP or CHAP message in data[start:end]: code, identifier, length,
    then what that code carries."""
    prefix, codes = ("pap", PAP_CODES) if proto == PAP else ("chap", CHAP_CODES)
    code, ident = data[start], data[start + 1]
    size = int.from_bytes(data[start + 2 : start + 4], "big")
    stop = min(end, start + max(size, 4))
    what = prefix.upper()
    name = codes.get(code, str(code))
    means = MEANS.get((proto, code), "")
    fields = [
        Field(
            "Code",
            f"{prefix}.code",
            str(code),
            name,
            start,
            1,
            f"{what} {name}: {means}." if means else f"{what} code {code}.",
        ),
        _field(
            "Identifier",
            f"{prefix}.identifier",
            str(ident),
            start + 1,
            1,
            "Matches an answer to its request.",
        ),
        Field(
            "Length",
            f"{prefix}.length",
            str(size),
            f"{size} bytes",
            start + 2,
            2,
            f"This {what} message is {size} bytes.",
        ),
    ]
    at = start + 4
    if proto == PAP and code == 1:
        fields += _counted(
            data, at, stop, "pap.peer_id", "Peer-ID", "The user name, in clear text."
        )
        at += 1 + data[at] if at < stop else 0
        fields += _counted(
            data,
            at,
            stop,
            "pap.password",
            "Password",
            "The password, in clear text: anyone who can see this frame can read it. "
            "That is why CHAP exists.",
            secret=True,
        )
    elif proto == PAP and code in (2, 3):
        fields += _counted(data, at, stop, "pap.message", "Message", "A note for the user.")
    elif proto == CHAP and code in (1, 2) and at < stop:
        n = data[at]
        value = data[at + 1 : min(stop, at + 1 + n)]
        fields += [
            _field("Value Size", "chap.value_size", str(n), at, 1),
            _field(
                "Value",
                "chap.value",
                value.hex(":"),
                at + 1,
                len(value),
                "The random challenge: a new one each time, so an old answer is worth nothing."
                if code == 1
                else "The hash (MD5) of the identifier, the password and the challenge.",
            ),
        ]
        at += 1 + len(value)
        if at < stop:
            fields.append(
                _field(
                    "Name",
                    "chap.name",
                    _text(data[at:stop]),
                    at,
                    stop - at,
                    "Who sends this: the name the other end looks the password up by.",
                )
            )
    elif proto == CHAP and code in (3, 4) and at < stop:
        fields.append(
            _field(
                "Message",
                "chap.message",
                _text(data[at:stop]),
                at,
                stop - at,
                "A note for the user.",
            )
        )
    return Layer(LAYERS[proto], start, stop - start, tuple(fields))


def _counted(
    data: bytes, at: int, stop: int, name: str, label: str, explain: str, secret: bool = False
) -> list[Field]:
    """A length byte then that many bytes of text (PAP's fields)."""
    if at >= stop:
        return []
    n = data[at]
    value = data[at + 1 : min(stop, at + 1 + n)]
    return [
        _field(f"{label}-Length", f"{name}.length", str(n), at, 1),
        _field(label, name, _text(value), at + 1, len(value), explain, secret=secret),
    ]
