"""The one reader of capture files (pcap and pcapng): bounded and validated.

Everything a capture file says about itself (block lengths, captured
lengths, option sizes, interface numbers, timestamps) is checked before it
is used, so a damaged or hostile file gives one line saying what is wrong,
never a traceback, a hang or unbounded memory: only regular files are read
(a FIFO or /dev/zero is refused before a byte is read), and a file over
`MAX_BYTES` is refused with how to cut it. The formats are read here by hand
rather than through scapy or dpkt: they raise their own exceptions deep
inside on damaged files, read a truncated file as an error instead of
keeping its complete packets, and are several times slower on 20,000 packets.
"""

from __future__ import annotations

import mmap
import os
import stat
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from labs.core.base import RawPacket
from labs.model.errors import BadInput

#: The largest capture read (bytes). Bigger files are refused with how to cut them.
MAX_BYTES = 2 * 1024**3
#: The last second a timestamp may name (9999-12-31T23:59:59Z): Python's
#: datetime ends there, and no real capture goes past it.
MAX_TIME = 253_402_300_799.0

#: Link types read as our links; the value says how many leading bytes of a
#: packet to drop first (a header we do not show: BSD loopback's address family).
READABLE = {
    1: ("ethernet", 0),
    101: ("raw-ip", 0),
    12: ("raw-ip", 0),  # DLT_RAW on most BSDs
    14: ("raw-ip", 0),  # DLT_RAW on OpenBSD
    228: ("raw-ip", 0),  # LINKTYPE_IPV4
    229: ("raw-ip", 0),  # LINKTYPE_IPV6
    113: ("linux-sll", 0),
    276: ("linux-sll2", 0),  # Linux cooked v2: what `tcpdump -i any` writes on newer libpcap
    0: ("raw-ip", 4),  # BSD loopback (macOS lo0): 4-byte family dropped
    108: ("raw-ip", 4),  # OpenBSD loopback
    105: ("ieee80211", 0),  # Wi-Fi frames without radio information
    127: ("radiotap", 0),  # Wi-Fi frames in monitor mode, with radiotap's radio information
}
_NAMES = {
    220: "USB",
    249: "USB",
    195: "802.15.4",
    147: "user-defined",
}
PCAP_MAGICS = {
    b"\xd4\xc3\xb2\xa1": ("<", 1_000_000),
    b"\xa1\xb2\xc3\xd4": (">", 1_000_000),
    b"\x4d\x3c\xb2\xa1": ("<", 1_000_000_000),
    b"\xa1\xb2\x3c\x4d": (">", 1_000_000_000),
}
PCAPNG = b"\x0a\x0d\x0d\x0a"
_BYTE_ORDER = {b"\x4d\x3c\x2b\x1a": "<", b"\x1a\x2b\x3c\x4d": ">"}

HELP = "Save it from Wireshark or tcpdump as a .pcap or .pcapng file and try again."


class Capture(list[RawPacket]):
    """The packets of a capture file, plus what the reader noticed
    (`truncated`: the file ends in the middle of a packet; `note`: sentences
    about what was dropped or adjusted, e.g. a link header not shown)."""

    truncated: bool = False
    note: str = ""

    def add_note(self, sentence: str) -> None:
        if sentence not in self.note:
            self.note = f"{self.note} {sentence}".strip()


class _Damaged(Exception):
    """The file stops making sense at this point (said in the message)."""


def read_capture(path: str | Path) -> tuple[Capture, str]:
    """The packets of a pcap or pcapng file and the link of its first packet.

    Raises BadInput (one line saying what to do) for a missing file, a
    directory, a FIFO or device, a file over `MAX_BYTES`, a file that is not
    a capture, or an unsupported link type. A truncated or damaged file gives
    the packets read before the cut (`truncated` set, or a `note`); one cut
    before its first packet is an error.
    """
    path = Path(path)
    with _open(path) as data:
        packets = parse_capture(data, str(path))
    link = packets[0].link if packets else "raw-ip"
    return packets, link


#: Packets read between two releases of the mapped pages read so far.
_RELEASE_EVERY = 4096


