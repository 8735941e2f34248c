"""Reading an FTP trace for a learner: steps (connect, login, each transfer,
quit), sections (the control dialogue, the connections, where each data
port came from, the password on the wire) and the facts of labs/FACTS.md.

Everything is read from the dissected packets (their FTP and TCP fields and
the conversation each belongs to), so the words always match the bytes shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from labs.dissect.narrate import field_map
from labs.trace import Fact, Field, Packet, Section, Step, Trace

LOGIN = ("USER", "PASS", "ACCT")
NAVIGATE = ("PWD", "CWD", "CDUP")
TRANSFER = ("LIST", "NLST", "MLSD", "RETR", "STOR")
SETUP = ("TYPE", "PASV", "EPSV", "PORT", "EPRT", "REST", "SIZE", "MODE", "STRU")
MASK = "•" * 8

TITLES = {
    "connect": "Open the control connection",
    "login": "Log in (user name and password, in clear text)",
    "navigate": "Ask where we are (PWD)",
    "list": "List the directory over a data connection",
    "retr": "Fetch a file over a data connection",
    "quit": "Say goodbye and close",
}


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
        if p.origin != "wire":
            continue
        for layer in p.layers:
            if layer.name != "FTP":
                continue
            fields = list(layer.fields)
            for i, f in enumerate(fields):
                if f.name not in ("Request command", "Response code"):
                    continue
                nxt = fields[i + 1] if i + 1 < len(fields) else None
                has_arg = nxt is not None and nxt.name in ("Request arg", "Response arg")
                out.append(
                    Line(
                        p.index,
                        f.name == "Request command",
                        f.value.upper(),
                        nxt.value if has_arg and nxt else "",
                        bool(has_arg and nxt and nxt.secret),
                    )
                )
    return out


def shown_line(line: Line) -> str:
    """A line as the transcript prints it (passwords masked)."""
    arg = f"{MASK} ({len(line.arg)} characters)" if line.secret else line.arg
    who = "client" if line.request else "server"
    return f"{who}: {line.word} {arg}".rstrip()


def _flags(p: Packet) -> int:
    f = field_map(p.layers).get("tcp.flags")
    return int(f.value, 16) if f else 0


def _payload_len(p: Packet) -> int:
    f = field_map(p.layers).get("tcp.len")
    return int(f.value) if f else 0


def _span(indexes: list[int]) -> str:
    return f"packet {indexes[0]}" if len(indexes) == 1 else f"packets {indexes[0]}-{indexes[-1]}"


# -- steps ---------------------------------------------------------------------


def _step_kind(command: str, current: str, transfer_sent: bool) -> str:
    if command in LOGIN:
        return "login"
    if command in NAVIGATE:
        return "navigate"
    if command == "QUIT":
        return "quit"
    if command in SETUP or command in TRANSFER:
        # TYPE/PASV/... open a new transfer unless the current one has not
        # sent its LIST/RETR yet.
        if current.startswith("transfer") and not transfer_sent:
            return current
        return "transfer"
    return current


def ftp_steps(packets: tuple[Packet, ...]) -> tuple[Step, ...]:
    """Group the packets: connect, login, PWD, one step per transfer (with its
    data connection), quit."""
    keys: list[str] = []
    current = "connect"
    transfers = 0
    transfer_sent = False
    data_owner: dict[str, str] = {}
    names: dict[str, str] = {}
    for p in packets:
        conv = p.conversation
        if conv.startswith("data"):
            keys.append(data_owner.setdefault(conv, current))
            continue
        for line in control_lines([p]):
            if not line.request:
                continue
            kind = _step_kind(line.word, current, transfer_sent)
            if kind == "transfer" and kind != current:
                transfers += 1
                kind, transfer_sent = f"transfer {transfers}", False
            if line.word in TRANSFER and kind.startswith("transfer"):
                transfer_sent = True
                names[kind] = "retr" if line.word in ("RETR", "STOR") else "list"
            current = kind
        keys.append(current)
    return _group(packets, keys, names)


def _group(packets: tuple[Packet, ...], keys: list[str], names: dict[str, str]) -> tuple[Step, ...]:
    members: dict[str, list[Packet]] = {}
    for p, key in zip(packets, keys, strict=True):
        members.setdefault(key, []).append(p)
    t0 = packets[0].time if packets else 0.0
    steps = []
    for key, group in members.items():
        name = names.get(key, key)
        steps.append(
            Step(
                name=name,
                packets=tuple(p.index for p in group),
                explain=_step_explain(group),
                title=TITLES.get(name, name),
                start=round(group[0].time - t0, 6),
                duration=round(group[-1].time - group[0].time, 6),
            )
        )
    return tuple(steps)


def _step_explain(group: list[Packet]) -> str:
    parts: list[str] = []
    control = [p for p in group if not p.conversation.startswith("data")]
    syns = [p for p in control if _flags(p) & 0x12 == 0x02]
    if syns:
        parts.append(
            f"The client opens the control connection to {syns[0].dst} "
            f"(SYN in packet {syns[0].index})."
        )
    lines = control_lines(group)
    if lines:
        said = " / ".join(shown_line(x) for x in lines)
        parts.append(f"Control dialogue: {said}" + ("" if said.endswith(".") else "."))
    parts += port_sentences(group)
    for conv, packets in _conversations(group).items():
        if not conv.startswith("data"):
            continue
        size = sum(_payload_len(p) for p in packets)
        opener = next((p for p in packets if _flags(p) & 0x12 == 0x02), None)
        who = ""
        if opener is not None:
            back = opener.dst.rsplit(":", 1)[1] in _announced(
                group, ("ftp.active.port", "ftp.eprt.port")
            )
            who = (
                f" the server ({opener.src}) connects back to the client at {opener.dst}"
                if back
                else f" the client ({opener.src}) connects to the server at {opener.dst}"
            )
        parts.append(
            f"A separate TCP connection, {conv}:{who}, carries {size} bytes, then closes "
            f"({_span([p.index for p in packets])})."
        )
    if control and any(_flags(p) & 0x01 for p in control):
        parts.append("The control connection closes (FIN from each side).")
    return " ".join(parts) or f"{len(group)} packets."


def _announced(packets: Iterable[Packet], names: tuple[str, ...]) -> set[str]:
    """Data ports named in these packets' fields (`ftp.active.port`, ...)."""
    return {
        f.value for p in packets for layer in p.layers for f in layer.fields if f.filter in names
    }


