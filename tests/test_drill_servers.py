"""The drills' fault servers against real sockets on 127.0.0.1: the rate
limiter's 429 and Retry-After, the load balancer's 503 naming its dead
backend, and the middlebox that resets a kept-alive connection after its
idle timeout. Time is moved with an injected clock, never slept."""

from __future__ import annotations

import http.client
import select
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests

from labs.drills.servers.idle_middlebox import IdleMiddlebox, Reuse, reuse_after
from labs.drills.servers.loadbalancer import Backend, DeadPort, LoadBalancer, Site, Upstream
from labs.drills.servers.ratelimit import RateLimitedAPI


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# -- the rate limiter -----------------------------------------------------------


def test_rate_limiter_answers_429_with_retry_after_after_the_limit():
    clock = FakeClock()
    with RateLimitedAPI(limit=3, window=10, clock=clock) as api, requests.Session() as s:
        answers = [s.get(api.url("/quotes")) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
        assert all(a.headers["X-RateLimit-Limit"] == "3" for a in answers)
        assert "Retry-After" not in answers[0].headers
        assert answers[3].headers["Retry-After"] == "10"
        assert answers[3].json()["error"] == "rate_limited"
        assert answers[3].reason == "Too Many Requests"

        clock.now += 3.5  # Retry-After counts down, rounded up to whole seconds
        assert s.get(api.url("/quotes")).headers["Retry-After"] == "7"
        clock.now += 6.5  # the window has ended: allowed again
        assert s.get(api.url("/quotes")).status_code == 200

    assert [x.status for x in api.served] == [200, 200, 200, 429, 429, 200]
    assert [x.retry_after for x in api.served][3:5] == [10, 7]


def test_rate_limiter_counts_each_client_on_its_own():
    clock = FakeClock()
    with RateLimitedAPI(limit=1, window=60, clock=clock) as api:

        def status_from(source: str) -> int:
            conn = http.client.HTTPConnection(api.host, api.port, source_address=(source, 0))
            try:
                conn.request("GET", "/")
                answer = conn.getresponse()
                answer.read()
                return answer.status
            finally:
                conn.close()

        assert [status_from("127.0.0.1"), status_from("127.0.0.1")] == [200, 429]
        assert status_from("127.0.0.2") == 200
    assert {x.client for x in api.served} == {"127.0.0.1", "127.0.0.2"}


def test_rate_limiter_refuses_a_nonsense_configuration():
    with pytest.raises(ValueError):
        RateLimitedAPI(limit=0)


# -- the load balancer ----------------------------------------------------------


def test_dead_port_refuses_connections():
    with DeadPort() as dead, pytest.raises(ConnectionRefusedError):
        socket.create_connection((dead.host, dead.port), timeout=2).close()


def test_load_balancer_gives_503_naming_the_dead_backend_every_other_request():
    with Site(alive="app-1", dead="app-2") as site, requests.Session() as s:
        assert site.lb is not None and site.dead is not None
        answers = [s.get(f"http://127.0.0.1:{site.port}/checkout") for _ in range(4)]
        dead_label = f"app-2 127.0.0.1:{site.dead.port}"
        assert [a.status_code for a in answers] == [200, 503, 200, 503]
        assert [a.headers["X-Backend"].split()[0] for a in answers] == ["app-1", "app-2"] * 2
        assert answers[1].headers["X-Backend"] == dead_label
        assert answers[1].headers["Server"] == "tutor-lb"
        assert answers[1].json()["backend"] == "app-2"
        assert "connection refused" in answers[1].json()["message"]
        assert answers[0].json() == {"ok": True, "served_by": "app-1", "path": "/checkout"}
        routed = list(site.lb.routed)
    assert [(r.backend, r.status, r.reason) for r in routed][:2] == [
        ("app-1", 200, ""),
        ("app-2", 503, "connection refused"),
    ]


def test_load_balancer_forwards_method_body_and_client_address():
    seen: list[tuple[str, bytes, str]] = []
    with Backend("app-1") as backend:
        original = backend._handler._answer  # type: ignore[attr-defined]

        def spy(handler):
            length = int(handler.headers.get("Content-Length") or 0)
            body = handler.rfile.read(length)
            seen.append((handler.command, body, handler.headers["X-Forwarded-For"]))
            handler.headers.replace_header("Content-Length", "0")
            original(handler)

        backend._handler._answer = spy  # type: ignore[attr-defined]
        backend._handler.do_POST = spy  # type: ignore[attr-defined]
        try:
            with LoadBalancer("127.0.0.1", 0, [backend.upstream()]) as lb:
                answer = requests.post(lb.url("/pay"), json={"amount": 12})
        finally:
            del backend._handler._answer, backend._handler.do_POST  # type: ignore[attr-defined]
    assert answer.status_code == 200
    assert seen == [("POST", b'{"amount": 12}', "127.0.0.1")]


def test_load_balancer_gives_503_when_a_backend_accepts_but_never_answers():
    # A listener nobody accepts from: the kernel completes the handshake, no answer comes.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(4)
    try:
        pool = [Upstream("app-9", "127.0.0.1", silent.getsockname()[1])]
        with LoadBalancer("127.0.0.1", 0, pool, connect_timeout=0.3) as lb:
            answer = requests.get(lb.url("/"))
    finally:
        silent.close()
    assert answer.status_code == 503
    assert lb.routed[0].reason == "timed out"


# -- the idle middlebox ---------------------------------------------------------


def test_middlebox_resets_a_kept_alive_connection_reused_after_the_idle_timeout():
    clock = FakeClock()
    with (
        Backend("app-1") as backend,
        IdleMiddlebox("127.0.0.1", 0, backend.address, idle_timeout=30, clock=clock) as box,
        requests.Session() as s,
    ):
        url = f"http://127.0.0.1:{box.port}/"
        assert s.get(url).status_code == 200
        clock.now += 29  # under the timeout: the same connection still works
        assert s.get(url).status_code == 200
        assert box.connections == 1
        clock.now += 31
        with pytest.raises(requests.ConnectionError, match="reset"):
            s.get(url)
        assert s.get(url).status_code == 200  # a fresh connection is fine
        assert box.connections == 2
    assert len(box.resets) == 1
    assert box.resets[0].woken_by == "client"
    assert box.resets[0].idle_seconds == pytest.approx(31)


def test_middlebox_forgets_silently_and_answers_the_next_segment_with_rst():
    clock = FakeClock()
    request = b"GET / HTTP/1.1\r\nHost: shop\r\n\r\n"
    with (
        Backend("app-1") as backend,
        IdleMiddlebox("127.0.0.1", 0, backend.address, idle_timeout=5, clock=clock) as box,
        socket.create_connection(("127.0.0.1", box.port), timeout=5) as sock,
    ):
        sock.sendall(request)
        answer = http.client.HTTPResponse(sock)
        answer.begin()
        assert answer.status == 200
        answer.read()
        clock.now += 6
        # Forgotten, but nothing was sent: no FIN, no RST to read.
        assert select.select([sock], [], [], 0.3)[0] == []
        sock.sendall(request)
        with pytest.raises(ConnectionResetError):
            sock.recv(100)
            sock.recv(100)


def test_reuse_after_is_the_probe_that_shows_the_fault():
    clock = FakeClock()

    def wait(seconds: float) -> None:
        clock.now += seconds

    def relayed(box: IdleMiddlebox) -> None:
        # The clock is shared: let the box finish relaying the closed
        # connection's FIN before the next probe moves the clock on, or that
        # FIN meets the idle timeout too (as it would on a real middlebox).
        deadline = time.monotonic() + 10
        while box._open and time.monotonic() < deadline:
            time.sleep(0.01)

    with (
        Backend("app-1") as backend,
        IdleMiddlebox("127.0.0.1", 0, backend.address, idle_timeout=5, clock=clock) as box,
    ):
        assert reuse_after("127.0.0.1", box.port, 4, sleep=wait) == Reuse(200, "200", True)
        relayed(box)
        assert reuse_after("127.0.0.1", box.port, 6, sleep=wait) == Reuse(200, "reset", True)
        # Straight to the server, the same gap is harmless: the fault is in the path.
        assert reuse_after(*backend.address, 6, sleep=wait) == Reuse(200, "200", True)
    assert [r.idle_seconds for r in box.resets] == [6]


def test_middlebox_passes_a_half_close_through():
    with (
        Backend("app-1") as backend,
        IdleMiddlebox("127.0.0.1", 0, backend.address) as box,
        socket.create_connection(("127.0.0.1", box.port), timeout=5) as sock,
    ):
        sock.sendall(b"GET /x HTTP/1.1\r\nHost: shop\r\nConnection: close\r\n\r\n")
        sock.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := sock.recv(4096):
            data += chunk
    assert data.startswith(b"HTTP/1.1 200 ")
    assert b'"path": "/x"' in data
    assert box.resets == []


# -- as child processes (how a drill starts them inside a namespace) -------------


@pytest.mark.parametrize(
    "module, extra",
    [
        ("labs.drills.servers.ratelimit", []),
        ("labs.drills.servers.loadbalancer", []),
        ("labs.drills.servers.idle_middlebox", []),
        ("labs.drills.servers.idle_middlebox", ["--upstream"]),
    ],
)
def test_each_server_runs_as_a_child_and_stops_on_sigterm(module, extra):
    upstream = Backend("app-1").start()
    if extra:
        extra = [*extra, f"127.0.0.1:{upstream.port}"]
    child = subprocess.Popen(
        [sys.executable, "-I", "-m", module, "--listen", "127.0.0.1:0", *extra],
        cwd="/",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line.startswith("listening 127.0.0.1:")
        port = int(line.rsplit(":", 1)[1])
        answer = requests.get(f"http://127.0.0.1:{port}/", timeout=5)
        assert answer.status_code in (200, 503)
        child.send_signal(signal.SIGTERM)
        assert child.wait(timeout=10) == 0
    finally:
        upstream.stop()
        if child.poll() is None:
            child.kill()
            child.wait()


def test_bad_input_is_one_line_and_exit_2():
    done = subprocess.run(
        [sys.executable, "-I", "-m", "labs.drills.servers.ratelimit", "--listen", "nowhere"],
        cwd="/",
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert "HOST:PORT" in done.stderr
