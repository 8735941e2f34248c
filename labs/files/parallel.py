"""Writing a capture's trace JSON (`tutor explain --json`) with memory that
does not grow with the capture, in one process or, for a large capture, two.

Each packet's JSON text goes to an unnamed temporary file as soon as it is
dissected; only a light View per packet stays, for the steps (which the
JSON has before the packets). The packets are then copied back in order.

Two processes:

What dissection remembers is per conversation (its protocol, TLS records
and HTTP bodies across segments, byte counts from its handshake), except
who is a client, which a SYN tells for every later packet. So the
conversations are split in two shares of about the same size; this process
reads one share and a forked child the other, each with the packets' global
numbers and time origin and every SYN of the capture (found beforehand)
learned before the packet that follows it. Each side writes its packets'
JSON text to its own file and keeps the Views; this process puts them back
in capture order. The output is the JSON `write_json` gives
for `explain_file`, byte for byte (tests/test_explain_parallel.py).

If the child fails, this process reads its share itself; if this process is
stopped, the child is killed and reaped. Only `os.fork` is used (no
multiprocessing import), so a small capture pays nothing.
"""

from __future__ import annotations

import os
import pickle
import signal
import socket
import tempfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from operator import attrgetter
from typing import IO, TextIO

from labs.base import RawPacket
from labs.dissect.core import Learned, dissect_some, paused_gc
from labs.dissect.expert import expert_section
from labs.dissect.layers import Session, dissect_layers, endpoint
from labs.dissect.narrate import opens
from labs.dissect.steps import View, steps_of, view
from labs.files.tracejson import Texts, write_parts
from labs.trace import Trace
from labs.waterfall import Seen, from_seen, seen

#: Where the IP header starts for each link type (the ethertype is just before).
_IP_AT = {"ethernet": 14, "linux-sll": 16, "raw-ip": 0}

#: A conversation: both (address bytes + port bytes), sorted.
Key = tuple[bytes, bytes]


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
        etype = int.from_bytes(data[at - 2 : at], "big")
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
        return None, None, True  # ICMP quotes a TCP header only as "(quoted)"
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


def survey(raws: Sequence[RawPacket]) -> tuple[list[Key | None], list[Learned]]:
    """Each packet's conversation and every SYN of the capture, read from
    the bytes; only packets the bytes leave in doubt are dissected."""
    keys: list[Key | None] = []
    syns: list[Learned] = []
    scratch = Session()
    for i, raw in enumerate(raws):
        key, ends, sure = _scan(raw.data, raw.link)
        if not sure:
            key, ends = _exactly(raw, scratch)
        if ends is not None:
            syns.append((i, raw.origin, *ends))
        keys.append(key)
    return keys, syns


def split(keys: Sequence[Key | None]) -> tuple[list[int], list[int]]:
    """Packet indexes in two shares of about the same size, each
    conversation whole (packets of no conversation stay in the first)."""
    sizes = Counter(keys)
    loads = [sizes.pop(None, 0), 0]
    share: dict[Key | None, int] = {None: 0}
    for key, n in sorted(sizes.items(), key=lambda kv: -kv[1]):
        side = 0 if loads[0] <= loads[1] else 1
        share[key] = side
        loads[side] += n
    out: tuple[list[int], list[int]] = ([], [])
    for i, key in enumerate(keys):
        out[share[key]].append(i)
    return out


def _read(
    raws: Sequence[RawPacket],
    indexes: Sequence[int],
    decode_as: Mapping[int, str] | None,
    client: str | None,
    learned: Sequence[Learned],
    sink: IO[str],
    slims: list[Seen] | None = None,
) -> list[View]:
    """Dissect the packets at `indexes`, write each one's JSON text as one
    line of `sink` (JSON text never holds a raw newline) and return their
    Views: the packets themselves are dropped as soon as they are written,
    so memory does not grow with the capture."""
    texts = Texts()
    views: list[View] = []
    write = sink.write
    for p in dissect_some(raws, indexes, decode_as, client, learned):
        write(texts.packet(p))
        write("\n")
        views.append(view(p))
        if slims is not None:
            slims.append(seen(p))  # what the timing waterfall reads of it
    sink.flush()
    return views


