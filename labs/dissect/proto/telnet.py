"""Telnet (RFC 854, options RFC 855): a remote terminal in clear text, on
TCP port 23. Besides the typed text, both sides negotiate options with
three-byte commands starting with byte 255 (IAC, "interpret as command"):
DO/DON'T ask the other side to use an option, WILL/WON'T offer one. Fields
as Wireshark names them (telnet.*, Wireshark 4.0).

Read by hand: scapy has no Telnet layer."""

from __future__ import annotations

from labs.dissect.proto.base import App, Stream, app
from labs.model.trace import Field, Layer

IAC = 255
COMMANDS = {240: "Suboption End", 241: "No Operation", 244: "Interrupt Process", 246: "Are You There",
            249: "Go Ahead", 250: "Suboption", 251: "Will", 252: "Won't", 253: "Do", 254: "Don't"}  # fmt: skip
#: Option numbers (IANA "Telnet Options" registry).
OPTIONS = {0: "Binary Transmission", 1: "Echo", 3: "Suppress Go Ahead", 5: "Status", 24: "Terminal Type",
           31: "Negotiate About Window Size", 32: "Terminal Speed", 33: "Remote Flow Control",
           34: "Linemode", 35: "X Display Location", 36: "Environment Option", 39: "New Environment Option"}  # fmt: skip
_MEANS = {251: "offers to use", 252: "refuses to use", 253: "asks the other side to use",
          254: "asks the other side not to use"}  # fmt: skip


def _command(payload: bytes, pos: int, at: int) -> tuple[list[Field], int]:
    cmd = payload[pos + 1] if pos + 1 < len(payload) else 0
    name = COMMANDS.get(cmd, str(cmd))
    if cmd in _MEANS and pos + 2 < len(payload):
        opt = payload[pos + 2]
        what = OPTIONS.get(opt, f"option {opt}")
        return [
            Field(
                "Command",
                "telnet.cmd",
                str(cmd),
                name,
                at + pos + 1,
                1,
                f"{name}: {_MEANS[cmd]} {what}.",
            ),
            Field("Subcommand", "telnet.subcmd", str(opt), what, at + pos + 2, 1),
        ], pos + 3
    if cmd == 250:  # a suboption runs to IAC SE
        end = payload.find(bytes((IAC, 240)), pos + 2)
        end = len(payload) if end < 0 else end + 2
        opt = payload[pos + 2] if pos + 2 < len(payload) else 0
        return [
            Field("Command", "telnet.cmd", str(cmd), name, at + pos + 1, 1),
            Field(
                "Subcommand", "telnet.subcmd", str(opt), OPTIONS.get(opt, str(opt)), at + pos + 2, 1
            ),
        ], end
    return [Field("Command", "telnet.cmd", str(cmd), name, at + pos + 1, 1)], pos + 2


def _data(text: bytes, at: int) -> list[Field]:
    """Lines of typed or printed text, split as Wireshark splits them (a CR
    is followed by LF or by a NUL that is not shown)."""
    out = []
    pos = 0
    while pos < len(text):
        end = len(text)
        for i in range(pos, len(text)):
            if text[i] == 0x0A or (
                text[i] == 0x0D and i + 1 < len(text) and text[i + 1] in (0x0A, 0)
            ):
                end = i + 1 + (text[i] == 0x0D and text[i + 1] == 0x0A)
                break
        chunk = text[pos:end]
        size = len(chunk) + (end < len(text) and text[end - 1] == 0x0D and text[end] == 0)
        shown = chunk.decode("latin-1")
        out.append(
            Field("Data", "telnet.data", shown, shown.strip() or repr(shown), at + pos, len(chunk))
        )
        pos += size
    return out


def dissect(payload: bytes, offset: int, stream: Stream) -> list[Layer]:
    fields: list[Field] = []
    pos = 0
    start = 0
    while pos < len(payload):
        if payload[pos] == IAC and pos + 1 < len(payload) and payload[pos + 1] != IAC:
            fields += _data(payload[start:pos], offset + start)
            made, pos = _command(payload, pos, offset)
            fields += made
            start = pos
        else:
            pos += 2 if payload[pos] == IAC else 1
    fields += _data(payload[start:], offset + start)
    return [Layer("Telnet", offset, len(payload), tuple(fields))]


def describe(layers: tuple[Layer, ...]) -> str:
    for layer in layers:
        if layer.name == "Telnet":
            cmds = [f for f in layer.fields if f.filter == "telnet.cmd"]
            text = "".join(f.value for f in layer.fields if f.filter == "telnet.data").strip()
            if cmds:
                return f"Telnet: {len(cmds)} option negotiation command(s)" + (
                    f' and the text "{text}"' if text else ""
                )
            return (
                f'Telnet text, readable by anyone on the path: "{text}"' if text else "Telnet data"
            )
    return ""


app(App("telnet", ("tcp",), (23,), dissect, describe, None, lambda layers: "Telnet Data ..."))
