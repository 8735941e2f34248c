"""The numbers of a TCP header that the analysis reads
(`labs.dissect.tcp_analysis`), from the header's dissected fields."""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter, itemgetter

from labs.model.trace import Field

#: A TCP header's field names without options, as `proto.transport.tcp_fields` orders them.
_PLAIN = (
    *("tcp.srcport", "tcp.dstport", "tcp.seq_raw", "tcp.ack_raw", "tcp.hdr_len", "tcp.flags"),
    *("tcp.flags.fin", "tcp.flags.syn", "tcp.flags.reset", "tcp.flags.push", "tcp.flags.ack"),
    *("tcp.flags.urg", "tcp.window_size_value", "tcp.checksum", "tcp.urgent_pointer", "tcp.len"),
)
_FILTER, _VALUE = attrgetter("filter"), attrgetter("value")
#: the places (in `_PLAIN`), then the names, of what `header_numbers` reads
_AT, _NAMED = itemgetter(2, 3, 5, 15, 12), itemgetter(*(_PLAIN[i] for i in (2, 3, 5, 15, 12)))


def header_numbers(fields: Sequence[Field]) -> tuple[int, int, int, int, int, int | None]:
    """(raw sequence number, raw acknowledgment number, flags, segment
    length, window, window scale or None) from a TCP header's fields (each
    name's first); KeyError or ValueError when one is missing or unreadable."""
    if len(fields) == 16 and tuple(map(_FILTER, fields)) == _PLAIN:  # most headers: no options
        seq, ack, bits, seglen, window = map(_VALUE, _AT(fields))
        wscale = None
    else:
        back = fields[::-1]  # each name's first field's value (the later ones are overwritten)
        by: dict[str | None, str] = dict(zip(map(_FILTER, back), map(_VALUE, back), strict=True))
        seq, ack, bits, seglen, window = _NAMED(by)
        wscale = by.get("tcp.options.wscale.shift")
    scale = int(wscale) if wscale is not None else None
    return int(seq), int(ack), int(bits, 16), int(seglen), int(window), scale


__all__ = ["header_numbers"]