def _conversations(packets: Iterable[Packet]) -> dict[str, list[Packet]]:
    out: dict[str, list[Packet]] = {}
    for p in packets:
        if p.origin == "wire":
            out.setdefault(p.conversation or "other", []).append(p)
    return out


# -- facts ---------------------------------------------------------------------


def _field(p: Packet, name: str) -> Field | None:
    return field_map(p.layers).get(name)


def ftp_facts(trace: Trace) -> tuple[Fact, ...]:
    facts: list[Fact] = []
    wire = trace.wire_packets()
    syns = [p.index for p in wire if _flags(p) & 0x12 == 0x02]
    convs = [c for c in _conversations(wire) if c != "other"]
    facts.append(
        Fact(
            "tcp_connections",
            str(len(syns)),
            f"{len(syns)} TCP connections were opened (one SYN each): "
            + ", ".join(convs)
            + ". FTP uses one connection for commands and a new one for every listing or file.",
            tuple(syns),
            "tcp.flags.syn",
        )
    )
    by_index = {p.index: p for p in wire}
    password = next((x for x in control_lines(wire) if x.request and x.word == "PASS"), None)
    if password is not None and password.arg:
        facts.append(
            Fact(
                "password_visible",
                "yes",
                f"Packet {password.index} carries PASS and the password as plain text "
                f"({len(password.arg)} characters): anyone who can see the traffic can read it.",
                (password.index,),
                "ftp.request.arg",
            )
        )
    formula = _formula_fact(by_index, wire)
    if formula is not None:
        facts.append(formula)
    return tuple(facts)


def _formula_fact(by_index: dict[int, Packet], wire: tuple[Packet, ...]) -> Fact | None:
    for p in wire:
        fields = field_map(p.layers)
        port = fields.get("ftp.passive.port") or fields.get("ftp.active.port")
        if port is None:
            continue
        evidence = "ftp.response.arg" if "ftp.passive.port" in fields else "ftp.request.arg"
        used = _first_use(wire, int(port.value), after=p.index)
        where = (
            f"; the data connection in packet {used.index} uses port {port.value}" if used else ""
        )
        return Fact(
            "data_port_formula",
            "p1*256+p2",
            f"Packet {p.index} names the data port as two numbers: {port.show}{where}.",
            (p.index,) + ((used.index,) if used else ()),
            evidence,
        )
    return None


def _first_use(wire: tuple[Packet, ...], port: int, after: int) -> Packet | None:
    for p in wire:
        if p.index > after and _flags(p) & 0x02 and p.dst.endswith(f":{port}"):
            return p
    return None