class _open:
    """The file's bytes, mapped read-only (the page cache holds them, not our
    heap), after checking it is a regular file of a readable size."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.map: mmap.mmap | bytes = b""

    def __enter__(self) -> mmap.mmap | bytes:
        path = self.path
        try:
            # O_NONBLOCK: opening a FIFO must not wait for a writer; O_NOCTTY:
            # a terminal device must not become ours.
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
        except FileNotFoundError:
            raise BadInput(f"{path}: no such file.", "Check the path.") from None
        except IsADirectoryError:
            raise BadInput(f"{path} is a directory, not a capture file.", HELP) from None
        except OSError as exc:
            raise BadInput(
                f"{path}: cannot be read ({exc.strerror}).", "Check the file's permissions."
            ) from None
        try:
            info = os.fstat(fd)
            if stat.S_ISDIR(info.st_mode):
                raise BadInput(f"{path} is a directory, not a capture file.", HELP)
            if not stat.S_ISREG(info.st_mode):
                raise BadInput(
                    f"{path} is not a regular file (a pipe, socket or device).",
                    "Save the capture to a file first, then explain that file.",
                )
            if info.st_size > MAX_BYTES:
                raise BadInput(
                    f"{path} is {info.st_size / 1e9:.1f} GB; tutor reads captures up to "
                    f"{MAX_BYTES / 1e9:.1f} GB.",
                    "Cut it first, e.g. `editcap -c 200000 FILE part.pcapng`.",
                )
            if info.st_size:
                try:
                    self.map = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
                except (OSError, ValueError) as exc:
                    raise BadInput(f"{path}: cannot be read ({exc}).") from None
        finally:
            os.close(fd)
        return self.map

    def __exit__(self, *exc: object) -> None:
        if isinstance(self.map, mmap.mmap):
            self.map.close()


def parse_capture(data: bytes | mmap.mmap, name: str = "the file") -> Capture:
    """The packets in `data` (a whole pcap or pcapng file); see `read_capture`."""
    stream = CaptureStream(data, name)
    out = stream.info
    out.extend(stream)
    return out


class CaptureStream:
    """The packets of a whole pcap or pcapng file in `data`, one at a time,
    with every check and note of `parse_capture` (which is `list(self)`):
    `tutor explain --json` reads a large capture through this without
    holding its packets. Each iteration reads the file again from its start;
    `info` (no packets in it) gets `truncated` and `note` as the reading goes."""

    def __init__(self, data: bytes | mmap.mmap, name: str = "the file"):
        if data[:4] not in PCAP_MAGICS and data[:4] != PCAPNG:
            raise BadInput(f"{name} is not a pcap or pcapng capture file.", HELP)
        self.data, self.name = data, name
        self.info = Capture()

    def __iter__(self) -> Iterator[RawPacket]:
        data, name, out = self.data, self.name, self.info
        packets = _pcap(data, name, out) if data[:4] in PCAP_MAGICS else _pcapng(data, name, out)
        count = 0
        try:
            for packet in packets:
                count += 1
                if not count % _RELEASE_EVERY and isinstance(data, mmap.mmap):
                    # The pages read so far leave this process's memory (the page
                    # cache keeps them): a mapped file would count whole in its RSS.
                    data.madvise(mmap.MADV_DONTNEED)
                yield packet
        except _Damaged as exc:
            if not count:
                raise BadInput(f"{name} is damaged before its first packet: {exc}.", HELP) from None
            out.add_note(
                f"The file is damaged after packet {count} ({exc}); the rest is not shown."
            )
        if not count and out.truncated:
            raise BadInput(
                f"{name} is truncated before its first packet.",
                "Capture again, and let the capture stop cleanly before copying the file.",
            )


@contextmanager
def open_capture(path: str | Path) -> Iterator[CaptureStream]:
    """The capture at `path` as a CaptureStream over its mapped bytes (the
    same checks as `read_capture`); the mapping closes with the block."""
    path = Path(path)
    with _open(path) as data:
        yield CaptureStream(data, str(path))


def _link(linktype: int, name: str) -> tuple[str, int]:
    if linktype in READABLE:
        return READABLE[linktype]
    what = _NAMES.get(linktype, f"link type {linktype}")
    raise BadInput(
        f"{name}: the packets are framed as {what}, which tutor cannot read yet.",
        "Capture on an Ethernet or loopback interface, or save with Linux cooked (SLL) headers.",
    )


#: Said when a header is dropped (only BSD loopback's is).
_DROP_NOTE = "Each packet's 4-byte loopback header is not shown; bytes start at the IP header."


def _time(seconds: float, out: Capture) -> float:
    """A packet time Python's clock can show: one past year 9999 (or before
    1970) is pinned to the limit, and the note says so (tshark shows such a
    time as-is, but a date it cannot be)."""
    if 0.0 <= seconds <= MAX_TIME:
        return seconds
    out.add_note("Some packet times are outside the years 1970-9999; they are shown at the limit.")
    return min(max(seconds, 0.0), MAX_TIME)


def _pcap(data: bytes | mmap.mmap, name: str, out: Capture) -> Iterator[RawPacket]:
    endian, per_second = PCAP_MAGICS[bytes(data[:4])]
    size = len(data)
    if size < 24:
        out.truncated = True
        return
    linktype = struct.unpack_from(endian + "I", data, 20)[0] & 0x0FFFFFFF
    link, drop = _link(linktype, name)
    if drop:
        out.add_note(_DROP_NOTE)
    record = struct.Struct(endian + "IIII")
    pos = 24
    while pos < size:
        if pos + 16 > size:
            out.truncated = True
            return
        sec, frac, caplen, _wirelen = record.unpack_from(data, pos)
        pos += 16
        if caplen > size - pos:
            out.truncated = True
            return
        when = _time(sec + frac / per_second, out)
        ns = sec * 1_000_000_000 + frac * (1_000_000_000 // per_second)
        yield RawPacket(when, data[pos + min(drop, caplen) : pos + caplen], link, ns=ns)
        pos += caplen


def _pcapng(data: bytes | mmap.mmap, name: str, out: Capture) -> Iterator[RawPacket]:
    size = len(data)
    endian = "<"
    interfaces: list[tuple[str, int, float]] = []  # (link, bytes to drop, ticks per second)
    pos = 0
    while pos < size:
        if pos + 12 > size:
            out.truncated = True
            return
        if data[pos : pos + 4] == PCAPNG:
            order = _BYTE_ORDER.get(bytes(data[pos + 8 : pos + 12]))
            if order is None:
                raise _Damaged(f"a section header at byte {pos} has no byte-order mark")
            endian, interfaces = order, []
        btype, blen = struct.unpack_from(endian + "II", data, pos)
        if blen > size - pos:
            out.truncated = True
            return
        if blen < 12 or blen % 4:
            raise _Damaged(f"a block at byte {pos} claims {blen} bytes")
        body = data[pos + 8 : pos + blen - 4]
        if btype == 1:  # interface description: link type (2), reserved (2), snaplen (4), options
            if len(body) < 8:
                raise _Damaged(f"an interface block at byte {pos} is too short")
            linktype = struct.unpack_from(endian + "H", body, 0)[0]
            link, drop = _link(linktype, name)
            if drop:
                out.add_note(_DROP_NOTE)
            interfaces.append((link, drop, _tsresol(body[8:], endian)))
        elif btype == 6:  # enhanced packet: interface, time (2x4), captured, original, data
            if len(body) < 20:
                raise _Damaged(f"a packet block at byte {pos} is too short")
            ifid, high, low, caplen = struct.unpack_from(endian + "IIII", body, 0)
            if caplen > len(body) - 20:
                raise _Damaged(f"a packet block at byte {pos} claims {caplen} bytes")
            link, drop, ticks = _interface(interfaces, ifid, pos)
            when = _time(((high << 32) | low) / ticks, out)
            ns = ((high << 32) | low) * 1_000_000_000 // int(ticks)
            yield RawPacket(when, body[20 + min(drop, caplen) : 20 + caplen], link, ns=ns)
        elif btype == 3:  # simple packet: original length, data (no time, interface 0)
            if len(body) < 4:
                raise _Damaged(f"a packet block at byte {pos} is too short")
            link, drop, _ticks = _interface(interfaces, 0, pos)
            wire = struct.unpack_from(endian + "I", body, 0)[0]
            caplen = min(wire, len(body) - 4)
            yield RawPacket(0.0, body[4 + min(drop, caplen) : 4 + caplen], link)
        pos += blen


def _interface(
    interfaces: list[tuple[str, int, float]], ifid: int, pos: int
) -> tuple[str, int, float]:
    if ifid >= len(interfaces):
        raise _Damaged(f"the packet at byte {pos} names an interface the file never describes")
    return interfaces[ifid]


def _tsresol(options: bytes, endian: str) -> float:
    """Ticks per second from an interface block's if_tsresol option (default µs).
    Options are (code, length, value padded to 4); a value that would run past
    the block ends the list, as in Wireshark."""
    pos = 0
    while pos + 4 <= len(options):
        code, size = struct.unpack_from(endian + "HH", options, pos)
        if code == 0 or pos + 4 + size > len(options):
            break
        if code == 9 and size >= 1:
            v = options[pos + 4]
            # 2**-127 s ticks are far below anything a clock makes; cap the
            # exponent so the division stays a finite, nonzero float.
            return float(2 ** min(v & 0x7F, 100) if v & 0x80 else 10 ** min(v & 0x7F, 30))
        pos += 4 + size + (-size % 4)
    return 1_000_000.0


__all__ = [
    "HELP",
    "MAX_BYTES",
    "MAX_TIME",
    "Capture",
    "CaptureStream",
    "open_capture",
    "parse_capture",
    "read_capture",
]
