"""PostgreSQL's wire protocol (version 3): what an application and its
database server say to each other, with Wireshark's `pgsql.*` names.

Every message but the first is a type byte, a four-byte length and a body;
the first (startup, SSL request) has no type byte. One TCP segment often
holds several messages (a result is T, D..., C, Z in one segment), each
shown as its own "PGSQL" layer, as Wireshark does. The bodies are declared
as scapy packets (`fields_desc`) and each field's bytes found by
re-serialising the value it consumed. A message longer than its segment is
followed with the direction's `Stream`. Which end is the client is learnt
from the first message of the conversation (the client speaks first).
"""

from __future__ import annotations

from labs.dissect.proto.base import App, Stream, app
from labs.dissect.proto.pgsql_bodies import backend_body, extended, password, startup
from labs.dissect.proto.pgsql_packets import Body, PgHeader, PgUntyped, read, text
from labs.dissect.proto.pgsql_words import BACKEND, FRONTEND, UNTYPED
from labs.model.trace import Field, Layer

PORT = 5432


def _message(payload: bytes, pos: int, offset: int, stream: Stream) -> tuple[Layer, int]:
    """One message at payload[pos:]; returns its layer and where it ends."""
    shared = stream.shared
    frontend = stream.state.get("frontend")
    start = pos
    fields: list[Field] = []
    untyped = frontend is not False and not stream.state.get("started")
    if untyped and len(payload) - pos >= 8:
        head, hs, _ = read(PgUntyped, payload, pos)
        code = head.major << 16 | head.minor
        if code in UNTYPED:
            stream.state["frontend"] = True
            shared["client"] = True
            stream.state["started"] = code == 196608
            shared["ssl_asked"] = code in (80877103, 80877104)
            name, meaning = UNTYPED[code]
            o, n = offset + hs["length"][0], 4
            fields.append(Field("Type", "pgsql.type", name, name, o, n, meaning))
            fields.append(Field("Length", "pgsql.length", str(head.length), str(head.length), o, n))
            if code == 196608:
                fields.append(
                    Field(
                        "Protocol major version",
                        "pgsql.version_major",
                        "3",
                        "3",
                        offset + hs["major"][0],
                        2,
                    )
                )
                fields.append(
                    Field(
                        "Protocol minor version",
                        "pgsql.version_minor",
                        "0",
                        "0",
                        offset + hs["minor"][0],
                        2,
                    )
                )
            end = pos + max(head.length, 8)  # a zero length must not stall the loop
            body = Body(payload[pos + 8 : end], offset + pos + 8)
            startup(body, code)
            return Layer(
                "PGSQL", offset + start, min(end, len(payload)) - start, tuple(fields + body.fields)
            ), end
    if frontend is None:
        frontend = not shared.get("client")
        stream.state["frontend"] = frontend
    if not frontend and shared.pop("ssl_asked", False) and payload[pos : pos + 1] in (b"N", b"S"):
        yes = payload[pos : pos + 1] == b"S"
        answer = "S: yes, TLS follows" if yes else "N: no TLS; the conversation stays readable"
        fields.append(
            Field("SSL response", None, text(payload[pos : pos + 1]), answer, offset + pos, 1)
        )
        return Layer("PGSQL", offset + pos, 1, tuple(fields)), pos + 1
    head, hs, body_at = read(PgHeader, payload, pos)
    kind = text(head.type)
    table = FRONTEND if frontend else BACKEND
    name, meaning = table.get(kind, ("Unknown", "A message this tool does not know."))
    end = pos + 1 + head.length
    body = Body(payload[body_at : min(end, len(payload))], offset + body_at)
    if frontend and kind == "p":
        name = password(body, shared)
    elif frontend and kind == "Q":
        body.string("Query", "pgsql.query", "The SQL statement, readable by anyone on the path.")
    elif frontend:
        extended(body, kind)
    else:
        backend_body(body, kind, shared)
    fields.append(
        Field("Type", "pgsql.type", name, f"{name} ({kind})", offset + hs["type"][0], 1, meaning)
    )
    fields.append(
        Field(
            "Length",
            "pgsql.length",
            str(head.length),
            str(head.length),
            offset + hs["length"][0],
            4,
        )
    )
    if end > len(payload):
        stream.state["left"] = end - len(payload)
    return Layer(
        "PGSQL", offset + start, min(end, len(payload)) - start, tuple(fields + body.fields)
    ), end


