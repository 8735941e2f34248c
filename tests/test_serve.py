"""`tutor serve` (tutor.commands.serve, tutor.web) without a browser: what it refuses on the command line, and the
checks of its web side against the real aiohttp application on 127.0.0.1
(learner ids, other sites' pages, rebound names, the session cap)."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest
from aiohttp import WSMsgType
from aiohttp.test_utils import TestClient, TestServer

from tutor import web
from tutor.cli import main


@pytest.mark.parametrize(
    "argv, words",
    [
        (["--host", "0.0.0.0"], "add --allow-remote"),
        (["--host", "192.0.2.10"], "add --allow-remote"),
        (["--host", "localhost"], "must be an IP address"),
        (["--port", "70000"], "--port must be 1-65535"),
        (["--max-sessions", "0"], "--max-sessions must be at least 1"),
    ],
)
def test_refused_in_one_line_with_exit_2(argv, words, capsys, monkeypatch):
    monkeypatch.setattr(web.CourseServer, "serve_forever", lambda *_: pytest.fail("served"))
    assert main(["serve", *argv]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1


def test_another_address_needs_the_flag_and_warns(tmp_path, capsys, monkeypatch):
    served = []
    monkeypatch.setattr(
        web.CourseServer, "serve_forever", lambda self, announce: served.append(announce())
    )
    argv = ["serve", "--host", "0.0.0.0", "--allow-remote", "--data", str(tmp_path / "l")]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert "warning" in err and "no login" in err
    assert "reachable from other machines" in out
    assert served == [None]


def test_loopback_says_what_it_exposes(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(web.CourseServer, "serve_forever", lambda self, announce: announce())
    assert main(["serve", "--port", "8123", "--data", str(tmp_path / "l")]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert "http://127.0.0.1:8123/ (this machine only)" in out
    assert str(tmp_path / "l") in out
    assert (tmp_path / "l").stat().st_mode & 0o777 == 0o700


def test_a_taken_port_is_one_line(tmp_path, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--port", str(port), "--data", str(tmp_path / "l")]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert f"cannot listen on 127.0.0.1:{port}" in err and "in use" in err


@pytest.mark.parametrize("learner", ["ana", "ana-7", "b_2", "0", "a" * 32])
def test_learner_ids_accepted(learner):
    assert web.valid_learner(learner)


@pytest.mark.parametrize(
    "learner", ["", "..", "../ana", "a/b", "Ana", "-a", "a" * 33, "ana\n", "a b", "é", "~root"]
)
def test_learner_ids_refused(learner):
    assert not web.valid_learner(learner)


async def client(tmp_path: Path, max_sessions: int = 40) -> TestClient:
    server = web.CourseServer(tmp_path, "127.0.0.1", 0, max_sessions, True)
    c = TestClient(TestServer(server.make_app(), host="127.0.0.1"))
    c.course = server  # type: ignore[attr-defined]
    await c.start_server()
    return c


async def test_pages(tmp_path):
    c = await client(tmp_path)
    try:
        r = await c.get("/")
        assert r.status == 200 and 'name="learner"' in await r.text()
        assert "default-src 'self'" in r.headers["Content-Security-Policy"]
        r = await c.get("/", params={"learner": "../etc"})
        assert r.status == 400 and "lowercase letters" in await r.text()
        r = await c.get("/", params={"learner": "ana"})
        body = await r.text()
        assert (
            r.status == 200
            and f'data-session-websocket-url="ws://{c.host}:{c.port}/ws/ana"' in body
        )
        # Everything the page loads comes from this server (no web fonts from elsewhere).
        assert "http" not in body.replace(f"ws://{c.host}:{c.port}/ws/ana", "")
        r = await c.get("/static/js/textual.js")
        assert r.status == 200
        # Behind a reverse proxy: the page points the browser back at the proxy.
        proxy = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "class.example"}
        r = await c.get("/", params={"learner": "ana"}, headers=proxy)
        assert 'data-session-websocket-url="wss://class.example/ws/ana"' in await r.text()
        assert list(tmp_path.iterdir()) == []  # a page alone starts nothing
    finally:
        await c.close()


async def test_other_sites_and_rebound_names_are_refused(tmp_path):
    c = await client(tmp_path)
    try:
        # A page on evil.example that a DNS rebinding pointed at 127.0.0.1.
        r = await c.get("/", params={"learner": "ana"}, headers={"Host": "evil.example:8000"})
        assert r.status == 421
        r = await c.get("/ws/ana", headers={"Host": "evil.example:8000"})
        assert r.status == 400
        # Another site's page opening a websocket to this server.
        with pytest.raises(Exception, match="403"):
            await c.ws_connect("/ws/ana", headers={"Origin": "http://evil.example"})
        with pytest.raises(Exception, match="403"):
            await c.ws_connect(
                "/ws/ana",
                headers={"Origin": "https://evil.example", "X-Forwarded-Host": "class.example"},
            )
        with pytest.raises(Exception, match="400"):
            await c.ws_connect("/ws/..%2Fetc")
        assert list(tmp_path.iterdir()) == []
    finally:
        await c.close()


async def test_a_session_runs_tutor_with_the_learners_home_and_the_cap_holds(tmp_path):
    c = await client(tmp_path, max_sessions=1)
    origin = f"http://{c.host}:{c.port}"
    try:
        ws = await c.ws_connect("/ws/ana?width=100&height=30", headers={"Origin": origin})
        seen = b""
        while b"Course" not in seen:
            msg = await ws.receive(timeout=30)
            assert msg.type == WSMsgType.BINARY, msg
            seen += msg.data
        assert (tmp_path / "ana" / "progress.db").is_file()
        (session,) = c.course.sessions
        pid = session._process.pid
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        assert f"TUTOR_HOME={tmp_path / 'ana'}".encode() in environ
        # The second session is turned away with a line on its terminal.
        second = await c.ws_connect("/ws/bo", headers={"Origin": origin})
        msg = await second.receive(timeout=10)
        assert b"This server is full (1 sessions)" in msg.data
        assert (await second.receive(timeout=10)).type == WSMsgType.CLOSE
        assert not (tmp_path / "bo").exists()
        # Closing the page ends the session's process.
        await ws.close()
        for _ in range(150):
            if not c.course.sessions and not Path(f"/proc/{pid}").exists():
                break
            await asyncio.sleep(0.1)
        assert not c.course.sessions and not Path(f"/proc/{pid}").exists()
    finally:
        await c.close()
