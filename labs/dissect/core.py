"""Bytes -> layers -> fields -> plain language, using scapy's own dissection.

CONTRACT (labs reach it through `labs.kit.make_trace`):

    packet = dissect_packet(raw, index=0, t0=raws[0].time, decode_as={8053: "dns"})
    trace = build_trace(
        lab="dns", target="127.0.0.1:8053", capture=cap.kind, raws=raws,
        capture_note=cap.note, decode_as={8053: "dns"},
        steps=None,            # None: default grouping (dns, tcp-connect, tls,
                               # request, response, close); or a callable
                               # (packets: tuple[Packet, ...]) -> tuple[Step, ...]
        sections=(), facts=(), started=iso_time, duration=seconds,
        client=None,           # optional "IP" or "IP:PORT" of the learner's side:
                               # narration then says "your computer"
    )

- Each Packet has layers with fields: byte offset/length within the packet,
  Wireshark display-filter name, value as Wireshark prints it, a short
  reading, and an `explain` for fields that matter to a learner; a plain
  sentence for the packet derived from its bytes (flags, ports, direction).
- `decode_as` maps a port to a protocol name ("http", "dns", "ftp",
  "ftp-data", "tls") for servers on non-standard ports; well-known ports and
  simple heuristics (an HTTP request line, a TLS record header) work without.
- Unknown protocols become a "Data" layer of bytes, never an exception.

`Session` carries what dissection remembers across the packets of one trace
(which protocol a conversation speaks, TLS record boundaries, an HTTP body
still arriving, who is the client); `dissect_packet` without one treats the
packet on its own, `dissect_all(raws, decode_as, client)` shares one among
the packets of each origin: plaintext recorded inside a TLS tunnel
(origin "inside-tls") is read in its own Session, as what it is (HTTP),
not as the TLS of the wire packets whose endpoints it shares.

How: Ethernet/Linux cooked/IP/IPv6/TCP/UDP headers are read by
`labs.dissect.proto.fast` with scapy's field declarations (anything unusual falls
back to a full scapy dissection); each scapy layer is mapped to Wireshark
fields by the mapper `labs.dissect.proto` registers for it; TCP/UDP payloads go to
the application protocol module chosen as `labs.dissect.proto` describes.
"""

from __future__ import annotations

import gc
import ipaddress
import marshal
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from labs.core.base import RawPacket
from labs.dissect import idle, narrate
from labs.dissect.conversations import Streams
from labs.dissect.layers import Session, data_layer, dissect_layers, endpoint
from labs.dissect.steps import default_steps
from labs.model.trace import Fact, Packet, Section, Step, Trace
from labs.model.waterfall import clock, waterfall

StepsArg = Callable[[tuple[Packet, ...]], tuple[Step, ...]] | tuple[Step, ...] | None


def dissect_packet(
    raw: RawPacket,
    *,
    index: int = 0,
    t0: float | None = None,
    decode_as: Mapping[int, str] | None = None,
    session: Session | None = None,
) -> Packet:
    """One RawPacket as a Packet: layers, fields, summary and narration."""
    if session is None:
        session = Session(decode_as, origin=raw.origin)
    return _dissect(raw, index, t0, session)[0]


def _dissect(
    raw: RawPacket, index: int, t0: float | None, session: Session, inside: int = 0
) -> tuple[Packet, dict[str, Any]]:
    """`dissect_packet`, and the ends (addresses, ports, transport) its
    conversation is known by (`inside`: packets read inside TLS before it)."""
    session.now, session.index, session.wire_index = raw.time, index, index - inside
    session.now_ns = raw.ns
    layers, ends = dissect_layers(raw.data, raw.link, session)
    src = endpoint(ends["src"], ends["sport"])
    dst = endpoint(ends["dst"], ends["dport"])
    summary, sentence = narrate.describe(tuple(layers), src, dst, session.roles)
    found = session.analysis
    if found.flags:
        # As Wireshark's Info column: "[TCP Retransmission] ..."; the sentence first.
        summary = found.tags + summary
        sentence = f"{found.sentence} {sentence}"
    packet = Packet(
        index=index,
        time=round(raw.time - (raw.time if t0 is None else t0), 6),
        src=src,
        dst=dst,
        summary=summary,
        hex=raw.data.hex(),
        explain=sentence,
        layers=tuple(layers),
        origin=raw.origin,
        conversation=raw.conversation,
        interface=raw.interface,
    )
    return packet, ends


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector: dissecting a capture makes
    millions of small objects without cycles, and the collector's repeated
    scans of the growing heap took as long as the dissection itself.
    Reference counting still frees everything."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def sender_ip(raw: RawPacket) -> str | None:
    """The source address of a raw-IP packet, read from its header bytes. A lab
    whose first packet is its own SYN or query names the learner's machine so."""
    data = raw.data
    if raw.link != "raw-ip" or not data:
        return None
    if data[0] >> 4 == 4 and len(data) >= 20:
        return str(ipaddress.IPv4Address(data[12:16]))
    if data[0] >> 4 == 6 and len(data) >= 40:
        return str(ipaddress.IPv6Address(data[8:24]))
    return None


def dissect_all(
    raws: Iterable[RawPacket], decode_as: Mapping[int, str] | None = None, client: str | None = None
) -> tuple[Packet, ...]:
    raws = list(raws)
    with paused_gc():
        return tuple(dissect_some(raws, range(len(raws)), decode_as, client))


