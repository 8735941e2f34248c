"""The web-app-db lab end to end against real PostgreSQL servers on 127.0.0.1:
its own (reconstructed and live, with fields checked against tshark), a
second server given with --target, --sql, bad input, and the server stopped
and its files removed afterwards: on success, cancel, Ctrl-C and kill -9."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from test_lab_web_app_db_wire import compare_with_tshark

from labs.api import save_capture
from labs.catalog.web_app_db.pg import PREFIX, PgServer, cleanup_leftovers
from labs.core.hostport import port_is_closed
from labs.model.errors import BadInput, Cancelled
from labs.model.trace import Trace, dumps
from labs.registry import get, run_lab

ROOT = Path(__file__).resolve().parent.parent
TSHARK = shutil.which("tshark")
FACTS = {
    "queries_naive_page": "7",
    "queries_join_page": "1",
    "data_rows_join_page": "6",
    "round_trips_before_query": "3",
    "plan_without_index": "Seq Scan",
    "plan_with_index": "Index Scan",
    "sql_readable": "yes",
    "auth_method": "SCRAM-SHA-256",
    "password_on_wire": "no",
}


@pytest.fixture
def own_tmp(monkeypatch):
    """A temporary directory of the test's own that PostgreSQL (run as
    `nobody` under root) can reach, so other runs' servers never show up."""
    path = Path(tempfile.mkdtemp(prefix="tutor-test-", dir="/tmp"))
    path.chmod(0o755)
    monkeypatch.setattr(tempfile, "tempdir", str(path))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _run(target: str | None = None, cancel_at: str = "", **given) -> Trace:
    request = get("web-app-db").request(target=target, timeout=10, given=given)
    cancel = threading.Event()

    def progress(message: str) -> None:
        if cancel_at and message.startswith(cancel_at):
            cancel.set()

    return run_lab(request, progress=progress, cancel=cancel)


def _servers_gone(root: Path) -> None:
    assert list(root.glob(PREFIX + "*")) == []
    out = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert str(root) not in out


def _check_pages(trace: Trace) -> None:
    facts = {f.name: f.value for f in trace.facts}
    assert {k: facts.get(k) for k in FACTS} == FACTS
    assert facts["faster_page"] in ("join", "n+1")
    titles = [s.title for s in trace.sections]
    assert "N+1 queries vs one JOIN" in titles and "An index vs a full scan" in titles
    assert any(t.startswith("Waterfall") for t in titles)
    assert [s.name for s in trace.steps][:2] == ["connect", "page-1"]
    queries = [f.value for p in trace.packets for f in p.fields("pgsql.query")]
    # 2 to warm the pool up, then the pages: 7 (N+1), 1 (JOIN), 1 (new connection), 1 + 1.
    assert len(queries) == 2 + 7 + 1 + 1 + 2
    assert sum("WHERE customer_id = " in q for q in queries) == 1 + 6
    port = int(trace.target.rsplit(":", 1)[1].split("/")[0])
    assert port_is_closed("127.0.0.1", port)


def test_embedded_reconstructed(reconstructed, own_tmp):
    trace = _run()
    assert trace.capture == "reconstructed"
    _check_pages(trace)
    _servers_gone(own_tmp)


@pytest.mark.needs_root
@pytest.mark.skipif(TSHARK is None, reason="tshark is not installed")
def test_embedded_live_fields_equal_tshark(own_tmp, tmp_path):
    trace = _run()
    assert trace.capture == "live"
    _check_pages(trace)
    _servers_gone(own_tmp)
    pcap = tmp_path / "web.pcap"
    save_capture(trace, pcap)
    db_port = next(f.value for f in trace.packets[0].fields("tcp.dstport"))
    checked = compare_with_tshark(trace.wire_packets(), pcap, int(db_port))
    assert checked > 200


@pytest.fixture
def second_server(own_tmp):
    """Another real PostgreSQL on 127.0.0.1, with a user and a password of its own."""
    with PgServer() as pg:
        admin = pg.admin()
        admin.run("CREATE ROLE learner LOGIN PASSWORD 'hunter2pw'")
        admin.run("CREATE DATABASE notes OWNER learner")
        admin.close()
        db = pg.admin("notes")
        db.run("CREATE TABLE note (id int, body text)")
        db.run("INSERT INTO note VALUES (1, 'first'), (2, NULL)")
        db.run("GRANT SELECT ON note TO learner")
        db.close()
        yield pg


def test_target_is_watched_with_the_password_masked(reconstructed, second_server):
    url = f"postgresql://learner:hunter2pw@127.0.0.1:{second_server.port}/notes"
    trace = _run(target=url, sql=["SELECT id, body FROM note ORDER BY id"])
    assert trace.target == f"postgresql://learner:***@127.0.0.1:{second_server.port}/notes"
    table = next(s for s in trace.sections if s.title.startswith("SELECT id, body"))
    assert table.body.splitlines() == ["id\tbody", "1\tfirst", "2\tNULL"]
    assert "hunter2pw" not in dumps(trace)
    facts = {f.name: f.value for f in trace.facts}
    assert facts["auth_method"] == "SCRAM-SHA-256" and facts["password_on_wire"] == "no"


