"""SMTP, the protocol that carries mail between servers: text lines, a
command from the client ("MAIL FROM:<a@example.org>") or a reply from the
server with a three-digit code ("250 OK"), as Wireshark names them
(smtp.req.command, smtp.req.parameter, smtp.response.code,
smtp.rsp.parameter). Read line by line: scapy has no SMTP layer."""

from __future__ import annotations

from labs.dissect.proto.base import App, Stream, app
from labs.model.trace import Field, Layer

#: What the common commands ask, for the narration.
COMMANDS = {
    "HELO": "introduces itself",
    "EHLO": "introduces itself and asks which extensions the server has",
    "MAIL": "names the sender of a message",
    "RCPT": "names a recipient",
    "DATA": "is about to send the message itself",
    "RSET": "starts over",
    "NOOP": "checks the server is still there",
    "QUIT": "ends the session",
    "STARTTLS": "asks to switch to encryption (TLS)",
    "AUTH": "logs in",
    "VRFY": "asks whether a mailbox exists",
}

#: What the first digit of a reply code says.
_REPLY = {"2": "success", "3": "go on", "4": "failed for now, try later", "5": "failed"}


def _text(b: bytes) -> str:
    return b.decode("utf-8", "replace")


def _reply_line(line: bytes, at: int, first: bool) -> list[Field]:
    code, rest = line[:3], line[4:]
    out = []
    if first:
        meaning = _REPLY.get(chr(code[0]), "")
        out.append(
            Field("Response code", "smtp.response.code", _text(code), _text(code), at, 3,
                  f"Reply code {_text(code)}: {meaning}." if meaning else "")
        )  # fmt: skip
    if rest:
        text = _text(rest)
        out.append(Field("Response parameter", "smtp.rsp.parameter", text, text, at + 4, len(rest)))
    return out


def _command_line(line: bytes, at: int) -> list[Field]:
    word, sep, rest = line.partition(b" ")
    cmd = _text(word).upper()
    out = [
        Field("Command", "smtp.req.command", _text(word), cmd, at, len(word),
              f"The client {COMMANDS[cmd]}." if cmd in COMMANDS else "")
    ]  # fmt: skip
    if sep and rest:
        text = _text(rest)
        out.append(
            Field(
                "Request parameter", "smtp.req.parameter", text, text, at + len(word) + 1, len(rest)
            )
        )
    return out


def _is_reply(line: bytes) -> bool:
    return len(line) >= 3 and line[:3].isdigit() and (len(line) == 3 or line[3:4] in b" -")


def dissect(payload: bytes, offset: int, stream: Stream) -> list[Layer]:
    fields: list[Field] = []
    pos = offset
    in_reply = False
    for raw in payload.splitlines(keepends=True):
        line = raw.rstrip(b"\r\n")
        if _is_reply(line):
            fields += _reply_line(line, pos, not in_reply)
            in_reply = line[3:4] == b"-"  # a multi-line reply goes on
        elif stream.state.get("data"):
            if line == b".":  # the message ends
                stream.state["data"] = False
            fields.append(Field("Message line", None, _text(line), _text(line), pos, len(line)))
        elif line:
            fields += _command_line(line, pos)
            if line.upper() == b"DATA":
                stream.state["data"] = True
        pos += len(raw)
    if not fields:
        raise ValueError("no SMTP line")
    return [Layer("SMTP", offset, len(payload), tuple(fields))]


def _first(layers: tuple[Layer, ...], name: str) -> Field | None:
    for layer in layers:
        if layer.name == "SMTP":
            f = layer.field(name)
            if f is not None:
                return f
    return None


def describe(layers: tuple[Layer, ...]) -> str:
    cmd = _first(layers, "smtp.req.command")
    if cmd is not None:
        what = COMMANDS.get(cmd.show, "sends a command")
        return f"SMTP {cmd.show}: the mail client {what}"
    code = _first(layers, "smtp.response.code")
    if code is not None:
        meaning = _REPLY.get(code.value[:1], "")
        return f"the mail server replies {code.value}" + (f" ({meaning})" if meaning else "")
    return ""


def summarize(layers: tuple[Layer, ...]) -> str:
    cmd = _first(layers, "smtp.req.command")
    if cmd is not None:
        param = _first(layers, "smtp.req.parameter")
        return f"SMTP {cmd.value}" + (f" {param.value}" if param else "")
    code = _first(layers, "smtp.response.code")
    if code is not None:
        param = _first(layers, "smtp.rsp.parameter")
        return f"SMTP {code.value}" + (f" {param.value}" if param else "")
    return ""


app(App("smtp", ("tcp",), (25, 587), dissect, describe, None, summarize))
