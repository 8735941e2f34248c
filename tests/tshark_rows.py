"""Ask tshark for field values, one dict per packet, so tests can compare
a trace's Wireshark-named fields with what Wireshark itself shows."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path


def tshark_rows(
    pcap: Path | str,
    names: Sequence[str],
    decode_as: Sequence[str] = (),
    display_filter: str | None = None,
) -> list[dict[str, str]]:
    """`tshark -r PCAP -T fields -e NAME...`; `decode_as` entries like
    "udp.port==8053,dns" are passed as `-d`. Multiple values stay comma-joined."""
    args = ["tshark", "-r", str(pcap)]
    for rule in decode_as:
        args += ["-d", rule]
    if display_filter:
        args += ["-Y", display_filter]
    args += ["-T", "fields"]
    for name in names:
        args += ["-e", name]
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=60).stdout
    return [dict(zip(names, line.split("\t"), strict=True)) for line in out.splitlines()]