def dissect(payload: bytes, offset: int, stream: Stream) -> list[Layer]:
    layers: list[Layer] = []
    pos = 0
    left = int(stream.state.get("left", 0))
    if left:
        take = min(left, len(payload))
        stream.state["left"] = left - take
        layers.append(
            Layer(
                "PGSQL continuation",
                offset,
                take,
                (
                    Field(
                        "Data",
                        None,
                        payload[:32].hex(":"),
                        f"{take} bytes",
                        offset,
                        take,
                        "The rest of a PostgreSQL message begun in an earlier segment.",
                    ),
                ),
            )
        )
        pos = take
    while pos < len(payload):
        layer, pos = _message(payload, pos, offset, stream)
        layers.append(layer)
    return layers


def _values(layers: tuple[Layer, ...], filt: str) -> list[str]:
    return [f.value for layer in layers for f in layer.fields if f.filter == filt]


def _short(sql: str, n: int = 70) -> str:
    sql = " ".join(sql.split())
    return sql if len(sql) <= n else sql[: n - 1] + "…"


def summarize(layers: tuple[Layer, ...]) -> str:
    """The packet-list line: 'PGSQL Query SELECT ...', 'PGSQL T D D C Z: 2 rows, SELECT 2'."""
    kinds = [
        f.show.rsplit("(", 1)[-1].rstrip(")") if f.show.endswith(")") else f.value
        for layer in layers
        for f in layer.fields
        if f.filter == "pgsql.type"
    ]
    if not kinds:
        return "PGSQL " + (
            "SSL response" if layers and layers[0].name == "PGSQL" else "continuation"
        )
    query = _values(layers, "pgsql.query")
    if query:
        return f"PGSQL Query: {_short(query[-1])}"
    rows = kinds.count("D") if "T" in kinds or "C" in kinds else 0
    tags = _values(layers, "pgsql.tag")
    if tags or rows:
        return f"PGSQL {' '.join(kinds)}: {rows} row{'s' * (rows != 1)}" + (
            f", {tags[-1]}" if tags else ""
        )
    if len(kinds) > 3:
        return f"PGSQL {' '.join(dict.fromkeys(kinds))} ({len(kinds)} messages)"
    names = _values(layers, "pgsql.type")
    return "PGSQL " + ", ".join(names)


def describe(layers: tuple[Layer, ...]) -> str:
    """A phrase for the narration, from the fields."""
    names = _values(layers, "pgsql.type")
    query = _values(layers, "pgsql.query")
    if query:
        return f"sends the SQL query “{_short(query[-1], 90)}” to the database"
    if "Startup message" in names:
        user = dict(
            zip(
                _values(layers, "pgsql.parameter_name"),
                _values(layers, "pgsql.parameter_value"),
                strict=False,
            )
        )
        return f"opens a database session as user {user.get('user', '?')} on database {user.get('database', '?')}"
    if "Error" in names:
        return f"answers with an error: {' '.join(_values(layers, 'pgsql.message'))}"
    tags = _values(layers, "pgsql.tag")
    if tags:
        rows = names.count("Data row")
        return f"answers with {rows} row{'s' * (rows != 1)} ({tags[-1]}) and is ready for the next query"
    if "Authentication request" in names:
        shows = [f.show for layer in layers for f in layer.fields if f.filter == "pgsql.authtype"]
        return f"asks the client to authenticate: {', '.join(shows)}"
    if names[:1] in (["SASLInitialResponse message"], ["SASLResponse message"]):
        return "proves it knows the password without sending it (SCRAM)"
    if "Password message" in names:
        return "sends the password"
    if "Termination" in names:
        return "says goodbye to the database before closing"
    return ", ".join(dict.fromkeys(names)).lower() if names else ""


def detect(payload: bytes) -> bool:
    """A startup message (protocol 3.0) or an SSL/GSS request opens every connection."""
    if len(payload) < 8:
        return False
    length = int.from_bytes(payload[:4], "big")
    code = int.from_bytes(payload[4:8], "big")
    return code in UNTYPED and length == (
        len(payload) if code == 196608 else 8 if code != 80877102 else 16
    )


app(App("pgsql", ("tcp",), (PORT,), dissect, describe, detect, summarize))
