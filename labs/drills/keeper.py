"""The keeper: the background process that holds a live drill's broken world
between CLI commands (started by `labs.drills.session.start`).

It builds the world in namespaces named after its own pid (so once it is
gone, `tutor doctor --cleanup` removes them), starts the servers and the
sniffer in them (they die with it: PR_SET_PDEATHSIG), and answers one JSON
request per connection on a Unix socket in a private temporary directory
(also named after its pid): {"op": "probe", "args": {...}} runs a probe in
the laptop's namespace and returns its result and the frames captured on
the office gateway; {"op": "stop"} tears everything down and exits; so do
SIGTERM and SIGINT.
"""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from labs.capture.leftovers import temp_prefix
from labs.drills import registry
from labs.drills import world as drill_world
from labs.drills.spec import World
from labs.netsim import netns

SOCKET = "keeper.sock"

_BOOT = (
    "import ctypes, os, signal; ctypes.CDLL(None).prctl(1, signal.SIGKILL); "
    "os.getppid() == {parent} or os._exit(1); "
    "import sys; sys.path.insert(0, {root!r}); from {module} import main; "
    "sys.exit(main(sys.argv[1:]))"
)


def argv(module: str, command: str, die_with_parent: bool = True) -> list[str]:
    """A child's command line: `-I` keeps the working directory and
    PYTHONPATH off sys.path (it runs as root); our own package's path is given.
    An agent dies with the keeper that started it (PR_SET_PDEATHSIG)."""
    if not re.fullmatch(r"labs\.drills\.\w+", module):
        raise ValueError(f"not a drill module: {module!r}")
    root = str(Path(__file__).resolve().parents[2])
    boot = _BOOT.format(parent=os.getpid(), root=root, module=module)
    if not die_with_parent:
        boot = boot.split("os._exit(1); ", 1)[1]
    return [sys.executable, "-I", "-c", boot, command]


def _agent(net: netns.Network, role: str, command: str, args: dict[str, Any]) -> netns.Agent:
    proc = subprocess.Popen(
        ["ip", "netns", "exec", net.ns(role), *argv("labs.drills.agent", command)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True, cwd="/",
    )  # fmt: skip
    agent = netns.Agent(proc, net.topology.node(role).label, command)
    net.agents.append(agent)
    agent.tell(json.dumps(args))
    return agent


def _certificates(world: World) -> tuple[str, list[dict[str, Any]]]:
    """The drill's own CA (the laptop trusts it) and each service's arguments,
    with a certificate for each HTTPS one: right, expired, or for another name."""
    import trustme

    ca = trustme.CA(organization_name="tutor drill CA")
    services = []
    for svc in world.services:
        args = drill_world.service_args(svc)
        if svc.kind == "https":
            names = list(svc.args[:1]) if svc.cert == "wrong-name" else [svc.name]
            if svc.cert == "expired":
                now = datetime.now(UTC)
                before, after = now - timedelta(days=400), now - timedelta(days=3)
                leaf = ca.issue_cert(*names, not_before=before, not_after=after)
            else:
                leaf = ca.issue_cert(*names)
            args["cert_pem"] = b"".join(b.bytes() for b in leaf.cert_chain_pems).decode()
            args["key_pem"] = leaf.private_key_pem.bytes().decode()
            args["args"] = []
        services.append(args)
    return ca.cert_pem.bytes().decode(), services


def _reply(conn: socket.socket, message: dict[str, Any]) -> None:
    try:
        conn.sendall((json.dumps(message) + "\n").encode())
    except OSError:
        pass  # the asking command went away (Ctrl-C); the next one asks again


def _read(conn: socket.socket) -> dict[str, Any]:
    conn.settimeout(10)
    data = b""
    while not data.endswith(b"\n") and (chunk := conn.recv(65536)):
        data += chunk
    request: dict[str, Any] = json.loads(data or b"{}")
    return request


def _probe(
    net: netns.Network, sniffer: netns.Agent, ca: str, args: dict[str, Any]
) -> dict[str, Any]:
    sniffer.tell("take")  # forget what came before (a late retransmission of the last probe)
    sniffer.read(10)
    args = dict(args, resolver=drill_world.GATEWAY, src=drill_world.CLIENT, ca_pem=ca)
    agent = _agent(net, "client", "probe", args)
    try:
        result = agent.read(30)
    finally:
        agent.stop()
        net.agents.remove(agent)
    sniffer.tell("take")
    return {"result": result, "frames": sniffer.read(10)["frames"]}


def serve(
    net: netns.Network, world: World, listener: socket.socket, owner: int | None = None
) -> None:
    """Answer probes until told to stop or, when `owner` (a pidfd) is given,
    until that process ends: the TUI's drill ends with the TUI, even one
    killed with SIGKILL (a CLI drill has no owner: it outlives its commands)."""
    ca, services = _certificates(world)
    dns = drill_world.dns_args(world)
    agents = [
        _agent(net, "gw", "dns", {"resolver": dns["resolver"]}),
        _agent(net, "server", "web", {"services": services, "authoritative": dns["authoritative"]}),
        _agent(net, "gw", "sniff", {"ifaces": list(drill_world.SNIFF)}),
    ]
    for agent in agents:
        agent.read(20)
    sniffer = agents[-1]
    print(json.dumps({"ready": True, "netns": sorted(net.names.values())}), flush=True)
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # nobody reads our stdout any more
    while True:
        if owner is not None:
            ready, _, _ = select.select([listener.fileno(), owner], [], [])
            if owner in ready:
                return  # the app that started this drill is gone
        conn, _ = listener.accept()
        with conn:
            try:
                request = _read(conn)
            except (OSError, ValueError):
                continue
            if request.get("op") == "stop":
                _reply(conn, {"stopping": True})
                return
            if request.get("op") == "probe":
                try:
                    _reply(conn, _probe(net, sniffer, ca, request["args"]))
                except Exception as exc:  # one probe failing does not end the drill
                    _reply(conn, {"error": str(exc)})
            else:
                _reply(conn, {"alive": True, "pid": os.getpid()})


def main(argv_: list[str]) -> int:
    request = json.loads(sys.stdin.readline() or "{}")
    variant = registry.get(request["drill"]).variant(int(request["seed"]))
    # A pidfd becomes readable when its process ends; opening it fails if it already has.
    owner = os.pidfd_open(int(request["owner"])) if request.get("owner") else None
    where = tempfile.mkdtemp(prefix=temp_prefix("drill"))
    try:
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(os.path.join(where, SOCKET))
        listener.listen(4)
        print(json.dumps({"socket": os.path.join(where, SOCKET)}), flush=True)
        with netns.network(drill_world.topology(variant.world)) as net:
            drill_world.build(net, variant.world)
            serve(net, variant.world, listener, owner)
    except Exception as exc:  # told to the starting command as one line
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}), flush=True)
        return 1
    finally:
        shutil.rmtree(where, ignore_errors=True)
    return 0
