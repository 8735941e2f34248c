"""What this machine lets a lab do: live capture, network namespaces.

Cheap to import and to call; no scapy here.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

CAP_NET_RAW = 13
CAP_NET_ADMIN = 12

#: Set TUTOR_CAPTURE=reconstructed to force the unprivileged path (tests, or a
#: learner who wants to compare); TUTOR_CAPTURE=live to insist on live capture.
CAPTURE_ENV = "TUTOR_CAPTURE"


def _effective_caps() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("CapEff:"):
                    return int(line.split()[1], 16)
    except OSError:
        pass
    return 0


def has_cap(bit: int) -> bool:
    return os.geteuid() == 0 or bool(_effective_caps() >> bit & 1)


def libpcap_available() -> bool:
    """scapy needs libpcap only to compile BPF filters (see LAB-ENV.md)."""
    from ctypes.util import find_library

    return find_library("pcap") is not None


@dataclass(frozen=True)
class Capability:
    """Whether something is possible here, and a plain sentence saying why."""

    ok: bool
    reason: str


def live_capture() -> Capability:
    forced = os.environ.get(CAPTURE_ENV, "").strip().lower()
    if forced == "reconstructed":
        return Capability(False, f"{CAPTURE_ENV}=reconstructed asks for the unprivileged path.")
    if not has_cap(CAP_NET_RAW):
        return Capability(
            False,
            "Live capture needs root or CAP_NET_RAW; labs will record the bytes at the "
            "socket and reconstruct the headers instead.",
        )
    if not libpcap_available():
        return Capability(
            False,
            "Live capture needs libpcap (apt-get install libpcap0.8) to filter to the "
            "lab's own traffic; labs will reconstruct the headers instead.",
        )
    return Capability(
        True, "Running with capture privilege and libpcap: packets are captured live."
    )


def namespaces() -> Capability:
    if os.environ.get("TUTOR_SIMULATE", "").strip() in ("1", "yes", "true"):
        return Capability(False, "TUTOR_SIMULATE=1 asks for the simulated versions.")
    if not has_cap(CAP_NET_ADMIN) or os.geteuid() != 0:
        return Capability(
            False,
            "Building routers in network namespaces needs root; the routing labs will run "
            "their simulated version.",
        )
    if shutil.which("ip") is None:
        return Capability(
            False, "The `ip` command (iproute2) is missing; the routing labs will be simulated."
        )
    if not os.path.isdir("/run/netns") and not os.access("/run", os.W_OK):
        return Capability(False, "Cannot create /run/netns; the routing labs will be simulated.")
    return Capability(True, "Running as root with iproute2: routers are built in namespaces.")