# -- sections ------------------------------------------------------------------


def ftp_sections(trace: Trace, session: Any, embedded: bool, mode: str) -> tuple[Section, ...]:
    wire = trace.wire_packets()
    lines = control_lines(wire)
    sections = [
        Section(
            "The control dialogue (as it crossed the wire)",
            "\n".join(f"[{x.index:>3}] {shown_line(x)}" for x in lines),
            "code",
        ),
        _connections_section(wire),
        _ports_section(wire),
        _password_section(lines, embedded),
        _content_section(session),
    ]
    if mode == "active":
        sections.append(
            Section(
                "Active mode: the server calls back",
                "With PORT the client listens and the server opens the data connection "
                "towards the client (look at who sends the SYN of each data connection). "
                "Firewalls and home routers usually block such incoming connections, which "
                "is why clients use passive mode (PASV/EPSV) by default.",
            )
        )
    return tuple(s for s in sections if s.body)


def _connections_section(wire: tuple[Packet, ...]) -> Section:
    rows = ["connection\tfrom\tto\tpackets\tpayload bytes\tfirst packet"]
    for conv, packets in _conversations(wire).items():
        opener = next((p for p in packets if _flags(p) & 0x12 == 0x02), packets[0])
        size = sum(_payload_len(p) for p in packets)
        rows.append(
            f"{conv}\t{opener.src}\t{opener.dst}\t{len(packets)}\t{size}\t{packets[0].index}"
        )
    return Section(
        "One control connection, one data connection per transfer", "\n".join(rows), "table"
    )


def _ports_section(wire: tuple[Packet, ...]) -> Section:
    return Section("Where each data port came from", "\n".join(port_sentences(wire)))


def port_sentences(wire: tuple[Packet, ...] | list[Packet]) -> list[str]:
    """How each PASV/EPSV reply or PORT/EPRT command names a data port, and
    which data connection then used it."""
    wire = tuple(wire)
    out: list[str] = []
    for p in wire:
        fields = field_map(p.layers)
        for name, how in (
            ("ftp.passive.port", "the server's 227 reply to PASV"),
            ("ftp.epsv.port", "the server's 229 reply to EPSV"),
            ("ftp.active.port", "the client's PORT command"),
            ("ftp.eprt.port", "the client's EPRT command"),
        ):
            port = fields.get(name)
            if port is None:
                continue
            used = _first_use(wire, int(port.value), after=p.index)
            conn = (
                f" The next data connection ({used.conversation}, packet {used.index})"
                " goes to that port."
                if used
                else ""
            )
            if name in ("ftp.passive.port", "ftp.active.port"):
                sentence = (
                    f"Packet {p.index}, {how}: the last two numbers are p1 and p2, "
                    f"port = p1*256+p2 = {port.show}.{conn}"
                )
            else:
                sentence = f"Packet {p.index}, {how}: the port is written out, {port.value}.{conn}"
            out.append(sentence)
    return out


def _password_section(lines: list[Line], embedded: bool) -> Section:
    pw = next((x for x in lines if x.request and x.word == "PASS"), None)
    user = next((x for x in lines if x.request and x.word == "USER"), None)
    if pw is None:
        return Section("The password on the wire", "")
    who = user.arg if user else "the user"
    if who.lower() in ("anonymous", "ftp"):
        kind = (
            "Anonymous login: the 'password' is by convention just an e-mail address or anything."
        )
    elif embedded:
        kind = "This is the lab server's demo account, so showing it does no harm."
    else:
        kind = "This was a real password: it has now crossed the network unencrypted."
    return Section(
        "The password on the wire",
        f"Packet {pw.index} carries `PASS` followed by the password for {who} as plain text "
        f"({len(pw.arg)} characters; masked here, select the field to reveal it). Anyone who "
        f"can see the traffic (same Wi-Fi, a router on the path) can read it. {kind} "
        "SFTP (file transfer over SSH) and FTPS (FTP over TLS) encrypt the whole session.",
    )


def _content_section(session: Any) -> Section:
    parts = []
    if session.listing:
        parts.append("LIST returned:\n" + "\n".join(session.listing[:20]))
    if session.fetched:
        preview = session.content[:400].decode("utf-8", "replace")
        parts.append(f"RETR {session.fetched} returned {len(session.content)} bytes:\n{preview}")
    if session.skipped:
        parts.append(session.skipped)
    if session.epsv_refused:
        parts.append("The server refused EPSV, so the lab asked with PASV instead.")
    return Section("What came back over the data connections", "\n\n".join(parts), "code")
