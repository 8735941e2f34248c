"""The namespace builder: what it builds, that the machine's own namespace is
untouched, and that nothing is left behind after success, failure, Ctrl-C,
SIGTERM or a killed run (`cleanup_leftovers`)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from labrun import run

from labs.model.errors import Cancelled, LabError
from labs.netsim import netns, routes
from labs.netsim.topology import GATEWAY_NAT, TRACEROUTE

pytestmark = pytest.mark.needs_root

ROOT = Path(__file__).resolve().parent.parent


def mine() -> list[str]:
    """Our namespaces created by this test process."""
    return [n for n in netns.ours() if n.startswith(f"{netns.PREFIX}{os.getpid()}-")]


def host_state() -> tuple[str, str]:
    links = subprocess.run(["ip", "-j", "link"], capture_output=True, text=True).stdout
    names = sorted(link["ifname"] for link in json.loads(links))
    table = subprocess.run(["ip", "-j", "route"], capture_output=True, text=True).stdout
    return json.dumps(names), table


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def all_end(pids: list[int], within: float = 10.0) -> bool:
    """True once none of `pids` runs. An agent of a killed run dies by
    PR_SET_PDEATHSIG; while it exits it has already left its namespace (so
    `ip netns pids` no longer lists it) but may not have ended yet."""
    deadline = time.monotonic() + within
    while any(alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def ns_pids(name: str) -> list[int]:
    out = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


@pytest.fixture(autouse=True)
def nothing_left():
    yield
    assert mine() == []


def test_builds_the_topology_inside_namespaces_only():
    before = host_state()
    with netns.network(TRACEROUTE) as net:
        assert sorted(net.names.values()) == mine()
        assert host_state() == before  # no veth end, no route in the machine's namespace
        tables = net.tables()
        for node in TRACEROUTE.nodes:
            real = routes.parse(tables[node.role])
            modelled = routes.parse(routes.model(node))
            # The simulator's model of each table is what the kernel really built.
            assert [(r.network, r.via, r.dev) for r in real] == [
                (r.network, r.via, r.dev) for r in modelled
            ]
            forwarding = subprocess.run(
                ["ip", "netns", "exec", net.ns(node.role), "cat", "/proc/sys/net/ipv4/ip_forward"],
                capture_output=True,
                text=True,
            ).stdout.strip()
            assert forwarding == ("1" if node.forwards else "0")
        addrs = json.loads(net.ip("r1", "-j", "-4", "addr"))
        assert {a["local"] for i in addrs for a in i["addr_info"]} == {
            "127.0.0.1",
            "192.0.2.1",
            "198.51.100.1",
        }
    assert host_state() == before


def test_two_runs_never_collide():
    with netns.network(GATEWAY_NAT) as one, netns.network(GATEWAY_NAT) as two:
        assert set(one.names.values()).isdisjoint(two.names.values())
        assert len(mine()) == 6


def test_an_error_inside_the_block_still_tears_down():
    with pytest.raises(RuntimeError), netns.network(TRACEROUTE) as net:
        server = net.agent("b", "serve", host="203.0.113.10", port=80)
        server.read(10)
        pid = server.proc.pid
        raise RuntimeError("boom")
    assert not alive(pid)


def test_a_lab_whose_agent_dies_midway_fails_cleanly_and_leaves_nothing():
    seen: dict[str, list[int]] = {}

    def progress(message: str) -> None:
        if "calls the API" in message:
            gateway = next(n for n in mine() if n.endswith("-gw"))
            seen["gw"] = ns_pids(gateway)
            for pid in seen["gw"]:  # the sniffer, started by the lab in the gateway
                os.kill(pid, signal.SIGKILL)

    with pytest.raises(LabError, match="sniff program in the gateway stopped"):
        run("gateway-nat", timeout=5, progress=progress)
    assert seen["gw"]
    assert not any(alive(pid) for pid in seen["gw"])


def test_cancel_stops_the_lab_and_tears_down():
    cancel = threading.Event()

    def progress(message: str) -> None:
        if message.startswith("Sending"):
            cancel.set()

    with pytest.raises(Cancelled):
        run("traceroute", mode="tcp", progress=progress, cancel=cancel)


# A lab run in a child process that pauses, topology up and agents running,
# once it starts probing: the test then signals it.
CHILD = textwrap.dedent(
    """
    import sys, time
    from labs.api import get, run_lab

    def progress(message):
        if "calls the API" in message:
            print("UP", flush=True)
            time.sleep(30)

    run_lab(get("gateway-nat").request(), progress=progress)
    """
)


def start_child() -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "UP", proc.stderr.read() if proc.stderr else ""
    return proc


def child_namespaces(proc: subprocess.Popen[str]) -> list[str]:
    return [n for n in netns.ours() if n.startswith(f"{netns.PREFIX}{proc.pid}-")]


@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGTERM, 128 + signal.SIGTERM), (signal.SIGINT, -signal.SIGINT)]
)
def test_sigterm_or_ctrl_c_to_a_running_lab_leaves_nothing(signum, code):
    proc = start_child()
    names = child_namespaces(proc)
    assert len(names) == 3
    pids = [p for n in names for p in ns_pids(n)]
    assert pids  # the API server and the sniffer
    proc.send_signal(signum)
    assert proc.wait(15) == code
    assert child_namespaces(proc) == []
    assert all_end(pids)


@pytest.mark.kills_runs
def test_cleanup_leftovers_removes_a_killed_runs_namespaces_and_processes():
    proc = start_child()
    names = child_namespaces(proc)
    pids = [p for n in names for p in ns_pids(n)]
    proc.kill()
    proc.wait(5)
    assert child_namespaces(proc) == names  # a SIGKILL leaves them behind...
    assert all(netns.orphaned(n) for n in names)
    removed = netns.cleanup_leftovers()
    assert set(names) <= set(removed)  # ...and cleanup removes them
    assert child_namespaces(proc) == []
    assert all_end(pids)


def test_cleanup_leaves_live_runs_alone():
    with netns.network(TRACEROUTE) as net:
        assert not any(netns.orphaned(n) for n in net.names.values())
        assert set(net.names.values()).isdisjoint(netns.cleanup_leftovers())
        assert sorted(net.names.values()) == mine()


BUILD_CHILD = textwrap.dedent(
    """
    import time
    from labs.netsim import netns
    from labs.netsim.topology import GATEWAY_NAT

    with netns.network(GATEWAY_NAT):
        time.sleep(30)
    """
)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_while_the_network_is_being_built_leaves_nothing(signum):
    proc = subprocess.Popen([sys.executable, "-c", BUILD_CHILD], cwd=ROOT)
    deadline = time.monotonic() + 10
    while not child_namespaces(proc) and time.monotonic() < deadline:
        time.sleep(0.001)  # the first `ip netns add` of the child has run
    assert child_namespaces(proc)
    proc.send_signal(signum)
    proc.wait(15)
    assert child_namespaces(proc) == []


def test_a_planted_agent_in_the_working_directory_is_never_run(tmp_path, monkeypatch):
    """The agent runs as root: a `labs/netsim/ns_agent.py` in the directory the
    learner starts from must not be what runs (as `python -m` would)."""
    marker = tmp_path / "planted-ran"
    planted = tmp_path / "labs" / "netsim"
    planted.mkdir(parents=True)
    for init in (tmp_path / "labs" / "__init__.py", planted / "__init__.py"):
        init.write_text(f"open({str(marker)!r}, 'w').close()\n")
    (planted / "ns_agent.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    monkeypatch.chdir(tmp_path)
    with netns.network(TRACEROUTE) as net:
        server = net.agent("b", "serve", host="203.0.113.10", port=80)
        assert server.read(10)["ready"] is True  # our agent answered...
        server.tell("stop")
    assert not marker.exists()  # ...and the planted one never ran
