"""The bodies of PostgreSQL's messages, field by field, in Wireshark's names
(`labs.dissect.proto.pgsql` frames the messages and hands each body here)."""

from __future__ import annotations

from typing import Any

from scapy.fields import StrFixedLenField

from labs.dissect.proto.pgsql_packets import (
    Body,
    PgByte,
    PgColumn,
    PgErrorField,
    PgInt,
    PgParam,
    PgSaslInitial,
    PgShort,
    PgValue,
    PgWhich,
    one,
    text,
)
from labs.dissect.proto.pgsql_words import AUTH, ERROR_FIELDS, STATUS, TYPES
from labs.model.trace import Field


def startup(b: Body, code: int) -> None:
    if code != 196608:
        if code == 80877102 and b.left >= 8:
            b.number(PgInt, "PID", "pgsql.pid", "Which server process runs the query to cancel.")
            b.number(PgInt, "Key", "pgsql.key", "The secret that proves the right to cancel.")
        return
    while b.left > 1:
        pkt, spans = b.read(PgParam)
        name = text(pkt.param)
        b.add("Parameter name", "pgsql.parameter_name", name, spans["param"])
        b.add(
            "Parameter value",
            "pgsql.parameter_value",
            text(pkt.setting),
            spans["setting"],
            f"The {name} this connection asks for." if name in ("user", "database") else "",
        )


def _auth(b: Body, shared: dict[str, Any]) -> None:
    code = b.number(PgInt, "Authentication type", "pgsql.authtype")
    name, meaning = AUTH.get(code, ("Unknown", "An authentication method."))
    b.fields[-1] = Field(
        "Authentication type",
        "pgsql.authtype",
        str(code),
        f"{name} ({code})",
        b.fields[-1].offset,
        4,
        meaning,
    )
    shared["sasl"] = {10: "initial", 11: "continue"}.get(code, "")
    if code == 5:
        pkt, spans = b.read(one("salt", StrFixedLenField("value", b"", 4)))
        b.add("Salt value", "pgsql.salt", pkt.value.hex(":"), spans["value"])
    elif code == 10:
        while b.left > 1:
            b.string("SASL authentication mechanism", "pgsql.auth.sasl.mech", meaning)
    elif code in (11, 12) and b.left:
        data = b.data[b.pos :]
        b.add(
            "SASL authentication data",
            "pgsql.auth.sasl.data",
            data.hex(":"),
            (b.base + b.pos, len(data)),
            meaning,
            show=text(data),
        )
        b.pos = len(b.data)


def password(b: Body, shared: dict[str, Any]) -> str:
    """A 'p' message: what it is depends on the authentication request before it."""
    state = shared.get("sasl", "")
    if state == "initial":
        pkt, spans = b.read(PgSaslInitial)
        b.add(
            "SASL authentication mechanism", "pgsql.auth.sasl.mech", text(pkt.mech), spans["mech"]
        )
        b.add(
            "SASL authentication data length",
            "pgsql.auth.sasl.data.length",
            str(pkt.length),
            spans["length"],
        )
        b.add(
            "SASL authentication data",
            "pgsql.auth.sasl.data",
            pkt.data.hex(":"),
            spans["data"],
            "The client's first SCRAM message: the user and a random nonce. No password.",
            show=text(pkt.data),
        )
        return "SASLInitialResponse message"
    if state == "continue":
        data = b.data
        b.add(
            "SASL authentication data",
            "pgsql.auth.sasl.data",
            data.hex(":"),
            (b.base, len(data)),
            "The client's proof that it knows the password, computed from it; the "
            "password itself never crosses the wire.",
            show=text(data),
        )
        b.pos = len(data)
        return "SASLResponse message"
    b.string(
        "Password",
        "pgsql.password",
        "The password (or its MD5 hash), readable by anyone who sees this packet.",
        secret=True,
    )
    return "Password message"


def _row_description(b: Body) -> None:
    count = b.number(
        PgShort, "Field count", "pgsql.field.count", "How many columns the result has."
    )
    for _ in range(count):
        pkt, s = b.read(PgColumn)
        kind = TYPES.get(pkt.type, f"type {pkt.type}")
        b.add("Column name", "pgsql.col.name", text(pkt.col), s["col"], f"A column of type {kind}.")
        b.add("Table OID", "pgsql.oid.table", str(pkt.table), s["table"])
        b.add("Column index", "pgsql.col.index", str(pkt.index), s["index"])
        b.add("Type OID", "pgsql.oid.type", str(pkt.type), s["type"], show=f"{pkt.type} ({kind})")
        b.add("Column length", "pgsql.val.length", str(pkt.size), s["size"])
        b.add("Type modifier", "pgsql.col.typemod", str(pkt.typemod), s["typemod"])
        fmt = "Text" if pkt.format == 0 else "Binary"
        b.add("Format", "pgsql.format", str(pkt.format), s["format"], show=f"{fmt} ({pkt.format})")


