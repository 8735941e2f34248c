"""TCP bytes put in sequence before a module that reassembles (HTTP)
reads them, as Wireshark's TCP reassembly puts the segments of a message
whose length it knows (its "multi-segment PDU") in place whatever order
they come in.

Each direction remembers the sequence number of the next byte it expects.
A segment that starts further on, inside the message being held, is kept
aside until the bytes before it come (usually a retransmission of a
segment the capture never saw); then they are read together, in order, and
the message names every segment it came from. A segment beyond the held
message after a gap, or one with no message held, is read as it is and the
module says the gap out loud. Bytes already read
are not read twice; only the new bytes of a fast retransmission that
overlaps what came before are. A retransmission on timeout is put in place
only when it brings bytes that kept segments wait for, as Wireshark does with
`tcp.reassemble_out_of_order` on (by default Wireshark 4.0 drops it, and the
kept bytes are never read); a segment TCP analysis calls out of order is not.

`by_length` does the same for messages whose header gives their length
(TLS records), message by message, as Wireshark keeps each one's bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from labs.dissect.proto.base import Stream, resent_layer
from labs.model.trace import Field, Layer

#: read(payload, offset, stream, tcp analysis flags, end of this packet's own
#: bytes when bytes of earlier packets follow them in `payload`, else None)
Reader = Callable[[bytes, int, Stream, tuple[str, ...], int | None], list[Layer]]
#: where the held message ends (a sequence number), or None when not known
HeldEnd = Callable[[dict[str, Any], int], int | None]

_MOD = 1 << 32
_RESENT = frozenset({"retransmission", "fast_retransmission", "spurious_retransmission"})
#: what TCP analysis said that no longer holds once the bytes are in order
_DISORDER = frozenset({"out_of_order", "lost_segment"})


def ahead(seq: int, nxt: int) -> int:
    """How far `seq` is past `nxt` (negative: before it), across wrap-around."""
    d = (seq - nxt) % _MOD
    return d - _MOD if d >= _MOD // 2 else d


def dissect(
    payload: bytes, offset: int, stream: Stream, read: Reader, held_end: HeldEnd, proto: str
) -> list[Layer]:
    """The layers of one segment's payload for the module `proto` names
    ("HTTP"), read by `read` once its bytes are in sequence."""
    st = stream.state
    seq = st.get("tcp.seq")
    flags: tuple[str, ...] = tuple(st.get("tcp.analysis", ()))
    nxt = st.get("next")
    n = len(payload)
    if seq is None or nxt is None:
        if seq is not None:
            st["next"] = (seq + n) % _MOD
        if _RESENT.intersection(flags):
            return [resent_layer(payload, offset)]
        return read(payload, offset, stream, flags, None)
    if "retransmission" in flags and not _fills(st, seq, n, nxt):
        return [resent_layer(payload, offset)]
    if "out_of_order" in flags:
        return read(payload, offset, stream, flags, None)
    gap = ahead(seq, nxt)
    if gap > 0:
        end = held_end(st, nxt)
        if end is not None and ahead(seq, end) < 0:
            return [_keep(st, seq, payload, offset, gap, proto)]
        if _RESENT.intersection(flags):
            return [resent_layer(payload, offset)]
        st.pop("early", None)
        st["next"] = (seq + n) % _MOD
        if "lost_segment" not in flags:
            flags += ("lost_segment",)
        return read(payload, offset, stream, flags, None)
    skip = -gap
    if skip >= n or (skip and not _RESENT.intersection(flags)):
        # Nothing new (a keep-alive, bytes out of order after a gap given up),
        # or an overlap TCP analysis did not call a retransmission: read as before.
        if _RESENT.intersection(flags):
            return [resent_layer(payload, offset)]
        if ahead((seq + n) % _MOD, nxt) > 0:
            st["next"] = (seq + n) % _MOD
        return read(payload, offset, stream, flags, None)
    data, at = payload[skip:], offset + skip
    own = len(data)
    nxt = (seq + n) % _MOD
    data, nxt, pulled = _pull(st, data, nxt)
    st["next"] = nxt
    # In sequence now, and only bytes not read before: nothing to warn the reader of.
    clean = tuple(f for f in flags if f not in _DISORDER and f not in _RESENT)
    if not pulled:
        return read(data, at, stream, clean, None)
    return [_clamp(layer, at, at + own) for layer in read(data, at, stream, clean, at + own)]


def _fills(st: dict[str, Any], seq: int, n: int, nxt: int) -> bool:
    """Whether a segment brings the missing bytes that segments kept after a
    gap wait for: put in place then, as Wireshark does with
    `tcp.reassemble_out_of_order` on (else the kept bytes are never read)."""
    return bool(st.get("early")) and ahead(seq, nxt) <= 0 < ahead((seq + n) % _MOD, nxt)


def _keep(st: dict[str, Any], seq: int, payload: bytes, offset: int, gap: int, proto: str) -> Layer:
    """A segment past a gap inside the held message: kept until the gap fills."""
    early: dict[int, bytes] = st.setdefault("early", {})
    if len(payload) > len(early.get(seq, b"")):
        if seq not in early:
            st["parts"] = int(st.get("parts", 1)) + 1
        early[seq] = payload
    n = len(payload)
    return Layer(
        "HTTP (part)" if proto == "HTTP" else f"{proto} record (continued)",
        offset,
        n,
        (
            Field(
                "Held after a gap",
                None,
                f"{n} bytes",
                f"{n} bytes, {gap} missing before them",
                offset,
                n,
                f"More of the {proto} message being put together, but the {gap} bytes before "
                "them have not been seen (yet): they are kept in place until those bytes "
                "come (a resent segment), and the message is read when complete.",
            ),
        ),
    )


def _pull(st: dict[str, Any], data: bytes, nxt: int) -> tuple[bytes, int, int]:
    """`data` followed by the kept segments it now reaches; the next
    sequence number and how many segments were taken."""
    early: dict[int, bytes] | None = st.get("early")
    pulled = 0
    while early:
        reached = [s for s in early if ahead(s, nxt) <= 0]
        if not reached:
            break
        for s in reached:
            piece = early.pop(s)
            new = piece[-ahead(s, nxt) :] if ahead(s, nxt) < 0 else piece
            if ahead((s + len(piece)) % _MOD, nxt) > 0:
                data += new
                nxt = (s + len(piece)) % _MOD
            pulled += 1
    if not early:
        st.pop("early", None)
    return data, nxt, pulled


def _clamp(layer: Layer, first: int, end: int) -> Layer:
    """The layer cut to this packet's own bytes [first, end): what was read
    from bytes that came in earlier packets keeps no bytes of this one."""
    fields = tuple(_clamp_field(f, first, end) for f in layer.fields)
    if layer.offset >= end:
        return replace(layer, offset=first, length=0, fields=fields)
    return replace(
        layer, length=min(layer.offset + layer.length, end) - layer.offset, fields=fields
    )


def _clamp_field(f: Field, first: int, end: int) -> Field:
    if f.offset >= end:
        return replace(f, offset=first, length=0)
    if f.offset + f.length > end:
        return replace(f, length=end - f.offset)
    return f


# Messages of a length their header gives (TLS records), put together as
# Wireshark 4.0's TCP reassembly does: each message that goes on past its
# segment becomes a "multi-segment PDU" that owns the sequence numbers up to
# its end. A segment inside one adds its bytes there, in whatever order they
# come; the message is read in the segment that completes it, and bytes past
# its end start the next message even while a gap keeps it waiting. Bytes in
# no message begin a new one (after a gap that swallowed a header: garbage).

#: fresh(payload, offset, stream) -> (layers, (where in payload an unfinished
#: message starts, its whole length) or None)
Fresh = Callable[[bytes, int, Stream], tuple[list[Layer], tuple[int, int] | None]]
#: whole(message, stream, offset of this packet's part, its start in the
#: message, its length, segments) -> the message read where it completes
Whole = Callable[[bytes, Stream, int, int, int, int], Layer]
#: part(payload piece, offset, bytes missing before it) -> a part not read yet
Part = Callable[[bytes, int, int], Layer]
#: length(a header's first bytes, stream) -> the whole message's length, or None
Length = Callable[[bytes, Stream], int | None]

_KEPT = 24  # messages remembered per direction (a gap may leave some unfinished)


def by_length(
    payload: bytes,
    offset: int,
    stream: Stream,
    fresh: Fresh,
    whole: Whole,
    part: Part,
    length: Length | None = None,
) -> list[Layer]:
    """The layers of one segment's payload read message by message, each
    message's bytes placed by sequence number (`stream.state["tcp.seq"]`).
    A header cut short at a segment's end (`fresh` says length 0) is
    completed from the next segment and measured by `length`."""
    st = stream.state
    seq = st.get("tcp.seq")
    msps: dict[int, list[Any]] = st.setdefault("msps", {})
    layers: list[Layer] = []
    pos, n = 0, len(payload)
    while pos < n:
        here = None if seq is None else (seq + pos) % _MOD
        found = None if here is None else _owner(msps, here)
        short = st.pop("short", None)
        if found is None and short is not None and length is not None and here is not None:
            start, head = short
            size = length(head + payload[pos : pos + 8], stream)
            if (start + len(head)) % _MOD == here and size is not None and size > len(head):
                # As Wireshark's "one more segment": the header's first bytes
                # and this segment's make the message, which owns its bytes.
                msps[start] = [size, bytearray(size), [], 0]
                _add(msps[start], 0, head)
                if size <= len(head) + n - pos:
                    # Whole in this segment: Wireshark joined all of it to the header.
                    msps[start].append(len(head) + n - pos)
                continue
        if found is None or here is None:
            got, open_ = fresh(payload[pos:], offset + pos, stream)
            layers.extend(got)
            if open_ is not None and here is not None:
                at, size = open_
                start = (here + at) % _MOD
                if not size:
                    st["short"] = (start, payload[pos + at :])
                    break
                msps.pop(start, None)
                msps[start] = [size, bytearray(size), [], 0]
                _add(msps[start], 0, payload[pos + at :])
                while len(msps) > _KEPT:
                    msps.pop(next(iter(msps)))
            break
        start, msp = found
        rel = ahead(here, start)
        take = min(n - pos, msp[0] - rel)
        piece = payload[pos : pos + take]
        if msp[1] is None:
            layers.append(part(piece, offset + pos, 0))  # read already: a copy
        else:
            missing = _add(msp, rel, piece)
            if msp[2] == [[0, msp[0]]]:
                done = whole(bytes(msp[1]), stream, offset + pos, rel, take, msp[3])
                layers.append(_joined(done, msp[4]) if len(msp) > 4 else done)
                msp[1] = None
                msp[2] = []
            else:
                layers.append(part(piece, offset + pos, missing))
        pos += take
    return layers


def _joined(layer: Layer, size: int) -> Layer:
    """`layer` saying the length Wireshark reassembled: a cut header and the
    whole segment that completed it."""
    fields = tuple(
        replace(f, value=str(size), show=f"{size} bytes")
        if f.filter == "tcp.reassembled.length"
        else f
        for f in layer.fields
    )
    return replace(layer, fields=fields)


def _owner(msps: dict[int, list[Any]], here: int) -> tuple[int, list[Any]] | None:
    """The message that owns sequence number `here`: the latest one begun
    before it (Wireshark looks up no other), if it reaches that far."""
    best: tuple[int, list[Any]] | None = None
    for start, msp in msps.items():
        d = ahead(here, start)
        if d > 0 and (best is None or d < ahead(here, best[0])):
            best = (start, msp)
    if best is None or ahead(here, best[0]) >= best[1][0]:
        return None
    return best


def _add(msp: list[Any], rel: int, piece: bytes) -> int:
    """Put `piece` at `rel` in the message; how many bytes before it are missing."""
    size, buf, have = msp[0], msp[1], msp[2]
    end = min(rel + len(piece), size)
    buf[rel:end] = piece[: end - rel]
    msp[3] += 1
    spans = sorted([*have, [rel, end]])
    merged: list[list[int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    msp[2] = merged
    before = sum(min(b, rel) - a for a, b in merged if a < rel)
    return rel - before
