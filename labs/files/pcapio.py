"""Reading and writing capture files (pcap and pcapng).

`write_pcap` saves a trace's wire packets so Wireshark and tshark open them;
`read_capture` reads what Wireshark, tcpdump or `--pcap` saved. The file
formats are read and written here directly (a fixed header, then one record
per packet) rather than through scapy: that lets a truncated file say
exactly how much of it could be read, and keeps reading 20,000 packets fast.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from labs.base import RawPacket
from labs.errors import BadInput
from labs.trace import Trace

#: Our link names -> pcap LINKTYPE_ values.
LINKTYPES = {"ethernet": 1, "raw-ip": 101, "linux-sll": 113}

#: Link types read as our links; the value says how many leading bytes of a
#: packet to drop first (a header we do not show: BSD loopback, Linux cooked v2).
_READABLE = {
    1: ("ethernet", 0),
    101: ("raw-ip", 0),
    12: ("raw-ip", 0),  # DLT_RAW on most BSDs
    14: ("raw-ip", 0),  # DLT_RAW on OpenBSD
    228: ("raw-ip", 0),  # LINKTYPE_IPV4
    229: ("raw-ip", 0),  # LINKTYPE_IPV6
    113: ("linux-sll", 0),
    276: ("raw-ip", 20),  # Linux cooked v2 (Wireshark's "any"): header dropped
    0: ("raw-ip", 4),  # BSD loopback (macOS lo0): 4-byte family dropped
    108: ("raw-ip", 4),  # OpenBSD loopback
}
_NAMES = {
    105: "802.11 Wi-Fi",
    127: "802.11 radiotap",
    220: "USB",
    249: "USB",
    195: "802.15.4",
    147: "user-defined",
}

_PCAP_MAGICS = {
    b"\xd4\xc3\xb2\xa1": ("<", 1_000_000),
    b"\xa1\xb2\xc3\xd4": (">", 1_000_000),
    b"\x4d\x3c\xb2\xa1": ("<", 1_000_000_000),
    b"\xa1\xb2\x3c\x4d": (">", 1_000_000_000),
}
_PCAPNG = b"\x0a\x0d\x0d\x0a"

HELP = "Save it from Wireshark or tcpdump as a .pcap or .pcapng file and try again."


class Capture(list[RawPacket]):
    """The packets of a capture file, plus what the reader noticed
    (`truncated`: the file ends in the middle of a packet; `note`: a header
    was dropped from each packet)."""

    truncated: bool = False
    note: str = ""


def _link(linktype: int, path: Path) -> tuple[str, int]:
    if linktype in _READABLE:
        return _READABLE[linktype]
    what = _NAMES.get(linktype, f"link type {linktype}")
    raise BadInput(
        f"{path}: the packets are framed as {what}, which tutor cannot read yet.",
        "Capture on an Ethernet or loopback interface, or save with Linux cooked (SLL) headers.",
    )


def read_capture(path: str | Path) -> tuple[Capture, str]:
    """The packets of a pcap or pcapng file and the link of its first packet.

    Raises BadInput (one line saying what to do) for a missing file, a
    directory, a file that is not a capture, or an unsupported link type. A
    truncated file gives the packets read before the cut, `truncated` set;
    one truncated before its first packet is an error.
    """
    path = Path(path)
    if path.is_dir():
        raise BadInput(f"{path} is a directory, not a capture file.", HELP)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BadInput(f"{path}: no such file.", "Check the path.") from None
    except OSError as exc:
        raise BadInput(
            f"{path}: cannot be read ({exc.strerror}).", "Check the file's permissions."
        ) from None
    head = data[:4]
    if head in _PCAP_MAGICS:
        packets = _read_pcap(data, path)
    elif head == _PCAPNG:
        packets = _read_pcapng(data, path)
    else:
        raise BadInput(f"{path} is not a pcap or pcapng capture file.", HELP)
    if not packets and packets.truncated:
        raise BadInput(
            f"{path} is truncated before its first packet.",
            "Capture again, and let the capture stop cleanly before copying the file.",
        )
    link = packets[0].link if packets else "raw-ip"
    return packets, link


def _read_pcap(data: bytes, path: Path) -> Capture:
    endian, per_second = _PCAP_MAGICS[data[:4]]
    out = Capture()
    if len(data) < 24:
        out.truncated = True
        return out
    linktype = struct.unpack_from(endian + "I", data, 20)[0] & 0x0FFFFFFF
    link, drop = _link(linktype, path)
    if drop:
        out.note = _drop_note(linktype)
    record = struct.Struct(endian + "IIII")
    pos = 24
    while pos < len(data):
        if pos + 16 > len(data):
            out.truncated = True
            break
        sec, frac, caplen, _wirelen = record.unpack_from(data, pos)
        pos += 16
        if pos + caplen > len(data):
            out.truncated = True
            break
        out.append(RawPacket(sec + frac / per_second, data[pos + drop : pos + caplen], link))
        pos += caplen
    return out


def _drop_note(linktype: int) -> str:
    if linktype == 276:
        return "Each packet's 20-byte Linux cooked (v2) header is not shown; bytes start at the IP header."
    return "Each packet's 4-byte loopback header is not shown; bytes start at the IP header."


def _read_pcapng(data: bytes, path: Path) -> Capture:
    out = Capture()
    endian = "<"
    interfaces: list[tuple[str, int, float]] = []  # (link, bytes to drop, ticks per second)
    pos = 0
    while pos < len(data):
        if pos + 12 > len(data):
            out.truncated = True
            break
        if data[pos : pos + 4] == _PCAPNG:
            endian = "<" if data[pos + 8 : pos + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            interfaces = []
        btype, blen = struct.unpack_from(endian + "II", data, pos)
        if blen < 12 or pos + blen > len(data):
            out.truncated = True
            break
        body = data[pos + 8 : pos + blen - 4]
        if btype == 1:  # interface description
            linktype = struct.unpack_from(endian + "H", body, 0)[0]
            link, drop = _link(linktype, path)
            if drop:
                out.note = _drop_note(linktype)
            interfaces.append((link, drop, _tsresol(body[8:], endian)))
        elif btype in (6, 3):  # enhanced / simple packet
            if btype == 6:
                ifid, high, low, caplen = struct.unpack_from(endian + "IIII", body, 0)
                start = 20
            else:
                ifid, high, low, caplen, start = 0, 0, 0, len(body) - 4, 4
            if ifid >= len(interfaces):
                raise BadInput(
                    f"{path}: a packet names an interface the file never describes.", HELP
                )
            link, drop, ticks = interfaces[ifid]
            out.append(
                RawPacket(((high << 32) | low) / ticks, body[start + drop : start + caplen], link)
            )
        pos += blen
    return out


def _tsresol(options: bytes, endian: str) -> float:
    """Ticks per second from an interface block's if_tsresol option (default µs)."""
    pos = 0
    while pos + 4 <= len(options):
        code, size = struct.unpack_from(endian + "HH", options, pos)
        if code == 0:
            break
        if code == 9 and size >= 1:
            v = options[pos + 4]
            return float(2 ** (v & 0x7F) if v & 0x80 else 10 ** (v & 0x7F))
        pos += 4 + size + (-size % 4)
    return 1_000_000.0


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
    links = list(dict.fromkeys(r.link for r in raws)) or ["raw-ip"]
    unknown = [link for link in links if link not in LINKTYPES]
    if unknown:
        raise ValueError(f"cannot write packets framed as {unknown[0]}")
    blob = _pcap(raws, LINKTYPES[links[0]]) if len(links) == 1 else _pcapng(raws, links)
    try:
        Path(path).write_bytes(blob)
    except OSError as exc:
        raise BadInput(
            f"{path}: cannot write the capture ({exc.strerror}).", "Choose a writable path."
        ) from None
    return len(raws)


def _pcap(raws: list[RawPacket], linktype: int) -> bytes:
    parts = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, linktype)]
    for r in raws:
        sec = int(r.time)
        usec = int(round((r.time - sec) * 1_000_000))
        if usec == 1_000_000:
            sec, usec = sec + 1, 0
        parts.append(struct.pack("<IIII", sec, usec, len(r.data), len(r.data)))
        parts.append(r.data)
    return b"".join(parts)


def _block(btype: int, body: bytes) -> bytes:
    body += b"\0" * (-len(body) % 4)
    n = len(body) + 12
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def _pcapng(raws: list[RawPacket], links: list[str]) -> bytes:
    parts = [_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))]
    for link in links:
        parts.append(_block(1, struct.pack("<HHI", LINKTYPES[link], 0, 262144)))
    for r in raws:
        ticks = int(round(r.time * 1_000_000))
        head = struct.pack(
            "<IIIII", links.index(r.link), ticks >> 32, ticks & 0xFFFFFFFF, len(r.data), len(r.data)
        )
        parts.append(_block(6, head + r.data))
    return b"".join(parts)


__all__ = ["LINKTYPES", "Capture", "read_capture", "wire_raws", "write_pcap"]