def _data_row(b: Body) -> None:
    count = b.number(PgShort, "Field count", "pgsql.field.count", "How many values this row has.")
    for _ in range(count):
        pkt, s = b.read(PgValue)
        b.add("Column length", "pgsql.val.length", str(pkt.length), s["length"])
        if pkt.length < 0:
            b.fields[-1] = Field(
                "Column length",
                "pgsql.val.length",
                "-1",
                "-1 (NULL)",
                *s["length"],
                "NULL: no value.",
            )
            continue
        b.add(
            "Data",
            "pgsql.val.data",
            pkt.data.hex(":"),
            s["data"],
            "The value, as text.",
            show=text(pkt.data),
        )


def _error(b: Body) -> None:
    while b.left > 1:
        pkt, s = b.read(PgErrorField)
        filt, label = ERROR_FIELDS.get(text(pkt.code), (None, f"Field {text(pkt.code)}"))
        b.add(label, filt, text(pkt.value), s["value"])


def extended(b: Body, kind: str) -> None:
    """The extended-query messages: prepared statements and their values."""
    if kind == "P":
        b.string("Statement", "pgsql.statement", "The prepared statement's name ('' unnamed).")
        b.string("Query", "pgsql.query", "The SQL, with $1, $2... where the values go.")
        for _ in range(b.number(PgShort, "Parameters", "")) if b.left >= 2 else ():
            b.number(PgInt, "Type OID", "pgsql.oid.type")
        b.fields = [f for f in b.fields if f.filter != ""]
    elif kind == "B":
        b.string("Portal", "pgsql.portal")
        b.string("Statement", "pgsql.statement")
        for what in ("formats", "values", "results"):
            n = b.number(PgShort, f"Parameter {what}", "")
            b.fields.pop()
            for _ in range(n):
                if what == "values":
                    pkt, s = b.read(PgValue)
                    b.add("Column length", "pgsql.val.length", str(pkt.length), s["length"])
                    if pkt.length >= 0:
                        b.add(
                            "Data",
                            "pgsql.val.data",
                            pkt.data.hex(":"),
                            s["data"],
                            show=text(pkt.data),
                        )
                else:
                    b.number(PgShort, "Format", "pgsql.format")
    elif kind == "E":
        b.string("Portal", "pgsql.portal")
        b.number(PgInt, "Returns", "pgsql.returns", "The most rows to return (0: all).")
    elif kind in ("D", "C"):
        pkt, _s = b.read(PgWhich)
        filt = "pgsql.portal" if pkt.value == b"P" else "pgsql.statement"
        b.string("Portal" if pkt.value == b"P" else "Statement", filt)


def backend_body(b: Body, kind: str, shared: dict[str, Any]) -> None:
    if kind == "R":
        _auth(b, shared)
    elif kind == "S":
        pkt, s = b.read(PgParam)
        b.add("Parameter name", "pgsql.parameter_name", text(pkt.param), s["param"])
        b.add("Parameter value", "pgsql.parameter_value", text(pkt.setting), s["setting"])
    elif kind == "K":
        b.number(PgInt, "PID", "pgsql.pid", "The server process that serves this connection.")
        b.number(
            PgInt, "Key", "pgsql.key", "The secret needed to cancel this connection's queries."
        )
    elif kind == "Z":
        pkt, s = b.read(PgByte)
        status = STATUS.get(pkt.value, "Unknown")
        b.add("Status", "pgsql.status", str(pkt.value), s["value"], show=f"{status} ({pkt.value})")
    elif kind == "T":
        _row_description(b)
    elif kind == "D":
        _data_row(b)
    elif kind == "C":
        b.string("Tag", "pgsql.tag", "What the statement did, and to how many rows.")
    elif kind in ("E", "N"):
        _error(b)
    elif kind == "t":
        for _ in range(b.number(PgShort, "Parameters", "")):
            b.number(PgInt, "Type OID", "pgsql.oid.type")
        b.fields = [f for f in b.fields if f.filter != ""]
