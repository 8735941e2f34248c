"""Reading one TCP conversation (and a refused knock) out of the dissected
packets: which packet is the SYN, the SYN-ACK, the data, the FINs and the
RST, and the numbers in them. The tcp-handshake lab's steps, sections and
facts are all written from this, so every number it explains comes from the
bytes, as the dissector read them (`Packet.field`), never parsed twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from labs.model.trace import Packet

MOD = 2**32


@dataclass(frozen=True)
class Segment:
    """The numbers of one TCP segment, read from its dissected fields."""

    index: int
    src: str
    sport: int
    dst: str
    dport: int
    #: The flags set, as the dissector names them ("SYN", "ACK"), in its order.
    flags: tuple[str, ...]
    seq: int
    ack: int
    window: int
    #: Bytes of data the segment carries (not counting headers).
    length: int
    payload: bytes
    #: The options of a SYN that the lab explains (None: not offered).
    mss: int | None = None
    wscale: int | None = None
    sack: bool = False
    timestamps: bool = False

    def has(self, flag: str) -> bool:
        return flag in self.flags

    @property
    def flag_names(self) -> str:
        return ", ".join(self.flags)

    @property
    def next_seq(self) -> int:
        """The sequence number the peer should acknowledge: SYN and FIN count as one."""
        return (self.seq + self.length + self.has("SYN") + self.has("FIN")) % MOD


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
        return tuple(s for s in self.conversation if s.has("FIN"))

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
            if other.has("ACK") and (other.ack - want) % MOD < MOD // 2:
                return other
        return None

    def window_scale(self, seg: Segment) -> int | None:
        """The shift that applies to `seg`'s window field, if both sides agreed
        on window scaling (RFC 7323); never applies to SYNs."""
        mine = self.syn if self.from_client(seg) else self.synack
        theirs = self.synack if mine is self.syn else self.syn
        if seg.has("SYN") or mine.wscale is None or theirs.wscale is None:
            return None
        return mine.wscale


#: The per-bit flag fields the dissector writes beside tcp.flags, in its order.
_FLAG_FIELDS = ("fin", "syn", "reset", "push", "ack", "urg")


def parse_segment(packet: Packet) -> Segment | None:
    """The TCP numbers of a dissected packet, or None if it is not TCP. A TCP
    header quoted inside an ICMP error is a "TCP (quoted)" layer, so a packet
    with its own TCP layer has no tcp.* fields but its own."""
    tcp = packet.layer("TCP")
    ip = packet.layer("IPv4") or packet.layer("IPv6")
    if tcp is None or ip is None:
        return None

    def num(name: str) -> int:
        return packet.number(name) or 0

    family = "ip" if ip.name == "IPv4" else "ipv6"
    src, dst = (f.value if (f := ip.field(f"{family}.{side}")) else "" for side in ("src", "dst"))
    # The data runs from the end of the TCP header to the end of the IP
    # packet (never into padding a link layer adds).
    end = ip.offset + (num("ip.len") if family == "ip" else ip.length + num("ipv6.plen"))
    payload = packet.data[tcp.offset + tcp.length : end]
    flags = (tcp.field(f"tcp.flags.{name}") for name in _FLAG_FIELDS)
    return Segment(
        index=packet.index,
        src=src,
        sport=num("tcp.srcport"),
        dst=dst,
        dport=num("tcp.dstport"),
        flags=tuple(f.name for f in flags if f is not None and f.value == "1"),
        seq=num("tcp.seq_raw"),
        ack=num("tcp.ack_raw"),
        window=num("tcp.window_size_value"),
        length=len(payload),
        payload=payload,
        mss=packet.number("tcp.options.mss_val"),
        wscale=packet.number("tcp.options.wscale.shift"),
        sack=tcp.field("tcp.options.sack_perm") is not None,
        timestamps=tcp.field("tcp.options.timestamp.tsval") is not None,
    )


def read_story(
    packets: Sequence[Packet], server_port: int, closed_port: int | None = None
) -> Story | None:
    """Find the connection to `server_port` (and the knock on `closed_port`).
    None when the handshake is not all there."""
    segments = tuple(seg for p in packets if (seg := parse_segment(p)) is not None)
    syn = next(
        (s for s in segments if s.dport == server_port and s.has("SYN") and not s.has("ACK")),
        None,
    )
    if syn is None:
        return None
    ends = {(syn.src, syn.sport), (syn.dst, syn.dport)}
    conversation = tuple(
        s for s in segments if {(s.src, s.sport), (s.dst, s.dport)} == ends and s.index >= syn.index
    )
    synack = next((s for s in conversation if s.has("SYN") and s.has("ACK")), None)
    if synack is None:
        return None
    ack = next(
        (
            s
            for s in conversation
            if s.index > synack.index and s.src == syn.src and s.sport == syn.sport
            if s.has("ACK") and not s.has("SYN")
        ),
        None,
    )
    if ack is None:
        return None
    knock = rst = None
    if closed_port is not None:
        knock = next((s for s in segments if s.dport == closed_port and s.has("SYN")), None)
        if knock is not None:
            rst = next(
                (
                    s
                    for s in segments
                    if s.index > knock.index and s.sport == closed_port and s.has("RST")
                ),
                None,
            )
    return Story(segments, syn, synack, ack, conversation, knock, rst)