def test_target_tour_and_password_from_the_environment(reconstructed, second_server, monkeypatch):
    monkeypatch.setenv("PGPASSWORD", "hunter2pw")
    trace = _run(target=f"postgresql://learner@127.0.0.1:{second_server.port}/notes")
    titles = [s.title for s in trace.sections]
    assert titles[0] == "SELECT version()" and "PostgreSQL 16" in trace.sections[0].body


def test_sql_runs_on_the_sample_data_read_only(reconstructed, own_tmp):
    trace = _run(sql=["SELECT status, count(*) FROM orders GROUP BY status ORDER BY status",
                      "SELECT * FROM orders FOR UPDATE"])  # fmt: skip
    first, second = trace.sections
    assert first.body.splitlines() == ["status\tcount", "cancelled\t2", "pending\t3", "shipped\t11"]
    assert "read-only" in second.body
    _servers_gone(own_tmp)


@pytest.mark.parametrize(
    ("target", "given", "says"),
    [
        ("postgresql://me@192.0.2.1:5432/db", {}, "only a database on this machine"),
        ("postgresql://me@db.example:5432/db", {}, "only a database on this machine"),
        ("http://127.0.0.1:5432/", {}, "not a postgresql:// URL"),
        ("postgresql://127.0.0.1:5432/db", {}, "names no user"),
        (None, {"sql": ["DELETE FROM orders"]}, "only queries that read"),
    ],
)
def test_bad_input_is_one_line(target, given, says):
    with pytest.raises(BadInput) as err:
        _run(target=target, **given)
    assert says in str(err.value) and "\n" not in str(err.value)


def test_cancel_stops_the_server_and_removes_its_files(reconstructed, own_tmp):
    with pytest.raises(Cancelled):
        _run(cancel_at="GET /customers?pool=off")
    _servers_gone(own_tmp)


def _cli(own_tmp: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "TMPDIR": str(own_tmp), "TUTOR_CAPTURE": "reconstructed"}
    return subprocess.Popen(
        [sys.executable, "-m", "tutor", "lab", "run", "web-app-db"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def _server_ready(folder: Path) -> bool:
    """The folder's server is up: postmaster.pid names a server (initdb's
    single-user runs write a negative pid) that says "ready" on line 8."""
    try:
        lines = (folder / "data" / "postmaster.pid").read_text().splitlines()
    except OSError:
        return False
    return len(lines) > 7 and not lines[0].startswith("-") and lines[7].strip() == "ready"


def _wait_for_server(own_tmp: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if any(_server_ready(d) for d in own_tmp.glob(PREFIX + "*")):
            return
        time.sleep(0.02)
    raise AssertionError("the lab's PostgreSQL never started")


def test_ctrl_c_stops_the_server_and_removes_its_files(own_tmp):
    proc = _cli(own_tmp)
    _wait_for_server(own_tmp)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=30)
    assert proc.returncode == 130
    _servers_gone(own_tmp)


def _shm_segments() -> set[str]:
    """System V shared memory segments by id (/proc/sysvipc/shm)."""
    rows = Path("/proc/sysvipc/shm").read_text().splitlines()[1:]
    return {row.split()[1] for row in rows}


def test_kill_9_leftovers_are_found_and_removed(own_tmp):
    posix_before = set(Path("/dev/shm").glob("PostgreSQL.*"))
    proc = _cli(own_tmp)
    _wait_for_server(own_tmp)
    proc.kill()
    proc.communicate(timeout=30)
    folders = list(own_tmp.glob(PREFIX + "*"))
    assert folders  # left behind, the server maybe running
    pid_file = (folders[0] / "data" / "postmaster.pid").read_text().splitlines()
    shmid = pid_file[6].split()[1]
    assert shmid in _shm_segments()
    removed = cleanup_leftovers(str(own_tmp))
    assert removed and all("PostgreSQL files" in line for line in removed)
    time.sleep(0.5)  # the killed server's backends notice and exit
    _servers_gone(own_tmp)
    # Its shared memory went too: the System V segment and no /dev/shm files.
    assert shmid not in _shm_segments()
    assert set(Path("/dev/shm").glob("PostgreSQL.*")) <= posix_before


def test_json_output_holds_the_facts(reconstructed, own_tmp):
    out = subprocess.run(
        [sys.executable, "-m", "tutor", "lab", "run", "web-app-db", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "TMPDIR": str(own_tmp), "TUTOR_CAPTURE": "reconstructed"},
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    facts = {f["name"]: f["value"] for f in json.loads(out.stdout)["facts"]}
    assert facts["queries_naive_page"] == "7"
