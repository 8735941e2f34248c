"""What the dissected packets of an FTP exchange say: the control dialogue
as lines (passwords marked secret), the connections, and each data port a
command or reply named with the connection that then used it.

Everything is read from the packets' fields and the conversation each belongs
to, so the lab's words always match the bytes shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from labs.kit import Field, Packet
from labs.model.numbers import number

MASK = "•" * 8

#: The fields that name a data port, and what carries each.
ANNOUNCED_BY = {
    "ftp.passive.port": "the server's 227 reply to PASV",
    "ftp.epsv.port": "the server's 229 reply to EPSV",
    "ftp.active.port": "the client's PORT command",
    "ftp.eprt.port": "the client's EPRT command",
}
#: ... those that split it into two numbers (p1*256+p2) ...
TWO_NUMBERS = ("ftp.passive.port", "ftp.active.port")
#: ... and those where the server calls back (active mode).
CALL_BACK = ("ftp.active.port", "ftp.eprt.port")


@dataclass(frozen=True)
class Line:
    """One FTP line of a control packet, as its fields read."""

    index: int
    request: bool
    word: str  # the command (request) or the code (reply)
    arg: str
    secret: bool


def control_lines(packets: Iterable[Packet]) -> list[Line]:
    """Every FTP command and reply line on the wire, in order."""
    out: list[Line] = []
    for p in packets:
        for layer in p.layers if p.origin == "wire" else ():
            fields = layer.fields if layer.name == "FTP" else ()
            # Each field with the one after it (None after the last).
            for f, nxt in zip(fields, (*fields[1:], None), strict=False):
                if f.name not in ("Request command", "Response code"):
                    continue
                arg = nxt if nxt and nxt.name in ("Request arg", "Response arg") else None
                request = f.name == "Request command"
                word = f.value.upper()
                out.append(
                    Line(p.index, request, word, arg.value if arg else "", bool(arg and arg.secret))
                )
    return out


def shown_line(line: Line) -> str:
    """A line as the transcript prints it (passwords masked)."""
    arg = f"{MASK} ({len(line.arg)} characters)" if line.secret else line.arg
    who = "client" if line.request else "server"
    return f"{who}: {line.word} {arg}".rstrip()


def request(lines: Iterable[Line], command: str) -> Line | None:
    return next((x for x in lines if x.request and x.word == command), None)


def field_map(p: Packet) -> dict[str, Field]:
    """Wireshark name -> the packet's first field of that name (so read backwards)."""
    return {f.filter: f for layer in p.layers[::-1] for f in layer.fields[::-1] if f.filter}


def flags(p: Packet) -> int:
    f = field_map(p).get("tcp.flags")
    return int(f.value, 16) if f else 0


def is_syn(p: Packet) -> bool:
    """The SYN that opens a connection (not the SYN-ACK)."""
    return flags(p) & 0x12 == 0x02


def payload_len(p: Packet) -> int:
    f = field_map(p).get("tcp.len")
    return int(f.value) if f else 0


def conversations(packets: Iterable[Packet]) -> dict[str, list[Packet]]:
    out: dict[str, list[Packet]] = {}
    for p in packets:
        if p.origin == "wire":
            out.setdefault(p.conversation or "other", []).append(p)
    return out


def first_use(wire: Sequence[Packet], port: int, after: int) -> Packet | None:
    """The first SYN (or SYN-ACK) after packet `after` that goes to `port`."""
    return next(
        (p for p in wire if p.index > after and flags(p) & 0x02 and p.dst.endswith(f":{port}")),
        None,
    )


def announcements(wire: Sequence[Packet]) -> Iterator[tuple[Packet, str, Field, Packet | None]]:
    """Each data port named in `wire`: the packet, the field's Wireshark
    name and the field, and the connection that then went to that port."""
    for p in wire:
        fields = field_map(p)
        for name in ANNOUNCED_BY:
            port = fields.get(name)
            if port is not None:
                yield p, name, port, first_use(wire, int(port.value), after=p.index)


def port_sentences(wire: Sequence[Packet]) -> list[str]:
    """How each PASV/EPSV reply or PORT/EPRT command names a data port, and
    which data connection then used it."""
    out: list[str] = []
    for p, name, port, used in announcements(wire):
        conn = (
            f" The next data connection ({used.conversation}, packet {number(used.index)})"
            " goes to that port."
            if used
            else ""
        )
        if name in TWO_NUMBERS:
            how = "the last two numbers are p1 and p2, port = p1*256+p2 = " + port.show
        else:
            how = "the port is written out, " + port.value
        out.append(f"Packet {number(p.index)}, {ANNOUNCED_BY[name]}: {how}.{conn}")
    return out
