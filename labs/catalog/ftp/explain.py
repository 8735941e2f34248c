"""Reading an FTP trace for a learner: steps (connect, login, each transfer,
quit), sections (the control dialogue, the connections, where each data
port came from, the password on the wire) and the facts of labs/FACTS.md,
all from what the packets say (`wire`).
"""

from __future__ import annotations

from labs.catalog.ftp.result import FtpResult
from labs.catalog.ftp.wire import (
    CALL_BACK,
    TWO_NUMBERS,
    Line,
    announcements,
    control_lines,
    conversations,
    flags,
    is_syn,
    payload_len,
    port_sentences,
    request,
    shown_line,
)
from labs.kit import Fact, Packet, Section, Step, Trace
from labs.model.numbers import number

#: The step a command starts (besides the transfers).
KINDS = {
    **dict.fromkeys(("USER", "PASS", "ACCT"), "login"),
    **dict.fromkeys(("PWD", "CWD", "CDUP"), "navigate"),
    "QUIT": "quit",
}
TRANSFER = ("LIST", "NLST", "MLSD", "RETR", "STOR")
SETUP = ("TYPE", "PASV", "EPSV", "PORT", "EPRT", "REST", "SIZE", "MODE", "STRU")
TITLES = {
    "connect": "Open the control connection",
    "login": "Log in (user name and password, in clear text)",
    "navigate": "Ask where we are (PWD)",
    "list": "List the directory over a data connection",
    "retr": "Fetch a file over a data connection",
    "quit": "Say goodbye and close",
}


def _span(indexes: list[int]) -> str:
    first, last = number(indexes[0]), number(indexes[-1])
    return f"packet {first}" if len(indexes) == 1 else f"packets {first}-{last}"


def _step_kind(command: str, current: str, transfer_sent: bool) -> str:
    if command in KINDS:
        return KINDS[command]
    if command in SETUP or command in TRANSFER:
        # TYPE/PASV/... open a new transfer unless the current one has not
        # sent its LIST/RETR yet.
        return current if current.startswith("transfer") and not transfer_sent else "transfer"
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
    return tuple(
        Step.over(name, group, _step_explain(group), TITLES.get(name, name), t0)
        for key, group in members.items()
        for name in [names.get(key, key)]
    )


def _step_explain(group: list[Packet]) -> str:
    parts: list[str] = []
    control = [p for p in group if not p.conversation.startswith("data")]
    syns = [p for p in control if is_syn(p)]
    if syns:
        parts.append(
            f"The client opens the control connection to {syns[0].dst} "
            f"(SYN in packet {number(syns[0].index)})."
        )
    lines = control_lines(group)
    if lines:
        said = " / ".join(shown_line(x) for x in lines)
        parts.append(f"Control dialogue: {said}" + ("" if said.endswith(".") else "."))
    parts += port_sentences(group)
    for conv, packets in conversations(group).items():
        if not conv.startswith("data"):
            continue
        size = sum(payload_len(p) for p in packets)
        opener = next((p for p in packets if is_syn(p)), None)
        who = ""
        if opener is not None:
            back = opener.dst.rsplit(":", 1)[1] in {
                port.value for _p, name, port, _u in announcements(group) if name in CALL_BACK
            }
            who = (
                f" the server ({opener.src}) connects back to the client at {opener.dst}"
                if back
                else f" the client ({opener.src}) connects to the server at {opener.dst}"
            )
        parts.append(
            f"A separate TCP connection, {conv}:{who}, carries {size} bytes, then closes "
            f"({_span([p.index for p in packets])})."
        )
    if control and any(flags(p) & 0x01 for p in control):
        parts.append("The control connection closes (FIN from each side).")
    return " ".join(parts) or f"{len(group)} packets."


def ftp_facts(trace: Trace) -> tuple[Fact, ...]:
    facts: list[Fact] = []
    wire = trace.wire_packets()
    syns = [p.index for p in wire if is_syn(p)]
    convs = [c for c in conversations(wire) if c != "other"]
    facts.append(
        Fact(
            "tcp_connections",
            str(len(syns)),
            f"{len(syns)} TCP connections were opened (one SYN each): "
            + ", ".join(convs)
            + ". FTP uses one connection for commands and a new one for every listing or file.",
            tuple(syns),
            "tcp.flags.syn",
            label="TCP connections opened",
        )
    )
    password = request(control_lines(wire), "PASS")
    if password is not None and password.arg:
        facts.append(
            Fact(
                "password_visible",
                "yes",
                f"Packet {number(password.index)} carries PASS and the password as plain text "
                f"({len(password.arg)} characters): anyone who can see the traffic can read it.",
                (password.index,),
                "ftp.request.arg",
                label="Password readable on the wire",
            )
        )
    formula = _formula_fact(wire)
    if formula is not None:
        facts.append(formula)
    return tuple(facts)


def _formula_fact(wire: tuple[Packet, ...]) -> Fact | None:
    for p, name, port, used in announcements(wire):
        if name not in TWO_NUMBERS:
            continue
        where = (
            f"; the data connection in packet {number(used.index)} uses port {port.value}"
            if used
            else ""
        )
        return Fact(
            "data_port_formula",
            "p1*256+p2",
            f"Packet {number(p.index)} names the data port as two numbers: {port.show}{where}.",
            (p.index,) + ((used.index,) if used else ()),
            "ftp.response.arg" if name == "ftp.passive.port" else "ftp.request.arg",
            label="How the data port is written",
        )
    return None


def ftp_sections(trace: Trace, result: FtpResult) -> tuple[Section, ...]:
    wire = trace.wire_packets()
    lines = control_lines(wire)
    sections = [
        Section(
            "The control dialogue (as it crossed the wire)",
            "\n".join(f"[{number(x.index):>3}] {shown_line(x)}" for x in lines),
            "code",
        ),
        _connections_section(wire),
        Section("Where each data port came from", "\n".join(port_sentences(wire))),
        _password_section(lines, result.embedded),
        _content_section(result),
    ]
    if result.mode == "active":
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
    for conv, packets in conversations(wire).items():
        opener = next((p for p in packets if is_syn(p)), packets[0])
        size = sum(payload_len(p) for p in packets)
        rows.append(
            f"{conv}\t{opener.src}\t{opener.dst}\t{len(packets)}\t{size}\t{number(packets[0].index)}"
        )
    return Section(
        "One control connection, one data connection per transfer", "\n".join(rows), "table"
    )


def _password_section(lines: list[Line], embedded: bool) -> Section:
    pw, user = request(lines, "PASS"), request(lines, "USER")
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
        f"Packet {number(pw.index)} carries `PASS` followed by the password for {who} as plain text "
        f"({len(pw.arg)} characters; masked here, select the field to reveal it). Anyone who "
        f"can see the traffic (same Wi-Fi, a router on the path) can read it. {kind} "
        "SFTP (file transfer over SSH) and FTPS (FTP over TLS) encrypt the whole session.",
    )


def _content_section(session: FtpResult) -> Section:
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
