"""Reading mail: POP3 (RFC 1939, port 110) and IMAP (RFC 9051, port 143),
text lines in clear unless TLS wraps them. POP3 downloads a mailbox: a
command ("RETR 1"), then "+OK" or "-ERR" and the data. IMAP keeps mail on
the server: each command carries a tag ("A003 LIST ...") that its final
answer repeats, with untagged "*" lines in between. Fields as Wireshark
names them (pop.*, imap.*, Wireshark 4.0); a line that carries a password
(PASS, AUTH PLAIN's answer, LOGIN) is marked secret.

Read line by line: scapy has neither protocol."""

from __future__ import annotations

from labs.dissect.proto.base import App, Stream, app, first_field
from labs.model.trace import Field, Layer

POP_COMMANDS = {"USER": "names the mailbox", "PASS": "sends the password", "STAT": "asks how many messages",
                "LIST": "asks for the list of messages", "RETR": "downloads a message", "DELE": "deletes a message",
                "QUIT": "ends the session", "CAPA": "asks what the server can do", "AUTH": "logs in",
                "TOP": "downloads the start of a message", "UIDL": "asks for message ids", "STLS": "asks for TLS"}  # fmt: skip


def _lines(payload: bytes) -> list[tuple[bytes, int]]:
    out, pos = [], 0
    for raw in payload.splitlines(keepends=True):
        out.append((raw, pos))
        pos += len(raw)
    return out


def _text(b: bytes) -> str:
    return b.decode("utf-8", "replace")


def _pop(payload: bytes, offset: int, stream: Stream) -> list[Layer]:
    lines = _lines(payload)
    if not lines:
        raise ValueError("no POP line")
    fields: list[Field] = []
    first, _ = lines[0]
    line = first.rstrip(b"\r\n")
    if line.startswith((b"+OK", b"-ERR", b"+ ", b"+\r")) or line == b"+":
        word, sep, rest = line.partition(b" ")
        if word in (b"+OK", b"-ERR"):
            fields.append(Field("Response indicator", "pop.response.indicator", _text(word), _text(word),
                                offset, len(word), "+OK: done; -ERR: refused or failed."))  # fmt: skip
        # A bare "+OK" has no description (Wireshark shows none).
        if word in (b"+OK", b"-ERR") and sep:
            fields.append(Field("Response description", "pop.response.description", _text(rest), _text(rest),
                                offset + len(word) + 1, len(rest)))  # fmt: skip
        stream.shared["pop-auth"] = stream.shared.get("pop-auth-asked", False) and word == b"+"
        for raw, at in lines[1:]:
            fields.append(Field("Response data", "pop.response.data", "", _text(raw.rstrip(b"\r\n")),
                                offset + at, len(raw)))  # fmt: skip
    else:
        word, sep, rest = line.partition(b" ")
        cmd = _text(word)
        secret = cmd.upper() == "PASS" or bool(stream.shared.get("pop-auth"))
        stream.shared["pop-auth-asked"] = cmd.upper() == "AUTH"
        stream.shared["pop-auth"] = False
        says = POP_COMMANDS.get(
            cmd.upper(), "answers the server's challenge" if secret else "sends a command"
        )
        fields.append(Field("Request command", "pop.request.command", cmd, cmd, offset, len(word),
                            f"The mail client {says}.", secret=secret and cmd.upper() != "PASS"))  # fmt: skip
        if sep:
            fields.append(Field("Request parameter", "pop.request.parameter", _text(rest), _text(rest),
                                offset + len(word) + 1, len(rest), secret=secret))  # fmt: skip
    return [Layer("POP", offset, len(payload), tuple(fields))]


def _imap_lines(payload: bytes) -> list[tuple[bytes, int]]:
    """Lines, skipping a literal: a line ending in {N} is followed by N bytes
    of data (a message), after which the line goes on."""
    out, pos = [], 0
    while pos < len(payload):
        end = payload.find(b"\n", pos)
        end = len(payload) if end < 0 else end + 1
        raw = payload[pos:end]
        out.append((raw, pos))
        pos = end
        line = raw.rstrip(b"\r\n")
        if line.endswith(b"}") and b"{" in line:
            size = line[line.rfind(b"{") + 1 : -1]
            pos += int(size) if size.isdigit() else 0
    return out


