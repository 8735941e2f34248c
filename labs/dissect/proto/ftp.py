"""FTP: the control connection's text lines, and the data connections' bytes.

The control connection carries lines of text (RFC 959): the client sends
`COMMAND [argument]`, the server answers `CODE text`, a line `CODE-text`
opening a multi-line answer. The lines are declared as scapy packets
(`fields_desc`) so the shared walker finds each field's bytes. Like
Wireshark, only the first line of a segment yields `ftp.request.*` /
`ftp.response.*` fields; later lines in the same segment are shown without a
Wireshark name. The address arithmetic of PASV/EPSV/PORT/EPRT is decoded into
Wireshark's `ftp.passive.*`, `ftp.epsv.port`, `ftp.active.*` and `ftp.eprt.*`.
"""

from __future__ import annotations

import re
from typing import Any

from scapy.fields import StrField, StrFixedLenField
from scapy.packet import Packet

from labs.dissect.proto.base import App, Stream, app
from labs.dissect.proto.ftp_ports import (
    OFFERS,
    address_fields,
    eprt_fields,
    epsv_field,
    linked_ports,
    nat_field,
)
from labs.dissect.proto.ftp_words import CLASSES, COMMANDS, REPLIES, reply_meaning
from labs.model.trace import MASK, Field, Layer

CONTROL_PORT = 21
DATA_PORT = 20


class _UpTo(StrField):
    """The bytes up to (not including) the first of `stops`, or all that is left."""

    __slots__ = ["stops"]

    def __init__(self, name: str, default: bytes, stops: tuple[bytes, ...]) -> None:
        super().__init__(name, default)
        self.stops = stops

    def getfield(self, pkt: Any, s: bytes) -> tuple[bytes, bytes]:
        found = [i for i in (s.find(stop) for stop in self.stops) if i >= 0]
        end = min(found) if found else len(s)
        return s[end:], s[:end]


class _Token(StrField):
    """One of `tokens` when the bytes start with it, else nothing (empty)."""

    __slots__ = ["tokens"]

    def __init__(self, name: str, default: bytes, tokens: tuple[bytes, ...]) -> None:
        super().__init__(name, default)
        self.tokens = tokens

    def getfield(self, pkt: Any, s: bytes) -> tuple[bytes, bytes]:
        for token in self.tokens:
            if s.startswith(token):
                return s[len(token) :], token
        return s, b""


_EOL = (b"\r\n", b"\n")


def _next_line_class(rest: bytes, response: bool) -> type[Packet]:
    if response:
        return FTPResponse if _REPLY_LINE.match(rest) else FTPText
    return FTPRequest


class FTPRequest(Packet):
    """`COMMAND[ argument]CRLF` from the client."""

    name = "FTP request"
    fields_desc = [
        _UpTo("command", b"", (b" ", *_EOL)),
        _Token("sep", b" ", (b" ",)),
        _UpTo("arg", b"", _EOL),
        _Token("eol", b"\r\n", _EOL),
    ]

    def guess_payload_class(self, payload: bytes) -> type[Packet]:
        return _next_line_class(payload, response=False)


class FTPResponse(Packet):
    """`CODE text` (or `CODE-text`, opening a multi-line reply) from the server."""

    name = "FTP response"
    fields_desc = [
        StrFixedLenField("code", b"", 3),
        _Token("sep", b" ", (b" ", b"-")),
        _UpTo("arg", b"", _EOL),
        _Token("eol", b"\r\n", _EOL),
    ]

    def guess_payload_class(self, payload: bytes) -> type[Packet]:
        return _next_line_class(payload, response=True)


class FTPText(Packet):
    """A line inside a multi-line reply that does not start with a code."""

    name = "FTP text"
    fields_desc = [_UpTo("text", b"", _EOL), _Token("eol", b"\r\n", _EOL)]

    def guess_payload_class(self, payload: bytes) -> type[Packet]:
        return _next_line_class(payload, response=True)


_REPLY_LINE = re.compile(rb"\d{3}([ -]|\r?\n|$)")
_COMMAND_LINE = re.compile(rb"[A-Za-z]{3,4}( [^\r\n]*)?\r?\n")


def _text(b: bytes) -> str:
    return b.decode("utf-8", "replace")


