"""Shared by the webhooks, oauth and cors lab tests: every Wireshark-named
field of a run's trace against tshark's reading of the saved pcap, packet
by packet (the value must be one of the values tshark shows for that field
in that frame; tshark with its TCP reassembly on, as tutor reads an HTTP
message in the segment that completes it)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from labs.api import save_capture
from labs.model.trace import Trace

TSHARK = shutil.which("tshark")
#: Fields whose value tutor shows in another form than tshark's -T fields:
#: the body (tshark prints its bytes as hex).
OTHER_FORM = {"http.file_data"}


def _norm(value: str) -> str:
    # -T fields prints byte strings without the colons the trace uses.
    return value.replace(":", "") if all(c in "0123456789abcdef:" for c in value) else value


def check_with_tshark(trace: Trace, tmp_path: Path, ports: tuple[int, ...]) -> int:
    """Compare every named field; returns how many values were compared."""
    pcap = tmp_path / "run.pcap"
    written, _keys = save_capture(trace, pcap)
    wire = trace.wire_packets()
    assert written == len(wire)
    names = sorted(
        {f.filter for p in wire for layer in p.layers for f in layer.fields if f.filter}
        - OTHER_FORM
    )
    args = [str(TSHARK), "-r", str(pcap), "-o", "tcp.desegment_tcp_streams:TRUE",
            "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=|"]  # fmt: skip
    for port in ports:
        args += ["-d", f"tcp.port=={port},http"]
    for name in names:
        args += ["-e", name]
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=60).stdout
    rows = [dict(zip(names, line.split("\t"), strict=True)) for line in out.splitlines()]
    assert len(rows) == len(wire)
    compared = 0
    for p, row in zip(wire, rows, strict=True):
        for layer in p.layers:
            for f in layer.fields:
                if not f.filter or f.filter in OTHER_FORM:
                    continue
                theirs = {_norm(v) for v in row[f.filter].split("|")}
                assert _norm(f.value) in theirs, (p.index, f.filter, f.value, row[f.filter])
                compared += 1
    return compared
