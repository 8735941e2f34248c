"""Reading and writing capture files (pcap and pcapng).

`write_pcap` saves a trace's wire packets so Wireshark and tshark open them
(privately and atomically, see `labs.files.private`); `read_capture` reads
what Wireshark, tcpdump or `--pcap` saved, through the one bounded,
validated reader (`labs.files.pcapread`). The formats are written here
directly (a fixed header, then one record per packet): it is a few lines,
and keeps saving 20,000 packets fast.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from labs.core.base import RawPacket
from labs.files.pcapread import HELP, MAX_TIME, Capture, parse_capture, read_capture
from labs.files.private import write_files
from labs.model.errors import BadInput
from labs.model.trace import Trace

#: Our link names -> pcap LINKTYPE_ values.
LINKTYPES = {"ethernet": 1, "raw-ip": 101, "linux-sll": 113, "linux-sll2": 276}


def _epoch(iso: str) -> float:
    try:
        return datetime.fromisoformat(iso).timestamp()
    except ValueError:
        return 0.0


def wire_raws(source: Trace | Iterable[RawPacket]) -> list[RawPacket]:
    """The packets that crossed the wire, as RawPackets with absolute times.
    A Trace's packet times count from its first packet, so they are placed
    after `Trace.started`."""
    if isinstance(source, Trace):
        base = _epoch(source.started) if source.started else 0.0
        return [
            RawPacket(base + p.time, p.data, source.link, p.interface, p.conversation)
            for p in source.wire_packets()
        ]
    return [r for r in source if r.origin == "wire"]


def write_pcap(source: Trace | Iterable[RawPacket], path: str | Path) -> int:
    """Write the wire packets (never the plaintext seen inside TLS) to `path`;
    returns how many. One link type: a classic pcap; several (a lab that
    captured at more than one point): pcapng with one interface per link.
    A simulated trace is refused: its frames were computed, never sent, and
    a capture file would pass them off as captured."""
    if isinstance(source, Trace) and source.capture == "simulated":
        raise BadInput(
            "A simulated run has no captured packets: nothing was sent, so there is nothing "
            "for Wireshark to open. Run it as root for a real capture."
        )
    raws = wire_raws(source)
    write_files([(Path(path), pcap_chunks(raws))])
    return len(raws)


def pcap_chunks(raws: list[RawPacket]) -> Iterable[bytes]:
    """The bytes of a capture file of `raws`: a classic pcap for one link type,
    pcapng with one interface per link for several."""
    links = list(dict.fromkeys(r.link for r in raws)) or ["raw-ip"]
    unknown = [link for link in links if link not in LINKTYPES]
    if unknown:
        raise ValueError(f"cannot write packets framed as {unknown[0]}")
    return _pcap(raws, LINKTYPES[links[0]]) if len(links) == 1 else _pcapng(raws, links)


def _pcap(raws: list[RawPacket], linktype: int) -> Iterable[bytes]:
    yield struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, linktype)
    for r in raws:
        # A classic pcap counts unsigned 32-bit seconds: clamp what cannot be said.
        t = min(max(r.time, 0.0), float(0xFFFFFFFF))
        sec = int(t)
        usec = int(round((t - sec) * 1_000_000))
        if usec == 1_000_000:
            sec, usec = sec + 1, 0
        yield struct.pack("<IIII", min(sec, 0xFFFFFFFF), usec, len(r.data), len(r.data)) + r.data


def _block(btype: int, body: bytes) -> bytes:
    body += b"\0" * (-len(body) % 4)
    n = len(body) + 12
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def _pcapng(raws: list[RawPacket], links: list[str]) -> Iterable[bytes]:
    yield _block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    for link in links:
        yield _block(1, struct.pack("<HHI", LINKTYPES[link], 0, 262144))
    for r in raws:
        ticks = int(round(min(max(r.time, 0.0), MAX_TIME) * 1_000_000))
        head = struct.pack(
            "<IIIII", links.index(r.link), ticks >> 32, ticks & 0xFFFFFFFF, len(r.data), len(r.data)
        )
        yield _block(6, head + r.data)


__all__ = [
    "HELP",
    "LINKTYPES",
    "Capture",
    "parse_capture",
    "pcap_chunks",
    "read_capture",
    "wire_raws",
    "write_pcap",
]
