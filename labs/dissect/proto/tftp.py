"""TFTP (RFC 1350; options RFC 2347-2349): the simplest file transfer, over
UDP. The client asks for a file on port 69; the server answers from a new
port with 512-byte blocks, each acknowledged before the next is sent; a
block shorter than 512 bytes is the last. Fields as Wireshark names them
(tftp.*, Wireshark 4.0), including the file name Wireshark repeats on every
packet of the transfer.

Read by hand: scapy's TFTP layers bind only to port 69, while the transfer
itself runs between two other ports (`App.follows_client` follows it)."""

from __future__ import annotations

from labs.dissect.proto.base import App, Stream, app, first_field
from labs.model.trace import Field, Layer

OPCODES = {
    1: "Read Request",
    2: "Write Request",
    3: "Data Packet",
    4: "Acknowledgement",
    5: "Error Code",
    6: "Option Acknowledgement",
}
ERRORS = {
    0: "Not defined",
    1: "File not found",
    2: "Access violation",
    3: "Disk full or allocation exceeded",
    4: "Illegal TFTP Operation",
    5: "Unknown transfer ID",
    6: "File already exists",
    7: "No such user",
    8: "Option negotiation failed",
}


def _f(
    label: str, name: str | None, value: str, at: int, n: int, explain: str = "", show: str = ""
) -> Field:
    return Field(label, name, value, show or value, at, n, explain)


def _strings(data: bytes, at: int) -> list[tuple[str, int, int]]:
    """NUL-terminated strings: (text, offset, length without the NUL)."""
    out = []
    pos = 0
    while pos < len(data):
        end = data.find(b"\0", pos)
        if end < 0:
            end = len(data)
        out.append((data[pos:end].decode("latin-1"), at + pos, end - pos))
        pos = end + 1
    return out


def _options(items: list[tuple[str, int, int]]) -> list[Field]:
    out = []
    for i in range(0, len(items) - 1, 2):
        (name, n_at, n_len), (value, v_at, v_len) = items[i], items[i + 1]
        out.append(_f("Option name", "tftp.option.name", name, n_at, n_len))
        out.append(_f("Option value", "tftp.option.value", value, v_at, v_len))
    return out


def dissect(payload: bytes, offset: int, stream: Stream) -> list[Layer]:
    if len(payload) < 4 or payload[0] != 0 or payload[1] not in OPCODES:
        raise ValueError("not TFTP")
    op = payload[1]
    state = stream.state
    fields = [_f("Opcode", "tftp.opcode", str(op), offset, 2, "", OPCODES[op])]
    at = offset + 2
    body = payload[2:]
    if op in (1, 2):
        state.clear()
        items = _strings(body, at)
        (name, n_at, n_len), (mode, m_at, m_len) = (
            items[0],
            items[1] if len(items) > 1 else ("", at, 0),
        )
        state["file"] = name
        which = "tftp.source_file" if op == 1 else "tftp.destination_file"
        fields += [
            _f("Source File" if op == 1 else "Destination File", which, name, n_at, n_len,
               f"The file the client wants to {'read' if op == 1 else 'write'}."),
            _f("Type", "tftp.type", mode, m_at, m_len,
               "octet: the bytes as they are; netascii: text with line ends converted."),
            *_options(items[2:]),
        ]  # fmt: skip
    else:
        if "file" in state:
            fields.append(_f("Destination File", "tftp.destination_file", state["file"], offset, 0,
                             "The transfer's file, as the request named it (not in this packet)."))  # fmt: skip
        if op in (3, 4):
            block = int.from_bytes(body[:2], "big")
            size = int(state.get("blksize", 512))
            fields.append(_f("Block", "tftp.block", str(block), at, 2,
                             f"Which {size}-byte block; an ACK names the block it confirms."))  # fmt: skip
            data = body[2:]
            if op == 3:
                fields.append(
                    _f(
                        "Data",
                        "data.data",
                        data.hex(":"),
                        at + 2,
                        len(data),
                        "",
                        f"{len(data)} bytes",
                    )
                )
                fields.append(_f("Length", "data.len", str(len(data)), at + 2, len(data),
                                 f"Shorter than {size} bytes: the last block." if len(data) < size else ""))  # fmt: skip
        elif op == 5:
            code = int.from_bytes(body[:2], "big")
            message = _strings(body[2:], at + 2)
            fields.append(
                _f(
                    "Error code",
                    "tftp.error.code",
                    str(code),
                    at,
                    2,
                    "",
                    ERRORS.get(code, str(code)),
                )
            )
            if message:
                text, m_at, m_len = message[0]
                fields.append(_f("Error message", "tftp.error.message", text, m_at, m_len))
        elif op == 6:
            options = _options(_strings(body, at))
            fields += options
            # The block size the server accepts (RFC 2348): its data blocks come in this size.
            for key, value in zip(options[::2], options[1::2], strict=True):
                if key.value.lower() == "blksize" and value.value.isdigit():
                    state["blksize"] = int(value.value)
    return [Layer("TFTP", offset, len(payload), tuple(fields))]


def _value(layers: tuple[Layer, ...], name: str) -> str | None:
    found = first_field(layers, ("TFTP",), name)
    return found.value if found is not None else None


def describe(layers: tuple[Layer, ...]) -> str:
    op = int(_value(layers, "tftp.opcode") or 0)
    if op == 1:
        return f"TFTP: asks to read the file {_value(layers, 'tftp.source_file')}"
    if op == 2:
        return f"TFTP: asks to write the file {_value(layers, 'tftp.destination_file')}"
    if op == 3:
        return f"TFTP: block {_value(layers, 'tftp.block')} of the file ({_value(layers, 'data.len')} bytes)"
    if op == 4:
        return f"TFTP: block {_value(layers, 'tftp.block')} received (acknowledged)"
    if op == 5:
        return f"TFTP: error, {_value(layers, 'tftp.error.message') or 'no message'}"
    if op == 6:
        return "TFTP: the server accepts the options the client proposed"
    return ""


def summarize(layers: tuple[Layer, ...]) -> str:
    op = int(_value(layers, "tftp.opcode") or 0)
    line = f"TFTP {OPCODES.get(op, op)}"
    if op in (1, 2):
        file = _value(layers, "tftp.source_file" if op == 1 else "tftp.destination_file")
        line += f", File: {file}"
    elif op in (3, 4):
        line += f", Block: {_value(layers, 'tftp.block')}"
    return line


app(App("tftp", ("udp",), (69,), dissect, describe, None, summarize, follows_client=True))
