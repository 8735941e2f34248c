"""The pgsql dissection against tshark on real PostgreSQL conversations the
lab itself never has: the extended protocol (Parse, Bind, Describe, Execute,
Sync) that drivers use for $1 parameters, an SSL request refused with 'N',
an error with its fields, NULLs and a failed login. Recorded at the socket
(no root needed), written to a pcap, and every pgsql field compared."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pg8000.native
import pytest
from pg8000.exceptions import DatabaseError

from labs.capture.core import open_capture
from labs.catalog.web_app_db.pg import PgServer
from labs.core.base import LabContext
from labs.dissect.core import dissect_all
from labs.files.pcapio import write_pcap
from labs.model.trace import Packet

TSHARK = shutil.which("tshark")

#: The pgsql fields compared with tshark, every occurrence in order.
PGSQL_FIELDS = (
    "pgsql.type pgsql.length pgsql.version_major pgsql.version_minor pgsql.parameter_name "
    "pgsql.parameter_value pgsql.query pgsql.password pgsql.authtype pgsql.salt "
    "pgsql.auth.sasl.mech pgsql.auth.sasl.data.length pgsql.auth.sasl.data pgsql.statement "
    "pgsql.portal pgsql.returns pgsql.tag pgsql.status pgsql.pid pgsql.key pgsql.oid.table "
    "pgsql.oid.type pgsql.format pgsql.field.count pgsql.col.name pgsql.col.index "
    "pgsql.val.length pgsql.val.data pgsql.col.typemod pgsql.severity pgsql.text pgsql.code "
    "pgsql.message pgsql.detail pgsql.hint pgsql.position pgsql.where pgsql.file pgsql.line "
    "pgsql.routine"
).split()


def _norm(values: str) -> str:
    # -T fields prints byte strings without the colons the trace uses.
    return "|".join(
        v.replace(":", "") if v and all(c in "0123456789abcdef:" for c in v) else v
        for v in values.split("|")
    )


def compare_with_tshark(packets: Sequence[Packet], pcap: Path, db_port: int) -> int:
    """Every pgsql field of every packet equal to tshark's; returns how many values."""
    args = [TSHARK or "tshark", "-r", str(pcap), "-o", "tcp.desegment_tcp_streams:FALSE",
            "-d", f"tcp.port=={db_port},pgsql", "-T", "fields", "-E", "occurrence=a",
            "-E", "aggregator=|"]  # fmt: skip
    for name in PGSQL_FIELDS:
        args += ["-e", name]
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=60).stdout
    theirs = [dict(zip(PGSQL_FIELDS, line.split("\t"), strict=True)) for line in out.splitlines()]
    assert len(packets) == len(theirs)
    bad, checked = [], 0
    for packet, want in zip(packets, theirs, strict=True):
        for name in PGSQL_FIELDS:
            have = "|".join(f.value for f in packet.fields(name))
            if _norm(want[name]) != _norm(have):
                bad.append(f"packet {packet.index} {name}: tshark {want[name]!r}, tutor {have!r}")
            checked += bool(want[name])
    assert not bad, "\n".join(bad[:20])
    return checked


@pytest.fixture
def server(monkeypatch):
    path = Path(tempfile.mkdtemp(prefix="tutor-test-", dir="/tmp"))
    path.chmod(0o755)  # PostgreSQL runs as nobody under root
    monkeypatch.setattr(tempfile, "tempdir", str(path))
    with PgServer() as pg:
        admin = pg.admin()
        admin.run("CREATE ROLE learner LOGIN PASSWORD 'hunter2pw'")
        admin.run("CREATE TABLE note (id int PRIMARY KEY, body text, price numeric(6, 2))")
        admin.run("INSERT INTO note VALUES (1, 'first', 2.50), (2, NULL, NULL)")
        admin.run("GRANT SELECT ON note TO learner")
        admin.close()
        yield pg
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.skipif(TSHARK is None, reason="tshark is not installed")
def test_extended_protocol_errors_and_nulls_equal_tshark(server, tmp_path):
    where = ("127.0.0.1", server.port)
    with open_capture(LabContext(), ports=(server.port,), mode="reconstructed") as cap:
        # ssl_context=None: pg8000 asks for TLS first (SSL request) and is told 'N'.
        db = pg8000.native.Connection(
            "learner", password="hunter2pw", database="postgres",
            sock=cap.create_connection(where, 5), ssl_context=None,
        )  # fmt: skip
        assert db.run("SELECT id, body, price FROM note WHERE id >= :low ORDER BY id", low=1)
        with pytest.raises(DatabaseError):
            db.run("SELECT nope FROM note")
        db.close()
        with pytest.raises(DatabaseError):
            pg8000.native.Connection(
                "learner", password="wrong", database="postgres",
                sock=cap.create_connection(where, 5), ssl_context=False,
            )  # fmt: skip
    raws = cap.packets()
    pcap = tmp_path / "pg.pcap"
    write_pcap(raws, pcap)
    packets = dissect_all(raws, {server.port: "pgsql"})
    types = {f.value for p in packets for f in p.fields("pgsql.type")}
    assert {"SSL request", "Parse", "Bind", "Execute", "Sync", "Error"} <= types
    assert compare_with_tshark(packets, pcap, server.port) > 100