def _child(write_fd: int, work: tuple[object, ...]) -> None:
    """The forked child: read its share into its file, send the Views, exit
    at once (no atexit handlers, no flushing of the parent's buffers)."""
    code = 1
    try:
        slims: list[Seen] = []
        views = _read(*work, slims)  # type: ignore[arg-type,call-arg]
        with os.fdopen(write_fd, "wb") as pipe:
            pickle.dump((views, slims), pipe, protocol=pickle.HIGHEST_PROTOCOL)
        code = 0
    finally:
        os._exit(code)


def _receive(read_fd: int) -> tuple[list[View], list[Seen]] | None:
    """The child's Views, unpickled as they stream in; None if the child
    failed before sending them all."""
    try:
        with os.fdopen(read_fd, "rb") as pipe:
            result: tuple[list[View], list[Seen]] = pickle.load(pipe)
    except Exception:
        return None
    return result


def _spool() -> IO[str]:
    """An unnamed temporary file (0600, gone when closed or at exit) for one
    process's packet texts."""
    return tempfile.TemporaryFile("w+", encoding="utf-8", newline="\n")


def _write(
    trace: Trace,
    shares: Sequence[Sequence[int]],
    spools: Sequence[IO[str]],
    views: list[View],
    out: TextIO,
    slims: list[Seen],
) -> None:
    """The trace JSON: steps from the Views (in capture order), then each
    packet's line taken back from the file of the process that read it."""
    owner = bytearray(sum(len(s) for s in shares))
    for side, indexes in enumerate(shares):
        for i in indexes:
            owner[i] = side
    views.sort(key=attrgetter("number"))
    steps = steps_of(views)
    expert = expert_section(views)
    views.clear()
    for spool in spools:
        spool.seek(0)
    lines = [spool.readline for spool in spools]
    slims.sort(key=attrgetter("index"))
    trace = replace(trace, steps=steps, waterfall=from_seen(slims))
    if expert is not None:
        trace = replace(trace, sections=(*trace.sections, expert))
    write_parts(trace, (lines[side]()[:-1] for side in owner), out)


def write_json_streamed(
    trace: Trace,
    raws: Sequence[RawPacket],
    out: TextIO,
    decode_as: Mapping[int, str] | None = None,
    client: str | None = None,
) -> None:
    """The trace JSON of `trace` (which carries everything but its packets
    and steps) with `raws` dissected in this process, one packet at a time."""
    with paused_gc(), _spool() as spool:
        indexes = range(len(raws))
        slims: list[Seen] = []
        views = _read(raws, indexes, decode_as, client, (), spool, slims)
        _write(trace, [indexes], [spool], views, out, slims)


def _die_with(parent: int) -> None:
    """The child ends when its parent does, even by SIGKILL (PR_SET_PDEATHSIG)."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)
    if os.getppid() != parent:  # the parent was already gone
        os._exit(1)


def write_json_parallel(
    trace: Trace,
    raws: Sequence[RawPacket],
    out: TextIO,
    decode_as: Mapping[int, str] | None = None,
    client: str | None = None,
) -> None:
    """Dissect `raws` in two processes and write the trace JSON of `trace`
    (which carries everything but its packets and steps) with them."""
    with paused_gc(), _spool() as mine_spool, _spool() as their_spool:
        keys, syns = survey(raws)
        shares = split(keys)
        del keys
        read_fd, write_fd = os.pipe()
        # Ctrl-C and SIGTERM wait while forking: one arriving in between would
        # run its handler in both processes and leave the child unwatched.
        held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the child
            os.close(read_fd)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            _die_with(parent)
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
            _child(write_fd, (raws, shares[1], decode_as, client, syns, their_spool))
        os.close(write_fd)
        theirs = None
        try:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)  # a held signal lands here
            slims: list[Seen] = []
            mine = _read(raws, shares[0], decode_as, client, syns, mine_spool, slims)
            received = _receive(read_fd)
            theirs = received[0] if received else None
            if received is not None:
                slims += received[1]
            if theirs is None:  # the child failed: read its share here
                os.waitpid(pid, 0)
                pid = 0
                their_spool.seek(0)
                their_spool.truncate()
                theirs = _read(raws, shares[1], decode_as, client, syns, their_spool, slims)
            _write(trace, shares, (mine_spool, their_spool), mine + theirs, out, slims)
        finally:
            if pid and theirs is None:  # stopped (Ctrl-C) or failed: the child must not outlive us
                os.kill(pid, signal.SIGKILL)
            if pid:
                # Reaped last: a child that has sent everything exits while we write.
                os.waitpid(pid, 0)


__all__ = ["split", "survey", "write_json_parallel", "write_json_streamed"]
