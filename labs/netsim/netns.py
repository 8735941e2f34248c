"""Build a `Topology` for real in Linux network namespaces, run programs inside
it, and always take it down again.

Each node becomes a namespace named ``tutor-<pid>-<random>-<role>``; cables
are veth pairs created directly inside the two namespaces they join, so the
machine's own namespace never gets an interface or a route toward the lab.
`network()` tears everything down on success, error, Ctrl-C and SIGTERM;
`cleanup_leftovers()` removes what a killed run left behind (only namespaces
with our prefix whose creating process is gone).
"""

from __future__ import annotations

import ctypes
import fcntl
import json
import os
import re
import secrets
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Any

from labs.capture.leftovers import gone, remove_temp_of
from labs.core.base import LabContext
from labs.model.errors import LabError
from labs.netsim.routes import RouteEntry
from labs.netsim.routes import read as read_routes
from labs.netsim.topology import Topology

PREFIX = "tutor-"
_NAME = re.compile(r"^tutor-(\d+)-([0-9a-f]+)-[a-z0-9]+$")
NETNS_DIR = Path("/run/netns")

#: Sysctls every namespace gets before its interfaces exist. IPv6 is off so
#: the captures show only the lab's IPv4 traffic (no router solicitations).
_COMMON_SYSCTLS = {
    "net.ipv6.conf.all.disable_ipv6": "1",
    "net.ipv6.conf.default.disable_ipv6": "1",
}
#: Routers forward, and answer ICMP errors from the address of the interface
#: the packet came in on (what traceroute shows as the hop's address).
_ROUTER_SYSCTLS = {
    "net.ipv4.ip_forward": "1",
    "net.ipv4.icmp_errors_use_inbound_ifaddr": "1",
}


def run_command(args: list[str], check: bool = True, stdin: str | None = None) -> str:
    proc = subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=20)
    if check and proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        raise LabError(
            f"Building the lab's network failed: `{' '.join(args[:6])}` said "
            f"{detail[-1] if detail else 'nothing'}.",
            "Run `tutor doctor` to see what this machine allows.",
        )
    return proc.stdout


_CLONE_NEWNET = 0x40000000
_SIOCETHTOOL = 0x8946
_ETHTOOL_STXCSUM = 0x17


def in_netns(name: str, work: Callable[[], None]) -> None:
    """Run `work` in a thread that has entered namespace `name` (setns moves
    only the calling thread, so the rest of the program stays where it is)."""
    failure: list[BaseException] = []

    def target() -> None:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            fd = os.open(NETNS_DIR / name, os.O_RDONLY)
            try:
                if libc.setns(fd, _CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), f"setns into {name}")
            finally:
                os.close(fd)
            work()
        except BaseException as exc:  # handed back to the caller's thread
            failure.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if failure:
        raise LabError(f"Setting up the lab's network failed: {failure[0]}.")


