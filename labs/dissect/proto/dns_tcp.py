"""DNS over TCP (RFC 1035 section 4.2.2, RFC 7766): each message is preceded
by its length in two bytes (Wireshark's dns.length), and a message may
span several segments, which are put back together here before it is read
as DNS (the layer then says which packets it came from)."""

from __future__ import annotations

from dataclasses import replace

from labs.dissect.proto import dns
from labs.dissect.proto.base import App, Stream, app
from labs.model.trace import Field, Layer

#: A message waiting for more segments is at most this long (the length prefix's limit).
_MAX = 65535 + 2


def _length_field(at: int, n: int) -> Field:
    return Field(
        "Length",
        "dns.length",
        str(n),
        f"{n} bytes",
        at,
        2,
        "Over TCP, each DNS message starts with its length: TCP is a stream of "
        "bytes, so the receiver needs it to know where a message ends.",
    )


def _message(data: bytes, at: int, first: int, parts: int) -> Layer:
    """The DNS layer of one whole message `data` (length prefix included)
    whose first byte would sit at `at`; fields before `first` (the bytes of
    earlier segments) keep no bytes of this packet."""
    n = int.from_bytes(data[:2], "big")
    # Read as if the message began the packet, then moved to where it sits
    # (`at` is negative when it began in an earlier segment).
    inner = dns.dissect(data[2:], 2, Stream())[0]
    fields = [_length_field(at, n), *(replace(f, offset=f.offset + at) for f in inner.fields)]
    if parts > 1:
        fields = [f if f.offset >= first else replace(f, offset=first, length=0) for f in fields]
    name = "DNS" if parts == 1 else f"DNS (reassembled from {parts} segments)"
    start = max(at, first)
    return Layer(name, start, at + len(data) - start, tuple(fields))


def dissect(payload: bytes, offset: int, stream: Stream) -> list[Layer]:
    state = stream.state
    held: bytes = state.get("held", b"")
    parts: int = state.get("parts", 0) + 1
    data = held + payload
    at = offset - len(held)
    layers: list[Layer] = []
    while len(data) >= 2:
        size = 2 + int.from_bytes(data[:2], "big")
        if len(data) < size:
            break
        layers.append(_message(data[:size], at, offset, parts))
        data, at, parts = data[size:], at + size, 1
    if data and len(data) < _MAX:
        state["held"], state["parts"] = data, parts
        n = min(len(data), len(payload))
        layers.append(
            Layer(
                "DNS-TCP (part)",
                offset + len(payload) - n,
                n,
                (
                    Field(
                        "Part of a DNS message",
                        None,
                        f"{n} bytes",
                        f"{n} bytes",
                        offset + len(payload) - n,
                        n,
                        "The message goes on in the next segment; it is read when complete.",
                    ),
                ),
            )
        )
    else:
        state.pop("held", None)
        state.pop("parts", None)
    return layers


def describe(layers: tuple[Layer, ...]) -> str:
    return "part of a DNS message, which goes on in the next segment"


def summarize(layers: tuple[Layer, ...]) -> str:
    return "DNS over TCP (part of a message)"


# Whole messages are layers named "DNS", which the DNS module narrates.
app(App("dns-tcp", ("tcp",), (53,), dissect, describe, None, summarize))