def _imap(payload: bytes, offset: int, stream: Stream) -> list[Layer]:
    lines = _lines(payload)
    if not lines:
        raise ValueError("no IMAP line")
    # The client speaks first after the greeting; a server line starts with "*", "+" or a tag and a status.
    server = stream.state.setdefault("server", lines[0][0].startswith((b"* ", b"+ ")))
    fields = [
        Field(
            "Request",
            "imap.isrequest",
            "0" if server else "1",
            "no" if server else "yes",
            offset,
            0,
        )
    ]
    for raw, at in _imap_lines(payload):
        line = raw.rstrip(b"\r\n")
        words = line.split(b" ", 2)
        tagged = bool(words) and words[0] not in (b"*", b"+")
        upper = line.upper()
        secret = not server and (b" LOGIN " in upper or b"AUTHENTICATE PLAIN " in upper)
        fields.append(
            Field(
                "Line", "imap.line", _text(raw), _text(line), offset + at, len(raw), secret=secret
            )
        )
        if not tagged or not words[0]:
            continue
        tag = _text(words[0])
        fields.append(Field("Tag", "imap.tag", tag, tag, offset + at, len(words[0]),
                            "The client's label for a command; the server's final answer repeats it."))  # fmt: skip
        kind = "imap.response_tag" if server else "imap.request_tag"
        fields.append(
            Field(
                "Response tag" if server else "Request tag",
                kind,
                tag,
                tag,
                offset + at,
                len(words[0]),
            )
        )
        if len(words) < 2:
            continue
        # "UID FETCH": the command is FETCH
        if not server and words[1].upper() == b"UID" and len(words) > 2:
            words = [words[0] + b" " + words[1], *words[2].split(b" ", 1)]
        word_at = offset + at + len(words[0]) + 1
        word = _text(words[1])
        if server:
            fields.append(Field("Response status", "imap.response.status", word, word, word_at, len(words[1]),
                                "OK: done; NO: refused; BAD: not understood."))  # fmt: skip
        else:
            fields.append(
                Field(
                    "Request command",
                    "imap.request.command",
                    word.upper(),
                    word,
                    word_at,
                    len(words[1]),
                )
            )
    return [Layer("IMAP", offset, len(payload), tuple(fields))]


def _first(layers: tuple[Layer, ...], name: str) -> Field | None:
    return first_field(layers, ("POP", "IMAP"), name)


def describe(layers: tuple[Layer, ...]) -> str:
    cmd = _first(layers, "pop.request.command")
    if cmd is not None:
        return (
            f"POP {cmd.show if not cmd.secret else '(login)'}: the mail client "
            + POP_COMMANDS.get(cmd.value.upper(), "answers the server")
        )
    ind = _first(layers, "pop.response.indicator")
    if ind is not None:
        return f"the mail server answers {ind.value}"
    imap_cmd = _first(layers, "imap.request.command")
    if imap_cmd is not None:
        return f"IMAP {imap_cmd.value}: the mail client sends a command"
    status = _first(layers, "imap.response.status")
    if status is not None:
        return f"the mail server finishes a command: {status.value}"
    return "the mail server sends lines" if _first(layers, "imap.line") else ""


def summarize(layers: tuple[Layer, ...]) -> str:
    for name, prefix in (("pop.request.command", "POP C: "), ("pop.response.indicator", "POP S: ")):
        f = _first(layers, name)
        if f is not None:
            return prefix + ("••••" if f.secret else f.value)
    line = _first(layers, "imap.line")
    if line is not None:
        req = _first(layers, "imap.isrequest")
        kind = "Request" if req is not None and req.value == "1" else "Response"
        return f"IMAP {kind}: " + ("••••" if line.secret else line.show[:60])
    return ""


app(App("pop", ("tcp",), (110,), _pop, describe, None, summarize))
app(App("imap", ("tcp",), (143,), _imap, describe, None, summarize))