def checksums_in_software(ifnames: list[str]) -> None:
    """Turn off checksum offload on veths, inside the current namespace.

    A veth normally leaves TCP checksums to "the hardware", which does not
    exist: captures would show half-computed checksums. Computing them in
    software puts the true checksum on the wire, so before/after NAT compares
    real values (and Wireshark agrees)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for ifname in ifnames:
            value = ctypes.create_string_buffer(struct.pack("II", _ETHTOOL_STXCSUM, 0))
            ifreq = struct.pack("16sP", ifname.encode(), ctypes.addressof(value))
            fcntl.ioctl(sock.fileno(), _SIOCETHTOOL, ifreq.ljust(40, b"\0"))


def _sysctl_script(values: dict[str, str]) -> str:
    return "; ".join(
        f"echo {v} > /proc/sys/{k.replace('.', '/')}" for k, v in sorted(values.items())
    )


#: Started in the agent before anything else: it dies with the run that
#: started it (PR_SET_PDEATHSIG), even one killed with SIGKILL, instead of
#: living on in its namespace until a cleanup; and if that run is already
#: gone it exits at once.
_DIE_WITH_PARENT = (
    "import ctypes, os, signal; ctypes.CDLL(None).prctl(1, signal.SIGKILL); "
    "os.getppid() == {parent} or os._exit(1); "
)


def agent_argv(
    command: str, args: dict[str, Any], module: str = "labs.netsim.ns_agent"
) -> list[str]:
    """The command line of an agent (`module`'s `main`). It runs as root, so
    `-I` keeps the working directory (where `python -m` would find a planted
    `labs/`), PYTHONPATH and the user's site-packages off sys.path; our own
    package's path is given. (`ip netns exec` execs it: its parent is us.)"""
    if not re.fullmatch(r"labs\.netsim\.\w+", module):
        raise ValueError(f"not an agent module: {module!r}")
    root = str(Path(__file__).resolve().parents[2])
    boot = _DIE_WITH_PARENT.format(parent=os.getpid())
    boot += f"import sys; sys.path.insert(0, {root!r}); from {module} import main; "
    python = [sys.executable, "-I", "-c", boot + "sys.exit(main(sys.argv[1:]))"]
    return python + [command, json.dumps(args)]


class Agent:
    """A `labs.netsim.ns_agent` program running inside one namespace, talking JSON
    lines on stdin/stdout (see that module for the commands)."""

    def __init__(self, proc: subprocess.Popen[str], role: str, command: str) -> None:
        self.proc = proc
        self.role = role
        self.command = command

    def read(self, timeout: float, ctx: LabContext | None = None) -> dict[str, Any]:
        """The agent's next message; LabError if it dies or stays silent."""
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        while True:
            if ctx is not None:
                ctx.check()
            left = deadline - time.monotonic()
            if left <= 0:
                raise LabError(
                    f"The lab's {self.command} program in {self.role} did not answer in "
                    f"{timeout:g} s.",
                    "Try again; if it keeps happening, run `tutor doctor`.",
                )
            ready, _, _ = select.select([self.proc.stdout], [], [], min(left, 0.1))
            if not ready:
                continue
            line = self.proc.stdout.readline()
            if not line:
                self.proc.wait(timeout=5)
                raise LabError(
                    f"The lab's {self.command} program in {self.role} stopped: {self._why()}."
                )
            try:
                message: dict[str, Any] = json.loads(line)
            except ValueError:
                message = {"error": f"it said {line.strip()[:200]!r}"}
            if "error" in message:
                raise LabError(
                    f"The lab's {self.command} program in {self.role} failed: {message['error']}"
                )
            return message

    def tell(self, line: str) -> None:
        """One line to the agent's stdin ("stop" ends serve and sniff)."""
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(line + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass  # it already stopped; the next read() says why

    def _why(self) -> str:
        err = self.proc.stderr.read() if self.proc.stderr else ""
        lines = [ln for ln in err.strip().splitlines() if ln.strip()]
        return lines[-1] if lines else f"exit status {self.proc.returncode}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=5)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


class Network:
    """A topology built in namespaces. Use through `network()`."""

    def __init__(self, topology: Topology, run_id: str | None = None) -> None:
        self.topology = topology
        self.run_id = run_id or f"{os.getpid()}-{secrets.token_hex(3)}"
        self.names = {n.role: f"{PREFIX}{self.run_id}-{n.role}" for n in topology.nodes}
        self.created: list[str] = []
        self.agents: list[Agent] = []

    def ns(self, role: str) -> str:
        return self.names[role]

    def build(self) -> None:
        for node in self.topology.nodes:
            name = self.names[node.role]
            # Listed before it exists: a signal arriving while `ip` creates it
            # must not leave it out of the teardown.
            self.created.append(name)
            run_command(["ip", "netns", "add", name])
            sysctls = dict(_COMMON_SYSCTLS)
            if node.forwards:
                sysctls.update(_ROUTER_SYSCTLS)
            run_command(["ip", "netns", "exec", name, "sh", "-c", _sysctl_script(sysctls)])
        for link in self.topology.links():
            run_command(
                ["ip", "link", "add", "name", link.a_if, "netns", self.names[link.a]]
                + ["type", "veth", "peer", "name", link.b_if, "netns", self.names[link.b]]
            )
        for node in self.topology.nodes:
            lines = ["link set lo up"]
            for iface in node.interfaces:
                lines.append(f"addr add {iface.address} dev {iface.name}")
                lines.append(f"link set {iface.name} up")
            for dest, via in node.routes:
                lines.append(f"route add {dest} via {via}")
            run_command(
                ["ip", "-n", self.names[node.role], "-batch", "-"], stdin="\n".join(lines) + "\n"
            )
            ifnames = [i.name for i in node.interfaces]
            in_netns(self.names[node.role], partial(checksums_in_software, ifnames))

    def ip(self, role: str, *args: str) -> str:
        """`ip` run inside a node's namespace (`ip -n NS ...`)."""
        return run_command(["ip", "-n", self.names[role], *args])

    def tables(self) -> dict[str, tuple[RouteEntry, ...]]:
        """Every node's real IPv4 routing table by role, as `ip -j route` reports it."""
        return {
            n.role: read_routes(json.loads(self.ip(n.role, "-j", "-4", "route") or "[]"))
            for n in self.topology.nodes
        }

    def agent(self, role: str, command: str, **args: Any) -> Agent:
        """Start `labs.netsim.ns_agent COMMAND ARGS` inside a node's namespace."""
        proc = subprocess.Popen(
            ["ip", "netns", "exec", self.names[role], *agent_argv(command, args)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # Ctrl-C reaches us, not the agents; we stop them
            cwd="/",  # nothing of the learner's directory is near a root process
        )
        agent = Agent(proc, self.topology.node(role).label, command)
        self.agents.append(agent)
        return agent

    def teardown(self) -> list[str]:
        """Stop our agents, kill whatever else runs inside, delete the namespaces,
        and remove the temporary files the agents made (a TLS key log)."""
        pids = {agent.proc.pid for agent in self.agents}
        for agent in self.agents:
            try:
                agent.stop()
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.agents.clear()
        remove_temp_of(pids)
        removed = [name for name in self.created if _remove(name)]
        self.created.clear()
        return removed


def _remove(name: str) -> bool:
    pids = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True).stdout
    for pid in pids.split():
        _kill_and_wait(int(pid))
    return subprocess.run(["ip", "netns", "del", name], capture_output=True).returncode == 0


def _kill_and_wait(pid: int, timeout: float = 2.0) -> None:
    """SIGKILL `pid` and wait (bounded) until it has exited: a pidfd becomes
    readable at that moment."""
    try:
        fd = os.pidfd_open(pid)
    except OSError:
        return  # already gone
    try:
        os.kill(pid, signal.SIGKILL)
        select.select([fd], [], [], timeout)
    except ProcessLookupError:
        pass
    finally:
        os.close(fd)


class _Signals:
    """While a network is up in the main thread: SIGTERM unwinds like an
    exception (so `finally` tears down), and Ctrl-C or SIGTERM arriving during
    the teardown itself waits until the teardown is done."""

    def __init__(self) -> None:
        self.active = threading.current_thread() is threading.main_thread()
        self.previous: dict[int, Any] = {}
        self.deferred: list[int] = []
        self.tearing_down = False

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.tearing_down:
            self.deferred.append(signum)
            return
        if signum == signal.SIGTERM:
            raise SystemExit(128 + signum)
        raise KeyboardInterrupt

    def __enter__(self) -> _Signals:
        if self.active:
            self.previous[signal.SIGTERM] = signal.signal(signal.SIGTERM, self._handle)
        return self

    def tearing(self) -> None:
        self.tearing_down = True
        if self.active:
            self.previous.setdefault(signal.SIGINT, signal.signal(signal.SIGINT, self._handle))

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)
        for signum in self.deferred[:1]:
            signal.raise_signal(signum)


@contextmanager
def network(topology: Topology, ctx: LabContext | None = None) -> Iterator[Network]:
    """Build `topology` in namespaces; always remove it when the block ends."""
    cleanup_leftovers()  # what crashed runs left behind would otherwise linger
    net = Network(topology)
    with _Signals() as signals:
        try:
            if ctx is not None:
                ctx.say("Building the lab's network in namespaces...")
            net.build()
            yield net
        finally:
            signals.tearing()
            net.teardown()


def ours() -> list[str]:
    """Namespaces that tutor created (by name), whether their run is alive or not."""
    try:
        names = os.listdir(NETNS_DIR)
    except OSError:
        return []
    return sorted(n for n in names if _NAME.match(n))


def orphaned(name: str) -> bool:
    """True when the run that created namespace `name` is gone: its pid is dead,
    or that pid now belongs to a process started after the namespace was made."""
    match = _NAME.match(name)
    if not match:
        return False
    try:
        made = (NETNS_DIR / name).stat().st_mtime
    except OSError:
        return False
    return gone(int(match.group(1)), made)


def cleanup_leftovers() -> list[str]:
    """Remove namespaces a crashed or killed tutor run left behind (and the
    processes still running in them). Returns the names removed."""
    return [name for name in ours() if orphaned(name) and _remove(name)]
