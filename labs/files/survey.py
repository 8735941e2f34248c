"""The first pass over a capture read in two processes (`labs.files.parallel`):
each packet's conversation, each conversation's last packet and every SYN,
read straight from the bytes where they are plain (a full dissection only
where they leave a doubt). Its tables grow with the capture's conversations:
for a large capture it runs in a forked process (`labs.files.firstpass`),
which writes what the readers need to files and sends back the rest."""

from __future__ import annotations

import marshal
import os
import socket
import tempfile
from array import array
from collections.abc import Iterable, Iterator

from labs.core.base import RawPacket
from labs.dissect.conversations import Streams
from labs.dissect.core import Learned, Syns
from labs.dissect.layers import Session, dissect_layers, endpoint
from labs.dissect.narrate import opens
from labs.files.marks import Marks

#: Where the IP header starts for each link type (the ethertype is just
#: before, but first in a Linux cooked v2 header: `_TYPE_AT`).
_IP_AT = {"ethernet": 14, "linux-sll": 16, "linux-sll2": 20, "raw-ip": 0}
_TYPE_AT = {"linux-sll2": 0}

#: A conversation: both (address bytes + port bytes), sorted.
Key = tuple[bytes, bytes]

#: L2TP's port, as the end of a Key's half.
_L2TP = (1701).to_bytes(2, "big")


#: ICMP and ICMPv6 errors (they quote the packet that caused them)
_ERRORS = {1: frozenset((3, 4, 5, 11, 12)), 58: frozenset((1, 2, 3, 4))}


def _scan(data: bytes, link: str) -> tuple[Key | None, tuple[str, str] | None, bool]:
    """(conversation, the ends of a SYN without ACK, sure) read straight
    from the bytes of plain IPv4/IPv6 TCP and UDP packets (ARP and ICMP
    have no conversation and no SYN). Not sure (anything else: VLAN tags,
    fragments, IP options, extension headers, cut short) means only a full
    dissection can tell."""
    at = _IP_AT.get(link)
    if at is None or len(data) < at + 20:
        return None, None, False
    if at:
        kind = _TYPE_AT.get(link, at - 2)
        etype = int.from_bytes(data[kind : kind + 2], "big")
        if etype == 0x0806:
            return None, None, True  # ARP
        if etype not in (0x0800, 0x86DD):
            return None, None, False
    version = data[at] >> 4
    if version == 4 and data[at] & 15 == 5:
        if int.from_bytes(data[at + 6 : at + 8], "big") & 0x3FFF:
            return None, None, False  # a fragment
        proto, src, dst = data[at + 9], data[at + 12 : at + 16], data[at + 16 : at + 20]
        t, end = at + 20, at + int.from_bytes(data[at + 2 : at + 4], "big")
        family = socket.AF_INET
    elif version == 6 and len(data) >= at + 40:
        proto, src, dst = data[at + 6], data[at + 8 : at + 24], data[at + 24 : at + 40]
        t, end = at + 40, at + 40 + int.from_bytes(data[at + 4 : at + 6], "big")
        family = socket.AF_INET6
    else:
        return None, None, False
    if proto in (1, 58):
        # ICMP quotes a TCP header only as "(quoted)"; an error's quote gets
        # its conversation's stream number, which a full dissection gives.
        return None, None, len(data) <= t or data[t] not in _ERRORS[proto]
    # The whole transport header inside the IP packet and the capture.
    if proto not in (6, 17) or min(end, len(data)) < t + (20 if proto == 6 else 8):
        return None, None, False
    a, b = src + data[t : t + 2], dst + data[t + 2 : t + 4]
    key = (a, b) if a <= b else (b, a)
    if proto != 6 or data[t + 13] & 0x12 != 0x02:
        return key, None, True
    # Written as labs.dissect.layers writes ends (scapy reads addresses with these).
    ends = tuple(
        endpoint(socket.inet_ntop(family, ip), int.from_bytes(port, "big"))
        for ip, port in ((src, data[t : t + 2]), (dst, data[t + 2 : t + 4]))
    )
    return key, ends, True  # type: ignore[return-value]


def _exactly(raw: RawPacket, scratch: Session) -> tuple[Key | None, tuple[str, str] | None]:
    """What a full dissection says of the packet: its conversation, and its
    ends if the narration reads it as a SYN without ACK."""
    layers, ends = dissect_layers(raw.data, raw.link, scratch)
    src, dst = endpoint(ends["src"], ends["sport"]), endpoint(ends["dst"], ends["dport"])
    syn = (src, dst) if opens(tuple(layers)) else None
    if ends["sport"] is None or ends["transport"] not in ("tcp", "udp"):
        return None, syn
    ends_bytes = []
    for ip, port in ((ends["src"], ends["sport"]), (ends["dst"], ends["dport"])):
        family = socket.AF_INET6 if ":" in ip else socket.AF_INET
        ends_bytes.append(socket.inet_pton(family, ip) + port.to_bytes(2, "big"))
    a, b = ends_bytes
    return ((a, b) if a <= b else (b, a)), syn