#: A SYN read elsewhere: (its index, origin, sender, receiver, and the last
#: packet that names the sender, the receiver; -1: not known).
Learned = tuple[int, str, str, str, int, int]


class Syns:
    """The SYNs of a capture (`Learned`, in order) as marshal batches: a
    capture of many connections keeps ~50 bytes of each, not ~250."""

    BATCH = 4096

    def __init__(self) -> None:
        self.done: list[bytes] = []
        self.batch: list[Learned] = []

    def append(self, syn: Learned) -> None:
        self.batch.append(syn)
        if len(self.batch) >= self.BATCH:
            self.done.append(marshal.dumps(self.batch))
            self.batch = []

    def __iter__(self) -> Iterator[Learned]:
        for blob in self.done:
            yield from marshal.loads(blob)
        yield from self.batch


def dissect_some(
    raws: Sequence[RawPacket],
    indexes: Iterable[int],
    decode_as: Mapping[int, str] | None = None,
    client: str | None = None,
    learned: Iterable[Learned] = (),
    streams: Streams | None = None,
) -> Iterator[Packet]:
    """The packets at `indexes` (ascending) of `raws`, read exactly as
    `dissect_all` reads them, also when the other conversations are read
    elsewhere (`labs.files.parallel`): all a packet remembers is per conversation,
    except who is a client, which `learned` (the SYNs of the whole capture)
    supplies before each packet that follows them (and `streams`, the
    capture's stream numbers, `labs.files.survey`)."""
    t0 = raws[0].time if raws else 0.0
    pairs = ((i, raws[i]) for i in indexes)
    return dissect_stream(pairs, t0, decode_as, client, learned, streams=streams)


def dissect_stream(
    numbered: Iterable[tuple[int, RawPacket]],
    t0: float,
    decode_as: Mapping[int, str] | None = None,
    client: str | None = None,
    learned: Iterable[Learned] = (),
    last: Sequence[int] = b"",
    streams: Streams | None = None,
) -> Iterator[Packet]:
    """`dissect_some` over (index, packet) pairs as they are read (ascending
    indexes), times counted from `t0` (the capture's first packet): nothing
    but what dissection remembers per conversation is kept, and with `last`
    (`last[i]` true: packet i is the last of its TCP or UDP conversation in
    the capture, as `labs.files.survey.Survey` finds) not even that once
    the conversation is over. `streams`: the stream numbers of the whole
    capture (its first pass's) for the packets on the wire."""
    # One Session per origin: plaintext recorded inside a TLS tunnel shares
    # its endpoints with the TLS records on the wire, but not their protocol
    # nor their TCP numbering.
    sessions: dict[str, Session] = {}

    def session_for(origin: str) -> Session:
        session = sessions.get(origin)
        if session is None:
            session = sessions[origin] = Session(decode_as, client, origin)
            if streams is not None and origin == "wire":
                streams.given = True
                session.stream_index = streams
        return session

    pending = iter(learned)
    upcoming = next(pending, None)
    # Packets read inside TLS so far (a lab's trace; one process reads it
    # whole): the wire packets' frame numbers skip them.
    inside = 0
    for i, r in numbered:
        while upcoming is not None and upcoming[0] < i:
            _, origin, src, dst, src_last, dst_last = upcoming
            session_for(origin).roles.learn(src, dst, src_last, dst_last)
            upcoming = next(pending, None)
        session = session_for(r.origin)
        session.roles.expire(i)
        packet, ends = _dissect(r, i, t0, session, inside)
        inside += r.origin != "wire"
        yield packet
        if last and last[i] and ends["transport"] in ("tcp", "udp") and ends["sport"] is not None:
            a = endpoint(ends["src"], ends["sport"])
            b = endpoint(ends["dst"], ends["dport"])
            for session in sessions.values():
                idle.forget(
                    session, (ends["src"], ends["sport"]), (ends["dst"], ends["dport"]), a, b
                )


def build_trace(
    *,
    lab: str,
    target: str,
    capture: str,
    raws: Iterable[RawPacket],
    capture_note: str = "",
    decode_as: Mapping[int, str] | None = None,
    steps: StepsArg = None,
    sections: Iterable[Section] = (),
    facts: Iterable[Fact] = (),
    started: str = "",
    duration: float = 0.0,
    client: str | None = None,
    link: str | None = None,
    packets: tuple[Packet, ...] | None = None,
) -> Trace:
    """A whole Trace from a lab's raw packets (see the module docstring)."""
    raws = list(raws)
    with paused_gc():
        if packets is None:
            packets = dissect_all(raws, decode_as, client)
        if steps is None:
            grouped = default_steps(packets)
        elif callable(steps):
            grouped = tuple(steps(packets))
        else:
            grouped = tuple(steps)
    return Trace(
        lab=lab,
        target=target,
        capture=capture,
        steps=grouped,
        packets=packets,
        capture_note=capture_note,
        link=link or (raws[0].link if raws else "raw-ip"),
        sections=tuple(sections),
        facts=tuple(facts),
        started=started,
        duration=duration,
        waterfall=waterfall(packets),
        clock=clock(capture, packets),
    )


__all__ = [
    "Session",
    "build_trace",
    "data_layer",
    "dissect_all",
    "dissect_layers",
    "dissect_packet",
    "dissect_some",
    "dissect_stream",
]