def _spots(line: Packet, start: int) -> dict[str, tuple[int, int]]:
    """Field name -> (offset, length) in the packet. Every field of a line
    holds exactly the bytes it consumed, so the fields lie end to end. (The
    shared walker caches layouts by header length, which text lines of equal
    length but different split points would fool.)"""
    out: dict[str, tuple[int, int]] = {}
    for field in line.fields_desc:
        length = len(line.getfieldval(field.name))
        out[field.name] = (start, length)
        start += length
    return out


def _request_fields(line: Packet, start: int, first: bool, sender: str | None) -> list[Field]:
    found = _spots(line, start)
    command = _text(line.getfieldval("command")).upper()
    arg = bytes(line.getfieldval("arg"))
    off, ln = found["command"]
    meaning = COMMANDS.get(command, "an FTP command")
    out = [
        Field(
            "Request command",
            "ftp.request.command" if first else None,
            _text(line.getfieldval("command")),
            f"{command}: {meaning}",
            off,
            ln,
            f"The client's command {command}: {meaning}. Every command crosses the "
            "network as readable text.",
        )
    ]
    if not arg:
        return out
    arg_off, arg_len = found["arg"]
    secret = command == "PASS"
    explain = (
        "The password, in clear text: anyone who can see this packet can read it. "
        "That is why SFTP (over SSH) and FTPS (FTP over TLS) exist."
        if secret
        else f"The argument of {command}."
    )
    out.append(
        Field(
            "Request arg",
            "ftp.request.arg" if first else None,
            _text(arg),
            _text(arg),
            arg_off,
            arg_len,
            explain,
            secret=secret,
        )
    )
    if first and command == "PORT":
        named = address_fields(
            arg, arg_off, "ftp.active.cip", "ftp.active.port", "where the client listens"
        )
        out += named + nat_field(named[0], sender, "ftp.active.nat", start) if named else []
    elif first and command == "EPRT":
        out += eprt_fields(arg, arg_off)
    return out


def _response_fields(line: Packet, start: int, first: bool, sender: str | None) -> list[Field]:
    found = _spots(line, start)
    code = _text(line.getfieldval("code"))
    arg = bytes(line.getfieldval("arg"))
    off, ln = found["code"]
    more = " (the first line of a multi-line reply)" if line.getfieldval("sep") == b"-" else ""
    out = [
        Field(
            "Response code",
            "ftp.response.code" if first else None,
            code,
            f"{code}: {reply_meaning(code)}",
            off,
            ln,
            f"The server's reply code {code}{more}: {reply_meaning(code)}. The first "
            "digit says how it went: 1 wait, 2 done, 3 go on, 4 try later, 5 failed.",
        )
    ]
    if arg:
        arg_off, arg_len = found["arg"]
        out.append(
            Field(
                "Response arg",
                "ftp.response.arg" if first else None,
                _text(arg),
                _text(arg),
                arg_off,
                arg_len,
                "The reply's text, for people; programs read the code.",
            )
        )
        if first and code == "227":
            named = address_fields(
                arg, arg_off, "ftp.passive.ip", "ftp.passive.port", "the client must connect to"
            )
            out += named + nat_field(named[0], sender, "ftp.passive.nat", start) if named else []
        elif first and code == "229":
            out += epsv_field(arg, arg_off, sender)
    return out


def _text_fields(line: Packet, start: int) -> list[Field]:
    found = _spots(line, start)
    off, ln = found["text"]
    value = _text(line.getfieldval("text"))
    return [Field("Text", None, value, value, off, ln, "A line of a multi-line reply.")]


def parse_lines(payload: bytes) -> Packet:
    """The control payload as a chain of scapy line packets."""
    first = FTPResponse if _REPLY_LINE.match(payload) else FTPRequest
    return first(payload)


