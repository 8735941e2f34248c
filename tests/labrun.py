"""Run a lab from a test the way the CLI and the TUI do: options by name,
validated by the lab's spec, then `labs.api.run_lab`."""

from __future__ import annotations

from collections.abc import Callable
from threading import Event
from typing import Any

from labs.api import get, run_lab
from labs.model.trace import Packet, Trace


def run(
    lab: str,
    target: str | None = None,
    timeout: float | None = None,
    progress: Callable[[str], None] | None = None,
    cancel: Event | None = None,
    **options: Any,
) -> Trace:
    request = get(lab).request(target=target, timeout=timeout, given=options)
    return run_lab(request, progress=progress, cancel=cancel)


def values(packet: Packet) -> dict[str, str]:
    """A packet's fields by Wireshark name, the first of each, as tshark's
    `-T fields -e NAME` shows them (its `value`, not the reading)."""
    out: dict[str, str] = {}
    for layer in packet.layers:
        for f in layer.fields:
            if f.filter:
                out.setdefault(f.filter, f.value)
    return out
