"""Dropbox LAN sync discovery (db-lsp-disc): every half minute a Dropbox
client broadcasts a small JSON object on UDP port 17500 saying which shared
folders ("namespaces") it holds and on which TCP port it listens, so other
clients on the same network fetch those files from it instead of from the
Internet. Wireshark 4.0 shows the message with its JSON dissector: fields
json.member, json.key, json.path, json.path_with_value,
json.member_with_value and json.value.* (what `json_fields` builds, in the
order Wireshark shows them)."""

from __future__ import annotations

import json

from labs.dissect.proto.base import App, Stream, app, first_field
from labs.model.trace import Field, Layer

PORT = 17500

#: What each member of the announcement says, in plain words.
MEMBERS = {
    "host_int": "A random number that names this Dropbox installation.",
    "version": "The version of the discovery protocol, as [major, minor].",
    "displayname": "A name for the computer (often empty).",
    "port": "The TCP port where this client serves files to others on the network.",
    "namespaces": "The shared folders this client holds, by number: a client with the "
    "same folders may fetch files from it over the local network.",
}

_WS = b" \t\r\n"
_OBJECT = "The announcement, in JSON: members of a name and a value, between braces."


class _Reader:
    """A JSON text read with the bytes each value takes (json.loads keeps none)."""

    def __init__(self, text: bytes, offset: int):
        self.text = text
        self.offset = offset
        self.out: list[Field] = []

    def skip(self, pos: int) -> int:
        while pos < len(self.text) and self.text[pos] in _WS:
            pos += 1
        return pos

    def field(
        self, label: str, name: str, value: str, start: int, end: int, says: str = ""
    ) -> None:
        self.out.append(Field(label, name, value, value, self.offset + start, end - start, says))

    def string(self, pos: int) -> tuple[str, int]:
        """The string starting at the quote at `pos`, and the position after it."""
        end = pos + 1
        while self.text[end] != 0x22:
            end += 2 if self.text[end] == 0x5C else 1
        return json.loads(self.text[pos : end + 1]), end + 1

    def value(self, pos: int, path: str, key: str) -> int:
        """Fields for the value at `pos` (member `key` at `path`); its end."""
        pos = self.skip(pos)
        first = self.text[pos : pos + 1]
        if first == b"{":
            self.field("Object", "json.object", "", pos, pos + 1, _OBJECT if not path else "")
            return self.members(pos + 1, path, pos)
        if first == b"[":
            at = len(self.out)
            self.field("Array", "json.array", "", pos, pos + 1)
            pos = self.skip(pos + 1)
            if self.text[pos : pos + 1] != b"]":
                while True:
                    pos = self.skip(self.value(pos, f"{path}/[]", "[]"))
                    if self.text[pos : pos + 1] != b",":
                        break
                    pos += 1
            if self.text[pos : pos + 1] != b"]":
                raise ValueError("unterminated array")
            self.out[at] = _spanning(self.out[at], self.offset + pos + 1)
            return pos + 1
        if first == b'"':
            text, end = self.string(pos)
            kind, label = "json.value.string", "String value"
        else:
            end = pos
            while end < len(self.text) and self.text[end] not in b",]} \t\r\n":
                end += 1
            text = self.text[pos:end].decode("ascii")
            if text in ("true", "false", "null"):
                kind, label = f"json.value.{text}", f"{text.title()} value"
            else:
                float(text)  # not a number: not JSON
                kind, label = "json.value.number", "Number value"
        self.field("Path with value", "json.path_with_value", f"{path}:{text}", pos, end)
        self.field("Member with value", "json.member_with_value", f"{key}:{text}", pos, end)
        shown = text if kind in ("json.value.string", "json.value.number") else ""
        self.field(label, kind, shown, pos, end)
        return end

    def members(self, pos: int, path: str, opened: int) -> int:
        at = len(self.out) - 1
        pos = self.skip(pos)
        while self.text[pos : pos + 1] == b'"':
            key, after = self.string(pos)
            colon = self.skip(after)
            if self.text[colon : colon + 1] != b":":
                raise ValueError("no colon after a key")
            says = MEMBERS.get(key, "") if not path else ""
            member = len(self.out)
            self.field("Member", "json.member", key, pos, pos, says)
            end = self.value(colon + 1, f"{path}/{key}", key)
            self.out[member] = _spanning(self.out[member], self.offset + end)
            self.field("Key", "json.key", key, pos, after)
            self.field("Path", "json.path", f"{path}/{key}", pos, end)
            pos = self.skip(end)
            if self.text[pos : pos + 1] != b",":
                break
            pos = self.skip(pos + 1)
        if self.text[pos : pos + 1] != b"}":
            raise ValueError("unterminated object")
        self.out[at] = _spanning(self.out[at], self.offset + pos + 1)
        return pos + 1


def _spanning(f: Field, end: int) -> Field:
    """`f` stretched to end at `end` (a container is known whole at its close)."""
    return Field(f.name, f.filter, f.value, f.show, f.offset, end - f.offset, f.explain)


def json_fields(text: bytes, offset: int) -> list[Field]:
    """Wireshark's json.* fields of one JSON text starting at `offset`."""
    reader = _Reader(text, offset)
    end = reader.skip(reader.value(0, "", ""))
    if end != len(text):
        raise ValueError("bytes after the JSON value")
    return reader.out


def dissect(payload: bytes, offset: int, stream: Stream) -> list[Layer]:
    fields = json_fields(payload, offset)
    return [Layer("DB-LSP-DISC (Dropbox LAN sync discovery)", offset, len(payload), tuple(fields))]


def describe(layers: tuple[Layer, ...]) -> str:
    port = next(
        (
            f.value
            for lay in layers
            for f in lay.fields
            if f.filter == "json.path_with_value" and f.value.startswith("/port:")
        ),
        "",
    )
    where = f" (files served on TCP port {port[6:]})" if port else ""
    return f"announces a Dropbox client to the local network{where}"


def summarize(layers: tuple[Layer, ...]) -> str:
    found = first_field(layers, ("DB-LSP-DISC (Dropbox LAN sync discovery)",), "json.member")
    return "Dropbox LAN sync discovery" if found else ""


app(
    App(
        "db-lsp-disc",
        ("udp",),
        (PORT,),
        dissect,
        describe,
        summarize=summarize,
    )
)
