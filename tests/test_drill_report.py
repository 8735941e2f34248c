"""The report's evidence table: one row per field, whatever the value holds
(an HTTP body ends in a newline; a value can hold a `|` or a backtick), the
value written as tshark's fields output writes it (`\\n`, `\\r`)."""

from __future__ import annotations

from types import SimpleNamespace

from labs.model.trace import Field, Layer
from tutor.commands.drill_report import _fields


def test_each_field_is_one_table_row_with_four_cells():
    body = '{"error": "a|b"}\r\n'
    layer = Layer("HTTP", 0, 40, (
        Field("Body", "http.file_data", body, "18 bytes", 0, 18),
        Field("Quote", "http.x", "a`b", "a`b | c", 18, 3),
        Field("Code", "http.response.code", "503", "Service Unavailable", 21, 3),
    ))  # fmt: skip
    rows = _fields(SimpleNamespace(layers=(layer,)))[2:]
    assert len(rows) == 3 and all("\n" not in r and "\r" not in r for r in rows)
    cells = [r.replace("\\|", "").strip("|").split("|") for r in rows]
    assert all(len(c) == 4 for c in cells), rows
    assert (
        r'`{"error": "a\|b"}\r\n`' in rows[0]
    )  # as `tshark -T fields -e http.file_data` prints it
    assert "``a`b``" in rows[1]
    assert rows[2] == "| HTTP | `http.response.code` | `503` | Service Unavailable |"