def dissect(payload: bytes, offset: int, stream: Stream) -> list[Layer]:
    fields: list[Field] = []
    position = offset
    layer: Any = parse_lines(payload)
    first = True
    addresses: tuple[str, str] | None = stream.state.get("addresses")
    sender = addresses[0] if addresses else None
    while isinstance(layer, FTPRequest | FTPResponse | FTPText):
        if isinstance(layer, FTPRequest):
            fields += _request_fields(layer, position, first, sender)
        elif isinstance(layer, FTPResponse):
            fields += _response_fields(layer, position, first, sender)
        else:
            fields += _text_fields(layer, position)
        position += len(layer.raw_packet_cache or b"")
        first = False
        layer = layer.payload
    for port in linked_ports(fields, addresses):
        # The data connection to come, as Wireshark learns it from this conversation.
        stream.expect[port] = "ftp-data"
    if any(f.filter in OFFERS for f in fields):
        # The narration calls the bytes on an offered port FTP data, linked or not
        # (labs.dissect.narrate): a second process must not read them apart from this one.
        from labs.dissect.session import LINKED

        LINKED[0] = True
    return [Layer("FTP", offset, len(payload), tuple(fields))]


def describe(layers: tuple[Layer, ...]) -> str:
    """'sends USER demo' / 'sends PASS and the password in clear text' / 'answers 230 ...'."""
    for layer in layers:
        if layer.name != "FTP":
            continue
        named = {f.filter: f for f in layer.fields if f.filter}
        if "ftp.request.command" in named:
            command = named["ftp.request.command"].value.upper()
            arg = named.get("ftp.request.arg")
            if arg is not None and arg.secret:
                return f"sends {command} and the password, readable as plain text"
            if arg is not None:
                return f"sends the FTP command {command} {arg.value}"
            return f"sends the FTP command {command}"
        if "ftp.response.code" in named:
            codes = [f.value for f in layer.fields if f.name == "Response code"]
            replies = [f"{c} ({REPLIES.get(c, CLASSES.get(c[:1], 'reply'))})" for c in codes]
            phrase = "answers " + ", then ".join(dict.fromkeys(replies))
            port = named.get("ftp.passive.port") or named.get("ftp.epsv.port")
            if port is not None:
                phrase += f": connect to port {port.value} for the data"
            return phrase
    return ""


def summarize(layers: tuple[Layer, ...]) -> str:
    """The packet-list line: "FTP USER demo", "FTP PASS ••••" (always masked: a summary
    is shown everywhere), "FTP 230 ..."."""
    for layer in layers:
        if layer.name != "FTP":
            continue
        lines: list[str] = []
        for f in layer.fields:
            if f.name in ("Request command", "Response code", "Text"):
                lines.append(f.value)
            elif f.name in ("Request arg", "Response arg") and lines:
                lines[-1] += " " + (MASK if f.secret else f.value)
        return "FTP " + " | ".join(lines) if lines else ""
    return ""


def detect(payload: bytes) -> bool:
    """A known FTP command line, or a 220 greeting that names FTP."""
    if _COMMAND_LINE.match(payload):
        return payload.split(b" ", 1)[0].strip().upper().decode("ascii", "replace") in COMMANDS
    return payload.startswith(b"220") and b"ftp" in payload.split(b"\n", 1)[0].lower()


def dissect_data(payload: bytes, offset: int, stream: Stream) -> list[Layer]:
    """A data connection's bytes: a directory listing or a file's content."""
    fields: list[Field] = []
    if _looks_like_text(payload):
        position = offset
        for line in payload.splitlines(keepends=True)[:_MAX_LINES]:
            shown = _text(line.rstrip(b"\r\n"))
            fields.append(Field("Line", None, shown, shown, position, len(line)))
            position += len(line)
    else:
        fields.append(
            Field(
                "Data", None, payload[:32].hex(":"), f"{len(payload)} bytes", offset, len(payload)
            )
        )
    return [Layer("FTP-DATA", offset, len(payload), tuple(fields))]


def describe_data(layers: tuple[Layer, ...]) -> str:
    for layer in layers:
        if layer.name == "FTP-DATA":
            return f"carries {layer.length} bytes of data (a listing or a file), not commands"
    return ""


def summarize_data(layers: tuple[Layer, ...]) -> str:
    for layer in layers:
        if layer.name == "FTP-DATA":
            return f"FTP-DATA {layer.length} bytes"
    return ""


_MAX_LINES = 200


def _looks_like_text(payload: bytes) -> bool:
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(c.isprintable() or c in "\r\n\t" for c in text)


app(App("ftp", ("tcp",), (CONTROL_PORT,), dissect, describe, detect, summarize))
app(App("ftp-data", ("tcp",), (DATA_PORT,), dissect_data, describe_data, None, summarize_data))
