"""Reading one TCP conversation (and a refused knock) out of raw packets:
which packet is the SYN, the SYN-ACK, the data, the FINs and the RST, and
the numbers in them. The tcp-handshake lab's steps, sections and facts are
all written from this, so every number it explains comes from the bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from labs.base import RawPacket

MOD = 2**32

#: Flag letters as scapy prints them, in the order Wireshark lists them.
FLAG_NAMES = (("S", "SYN"), ("F", "FIN"), ("R", "RST"), ("P", "PSH"), ("A", "ACK"), ("U", "URG"))


@dataclass(frozen=True)
class Segment:
    """The numbers of one TCP segment, read from its bytes."""

    index: int
    time: float
    src: str
    sport: int
    dst: str
    dport: int
    flags: str
    seq: int
    ack: int
    window: int
    #: Bytes of data the segment carries (not counting headers).
    length: int
    payload: bytes
    options: tuple[tuple[str, object], ...] = ()

    def has(self, letter: str) -> bool:
        return letter in self.flags

    @property
    def flag_names(self) -> str:
        return ", ".join(name for letter, name in FLAG_NAMES if letter in self.flags)

    def option(self, name: str) -> object | None:
        return next((value for key, value in self.options if key == name), None)

    @property
    def next_seq(self) -> int:
        """The sequence number the peer should acknowledge: SYN and FIN count as one."""
        return (self.seq + self.length + self.has("S") + self.has("F")) % MOD


@dataclass(frozen=True)
class Story:
    """One connection from SYN to the last ACK, plus the knock on a closed port."""

    segments: tuple[Segment, ...]
    syn: Segment
    synack: Segment
    ack: Segment
    #: Every segment between the client and the server, in order.
    conversation: tuple[Segment, ...]
    knock: Segment | None = None
    rst: Segment | None = None

    @property
    def client(self) -> tuple[str, int]:
        return self.syn.src, self.syn.sport

    @property
    def server(self) -> tuple[str, int]:
        return self.syn.dst, self.syn.dport

    def from_client(self, seg: Segment) -> bool:
        return (seg.src, seg.sport) == self.client

    def who(self, seg: Segment) -> str:
        return "client" if self.from_client(seg) else "server"

    @property
    def handshake(self) -> tuple[Segment, ...]:
        return tuple(s for s in self.conversation if self.syn.index <= s.index <= self.ack.index)

    @property
    def data(self) -> tuple[Segment, ...]:
        return tuple(s for s in self.conversation if s.length > 0)

    @property
    def fins(self) -> tuple[Segment, ...]:
        return tuple(s for s in self.conversation if s.has("F"))

    @property
    def middle(self) -> tuple[Segment, ...]:
        """Segments after the handshake and before the first FIN."""
        end = self.fins[0].index if self.fins else None
        return tuple(
            s
            for s in self.conversation
            if s.index > self.ack.index and (end is None or s.index < end)
        )

    @property
    def closing(self) -> tuple[Segment, ...]:
        if not self.fins:
            return ()
        return tuple(s for s in self.conversation if s.index >= self.fins[0].index)

    def acked_by(self, seg: Segment) -> Segment | None:
        """The first later segment from the other side that acknowledges `seg`."""
        want = seg.next_seq
        for other in self.conversation:
            if other.index <= seg.index or self.from_client(other) == self.from_client(seg):
                continue
            if other.has("A") and (other.ack - want) % MOD < MOD // 2:
                return other
        return None

    def window_scale(self, seg: Segment) -> int | None:
        """The shift that applies to `seg`'s window field, if both sides agreed
        on window scaling (RFC 7323); never applies to SYNs."""
        mine = self.syn if self.from_client(seg) else self.synack
        theirs = self.synack if mine is self.syn else self.syn
        shift, other = mine.option("WScale"), theirs.option("WScale")
        if seg.has("S") or shift is None or other is None:
            return None
        return int(shift)  # type: ignore[call-overload]


def parse_segment(index: int, raw: RawPacket, t0: float) -> Segment | None:
    """The TCP numbers of a raw IP packet, or None if it is not TCP."""
    from scapy.layers.inet import IP, TCP
    from scapy.layers.inet6 import IPv6

    data = raw.data
    if not data:
        return None
    version = data[0] >> 4
    if version == 4:
        ip: Any = IP(data)
        header = ip.ihl * 4
        total = ip.len
    elif version == 6:
        ip = IPv6(data)
        header = 40
        total = 40 + ip.plen
    else:
        return None
    if TCP not in ip:
        return None
    tcp = ip[TCP]
    start = header + tcp.dataofs * 4
    payload = data[start:total]
    return Segment(
        index=index,
        time=raw.time - t0,
        src=ip.src,
        sport=tcp.sport,
        dst=ip.dst,
        dport=tcp.dport,
        flags=str(tcp.flags),
        seq=tcp.seq,
        ack=tcp.ack,
        window=tcp.window,
        length=len(payload),
        payload=bytes(payload),
        options=tuple((str(k), v) for k, v in tcp.options),
    )


def read_story(
    raws: list[RawPacket], server_port: int, closed_port: int | None = None
) -> Story | None:
    """Find the connection to `server_port` (and the knock on `closed_port`).
    None when the handshake is not all there."""
    t0 = raws[0].time if raws else 0.0
    segments = tuple(
        seg for i, raw in enumerate(raws) if (seg := parse_segment(i, raw, t0)) is not None
    )
    syn = next(
        (s for s in segments if s.dport == server_port and s.has("S") and not s.has("A")),
        None,
    )
    if syn is None:
        return None
    ends = {(syn.src, syn.sport), (syn.dst, syn.dport)}
    conversation = tuple(
        s for s in segments if {(s.src, s.sport), (s.dst, s.dport)} == ends and s.index >= syn.index
    )
    synack = next((s for s in conversation if s.has("S") and s.has("A")), None)
    if synack is None:
        return None
    ack = next(
        (
            s
            for s in conversation
            if s.index > synack.index and s.src == syn.src and s.sport == syn.sport
            if s.has("A") and not s.has("S")
        ),
        None,
    )
    if ack is None:
        return None
    knock = rst = None
    if closed_port is not None:
        knock = next((s for s in segments if s.dport == closed_port and s.has("S")), None)
        if knock is not None:
            rst = next(
                (
                    s
                    for s in segments
                    if s.index > knock.index and s.sport == closed_port and s.has("R")
                ),
                None,
            )
    return Story(segments, syn, synack, ack, conversation, knock, rst)