def survey(raws: Iterable[RawPacket]) -> tuple[list[bytes | None], list[Learned]]:
    """Each packet's conversation and every SYN of the capture, read from
    the bytes; only packets the bytes leave in doubt are dissected."""
    found = survey_stream(enumerate(raws))
    try:
        return [found.keys[k] for k in found.ids], list(found.syns)
    finally:
        found.close()


#: What a first pass run in a forked process sends back (`Survey.sealed`).
Sealed = tuple[int, Marks, bool, Streams]

#: Values kept in memory before they go to the file (and read back at once):
#: few enough (16 KB) that a capture of any size soon fills a chunk.
_CHUNK = 1 << 12


class PacketIds:
    """Each packet's conversation number, in an unnamed temporary file
    (4 bytes a packet would grow with the capture): read back by index, in
    ascending order, a chunk at a time with `os.pread`, so a forked process
    reads it with its own position."""

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile(buffering=0)
        self.buffer = array("i")
        #: the numbers appended, and how many of them are in the file
        self.count = self.stored = 0
        self._at, self._chunk = -1, array("i")

    def append(self, k: int) -> None:
        self.buffer.append(k)
        self.count += 1
        if len(self.buffer) >= _CHUNK:
            self.seal()

    def seal(self) -> None:
        """Every number to the file (a process forked before it was filled reads them all there)."""
        self.file.write(self.buffer.tobytes())
        self.stored, self.buffer = self.count, array("i")

    def adopt(self, count: int) -> None:
        """The file holds `count` numbers, all sealed (by a forked process)."""
        self.count = self.stored = count
        self.buffer, self._at = array("i"), -1

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, i: int) -> int:
        at = i // _CHUNK
        if at != self._at:
            self._chunk = self._read(at)
            self._at = at
        return self._chunk[i % _CHUNK]

    def _read(self, at: int) -> array[int]:
        if at * _CHUNK >= self.stored:
            return self.buffer
        chunk = array("i")
        chunk.frombytes(os.pread(self.file.fileno(), _CHUNK * 4, at * _CHUNK * 4))
        return chunk

    def __iter__(self) -> Iterator[int]:
        for at in range((self.count + _CHUNK - 1) // _CHUNK):
            yield from self._read(at)

    def close(self) -> None:
        self.file.close()


class SynFile(Syns):
    """`Syns` whose full batches go to an unnamed temporary file (a capture
    of many connections would keep ~50 bytes of each), read back with
    `os.pread` so a forked process reads them with its own position."""

    #: SYNs a batch (each reader loads one batch at a time: ~0.15 MB)
    BATCH = 512

    def __init__(self) -> None:
        super().__init__()
        self.file = tempfile.TemporaryFile(buffering=0)

    def append(self, syn: Learned) -> None:
        self.batch.append(syn)
        if len(self.batch) >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        """The batch to the file (what the first pass made of it is then freed)."""
        if self.batch:
            data = marshal.dumps(self.batch)
            self.file.write(len(data).to_bytes(8, "little") + data)
            self.batch = []

    def __iter__(self) -> Iterator[Learned]:
        fd, at = self.file.fileno(), 0
        while len(head := os.pread(fd, 8, at)) == 8:
            size = int.from_bytes(head, "little")
            yield from marshal.loads(os.pread(fd, size, at + 8))
            at += 8 + size
        yield from self.batch

    def close(self) -> None:
        self.file.close()


class Survey:
    """What the first pass over a capture found: each packet's conversation
    as a number (`ids`, in a file), each conversation's key and last
    packet, and every SYN of the capture (in a file)."""

    def __init__(self) -> None:
        self.ids = PacketIds()
        self.keys: list[bytes | None] = [None]  # both ends' bytes joined: ~0.1 KB less
        self.syns = SynFile()
        #: where `finish` writes the SYNs again, opened now: a first pass run
        #: in a forked process (`labs.files.firstpass`) writes into it
        self._rewritten = SynFile()
        #: `last()` and the number of conversations, as a forked first pass sent them
        self._last: Marks | None = None
        self._conversations = 0
        #: each conversation's last packet; an L2TP tunnel seen (its inner conversations are not its own)
        self.lasts, self.tunnel = array("q", [0]), False
        self._number: dict[bytes | None, int] = {None: 0}
        self._scratch = Session()
        #: Wireshark's stream numbers, every packet's (a full dissection's in
        #: `_scratch`), and each packet's as `Streams.each` keeps it
        self.streams = self._scratch.stream_index
        self.streams.asked = set()
        self.numbers = PacketIds()
        self.finished = False
        #: per conversation, the transports (1 TCP, 2 UDP) `Streams.plain`
        #: has nothing more to learn from but a SYN
        self._settled = bytearray()

    def add(self, i: int, raw: RawPacket) -> None:
        key, ends, sure = _scan(raw.data, raw.link)
        self._scratch.index = i
        if not sure:
            key, ends = _exactly(raw, self._scratch)
        if ends is not None:
            self.syns.append((i, raw.origin, *ends, -1, -1))
        name = None if key is None else key[0] + key[1]
        k = self._number.get(name)
        if k is None:
            k = self._number[name] = len(self.keys)
            self.keys.append(name)
            self.lasts.append(0)
            if key is not None and _L2TP in (key[0][-2:], key[1][-2:]):
                self.tunnel = True
        self.lasts[k] = i
        self.ids.append(k)
        number = -1
        if sure and key is not None:  # its tcp.stream / udp.stream number
            if self.tunnel and _L2TP in (key[0][-2:], key[1][-2:]):
                dissect_layers(raw.data, raw.link, self._scratch)  # the tunnel's inner ones too
            else:
                number = self._plain(i, k, key, raw, ends is not None)
        self.numbers.append(number)

    def _plain(self, i: int, k: int, key: Key, raw: RawPacket, syn: bool) -> int:
        """`Streams.plain`, skipped where it would learn nothing: it reads a
        conversation's stream number once, a TCP one's sequence bases each
        way, and then only SYNs (which may begin a new stream). The packet's
        number as `Streams.each` keeps it."""
        data, at, settled = raw.data, _IP_AT[raw.link], self._settled
        bit = 2 if (data[at + 9] if data[at] >> 4 == 4 else data[at + 6]) == 17 else 1
        streams = self.streams
        if k < len(settled) and settled[k] & bit and not syn:
            return streams.current(k, bit - 1)
        streams.plain(i, k, key, data, raw.link)
        if len(settled) <= k:
            settled.extend(bytes(k + 1 - len(settled)))
        bases = streams.bases
        if bit == 2 or min(bases[2 * k], bases[2 * k + 1]) >= 0:
            settled[k] |= bit
        else:
            settled[k] &= ~bit
        return streams.current(k, bit - 1)

    def conversations(self) -> int:
        """How many conversations the pass numbered (the packets of none count as one)."""
        return len(self.keys) if self._last is None else self._conversations

    def last(self) -> Marks:
        """`dissect_stream`'s `last`: 1 for the last packet of each conversation (none with a tunnel)."""
        if self._last is not None:
            return self._last
        out = Marks(len(self.ids))
        if not self.tunnel:
            for i in self.lasts[1:]:
                out.mark(i)
        return out

    def finish(self) -> None:
        """The capture is read: its stream numbers handed on (`Streams.handed`),
        each SYN with the last packet that names each of its ends (so who
        is a client can be forgotten after it, `labs.dissect.roles.Ends`),
        and what only the first pass needed dropped."""
        if self.finished:
            return
        self.finished = True
        self.streams.handed(self.numbers)
        self._settled, self._scratch = bytearray(), Session()
        ends: dict[bytes, int] = {}
        if not self.tunnel:  # else its inner conversations' ends are not in `keys`
            for syn in self.syns:
                for name in syn[2:4]:
                    end = _half(name)
                    if end is not None:
                        ends[end] = -1
        if not ends:
            return
        lasts = self.lasts
        for k, key in enumerate(self.keys):
            if key is not None:
                cut = len(key) // 2
                for half in (key[:cut], key[cut:]):
                    if ends.get(half, lasts[k]) < lasts[k]:
                        ends[half] = lasts[k]
        syns, self.syns = self.syns, self._rewritten
        for i, origin, src, dst, _, _ in syns:
            after = (ends.get(_half(src) or b"", -1), ends.get(_half(dst) or b"", -1))
            self.syns.append((i, origin, src, dst, *after))
        self.syns.flush()
        syns.close()

    def sealed(self) -> Sealed:
        """What a finished pass run in a forked process sends back (its files
        all written): the number of conversations, `last()`, whether the
        SYNs were written again, and the stream numbers kept by name."""
        self.ids.seal()
        self.numbers.seal()
        self.syns.flush()
        streams, self.streams.each = self.streams, None
        return self.conversations(), self.last(), self.syns is self._rewritten, streams

    def adopt(self, sealed: Sealed, packets: int) -> None:
        """This pass as a forked process made it (`sealed`), over `packets` packets."""
        self._conversations, last, rewritten, self.streams = sealed
        self._last = last
        self.ids.adopt(packets)
        self.numbers.adopt(packets)
        if rewritten:
            self.syns.close()
            self.syns = self._rewritten
        self.streams.each = self.numbers
        self.keys, self._number = [], {}
        self.finished = True

    def close(self) -> None:
        self.ids.close()
        self.numbers.close()
        self.syns.close()
        self._rewritten.close()


def survey_stream(numbered: Iterable[tuple[int, RawPacket]]) -> Survey:
    """`survey` of (index, packet) pairs as they are read."""
    found = Survey()
    for i, raw in numbered:
        found.add(i, raw)
    found.finish()
    return found


def _half(end: str) -> bytes | None:
    """An endpoint ("IP:PORT", "[IPv6]:PORT") as a `Key`'s half; None if it is not one."""
    head, sep, port = end.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        return None
    ip = head[1:-1] if head.startswith("[") else head
    try:
        return socket.inet_pton(socket.AF_INET6 if ":" in ip else socket.AF_INET, ip) + int(
            port
        ).to_bytes(2, "big")
    except (OSError, ValueError):
        return None


__all__ = ["Key", "PacketIds", "Sealed", "Survey", "SynFile", "survey", "survey_stream"]
