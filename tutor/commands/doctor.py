"""`tutor doctor`: what this machine lets the labs do — live capture,
network namespaces, the tools the tests compare against, loopback, and
whether a network beyond this machine is configured.

It sends nothing beyond this machine: loopback is checked by connecting to
a listener it opens on 127.0.0.1, and "network beyond" only reads the
routing table.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import time
from dataclasses import asdict, dataclass

from tutor.commands import fail


@dataclass(frozen=True)
class Check:
    """One line of the report."""

    name: str
    ok: bool
    detail: str


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "doctor",
        help="what this machine allows: live capture, namespaces, network",
        description="Check what the labs can do here: capture live or reconstruct, build "
        "routers in network namespaces or simulate them, and reach the network. Sends "
        "nothing beyond this machine.",
    )
    p.add_argument(
        "--cleanup",
        action="store_true",
        help="also remove what a killed tutor run left behind: network namespaces, their "
        "agent processes, temporary key logs and directories (only where that run is gone)",
    )
    p.add_argument("--json", action="store_true", help="print the checks as JSON")
    p.set_defaults(func=run)


def loopback() -> Check:
    """Open a listener on 127.0.0.1, connect to it, pass one byte each way."""
    started = time.perf_counter()
    try:
        with socket.create_server(("127.0.0.1", 0)) as listener:
            listener.settimeout(2)
            port = listener.getsockname()[1]
            with socket.create_connection(("127.0.0.1", port), timeout=2) as client:
                conn, _ = listener.accept()
                with conn:
                    client.sendall(b"?")
                    conn.sendall(conn.recv(1))
                    client.recv(1)
    except OSError as exc:
        return Check("loopback", False, f"127.0.0.1 is not usable ({exc}); no lab can run.")
    from tutor.timetext import took

    said = took(time.perf_counter() - started)
    return Check("loopback", True, f"127.0.0.1 works (a connection and a byte each way: {said}).")


def default_route() -> Check:
    """Whether the routing table has a way out, without sending anything."""
    found = []
    try:
        with open("/proc/net/route", encoding="ascii") as fh:
            for line in list(fh)[1:]:
                cols = line.split()
                if len(cols) > 7 and cols[1] == "00000000" and cols[7] == "00000000":
                    gateway = socket.inet_ntoa(bytes.fromhex(cols[2])[::-1])
                    found.append(f"via {gateway} on {cols[0]}")
    except OSError:
        pass
    try:
        with open("/proc/net/ipv6_route", encoding="ascii") as fh:
            for line in fh:
                cols = line.split()
                if len(cols) > 9 and cols[0] == "0" * 32 and cols[1] == "00" and cols[9] != "lo":
                    found.append(f"IPv6 on {cols[9]}")
    except OSError:
        pass
    if not found:
        return Check(
            "network beyond",
            False,
            "No default route: --target works only for this machine; the embedded labs are fine.",
        )
    return Check(
        "network beyond",
        True,
        f"A default route exists ({', '.join(found)}); --target can reach other hosts. "
        "(Only the routing table was read; nothing was sent.)",
    )


def tshark() -> Check:
    path = shutil.which("tshark")
    if path is None:
        return Check(
            "tshark", False, "Not installed: tests that compare fields with Wireshark are skipped."
        )
    try:
        out = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        out = ""
    version = out.splitlines()[0].rstrip(".") if out else path
    return Check("tshark", True, f"{version}: field values can be checked against Wireshark.")


def checks() -> list[Check]:
    from labs.api import libpcap_available, live_capture, namespaces

    live = live_capture()
    ns = namespaces()
    pcap = libpcap_available()
    return [
        Check("live capture", live.ok, live.reason),
        Check("namespaces", ns.ok, ns.reason),
        Check(
            "libpcap",
            pcap,
            "Found: BPF filters keep captures to a lab's own traffic."
            if pcap
            else "Missing (apt-get install libpcap0.8): live capture is off; labs reconstruct.",
        ),
        tshark(),
        loopback(),
        default_route(),
    ]


def _dead_drill() -> list[str]:
    """A live drill whose keeper was killed stays "in progress": clear its state
    (its network went with the namespaces above)."""
    from labs.api import drill_state, drill_stop
    from tutor.progress import home

    st = drill_state(home())
    if st is None or st.alive or st.finished or st.mode != "live":
        return []
    drill_stop(home())
    return [f"drill {st.drill}: its state (its keeper is gone)"]


def cleanup() -> tuple[bool, list[str], str]:
    from labs.api import cleanup_leftovers

    try:
        return True, cleanup_leftovers() + _dead_drill(), ""
    except Exception as exc:  # say what went wrong rather than fail the report
        return False, [], f"could not clean up everything ({type(exc).__name__}: {exc})"


def run(args: argparse.Namespace) -> int:
    found = checks()
    removed: list[str] = []
    problem = ""
    if args.cleanup:
        _ok, removed, problem = cleanup()
    if args.json:
        data: dict[str, object] = {"checks": [asdict(c) for c in found]}
        if args.cleanup:
            data["removed"] = removed
            data["cleanup_problem"] = problem
        print(json.dumps(data, indent=2))
        return 0 if not problem else 1
    width = max(len(c.name) for c in found)
    for c in found:
        print(f"{c.name:<{width}}  {'yes' if c.ok else 'no ':<3}  {c.detail}")
    if args.cleanup:
        if problem:
            return fail(problem, 1)
        if removed:
            print(f"\nRemoved {len(removed)} leftover(s) of runs that are gone:")
            for item in removed:
                print(f"  {item}")
        else:
            print("\nNothing left behind by earlier runs.")
    return 0
