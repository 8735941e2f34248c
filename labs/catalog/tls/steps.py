"""The steps of an HTTPS exchange as a learner names them: open the
connection, agree on keys, send the request, receive the response, close;
with what an observer can still tell from record sizes."""

from __future__ import annotations

from labs.catalog.tls.result import Exchange
from labs.catalog.tls.wire import (
    HANDSHAKE_TYPES,
    client_of,
    payload_len,
    record_types,
    tcp_flags,
    values,
)
from labs.kit import Packet, Step
from labs.model.numbers import Numbering

TITLES = {
    "tcp-connect": "Open the connection (TCP handshake)",
    "tls": "Agree on keys (TLS handshake)",
    "request": "Send the request (encrypted)",
    "response": "Receive the response (encrypted)",
    "close": "Close the connection",
}


def tls_steps(packets: tuple[Packet, ...], exchange: Exchange) -> tuple[Step, ...]:
    """tcp-connect, tls (until the client's first application record),
    request, response, close; packets recorded inside the tunnel join request
    or response by direction."""
    client = client_of(packets)
    names: list[str] = []
    phase = "tcp-connect"  # -> tls -> exchange -> close
    # Whether a wire record carrying the request has gone out. The request
    # read inside TLS does not count: the client's end records it when the
    # program hands it over, which can be before a session ticket the server
    # sent earlier reaches the wire (timing decides, run to run).
    asked = False
    for p in packets:
        types = {f.value for f in record_types(p)}
        from_client = p.src == client
        if p.origin != "wire":
            name = "request" if from_client else "response"
        elif tcp_flags(p) & 0x02:
            name = "tcp-connect"
        elif phase == "close" or (tcp_flags(p) & 0x05 and not payload_len(p)):
            name, phase = "close", "close"
        elif not payload_len(p):
            name = names[-1] if names else "tcp-connect"
        elif phase in ("tcp-connect", "tls"):
            name, phase = "tls", "tls"
            # The client's second flight (ChangeCipherSpec and Finished, the
            # latter an opaque record in TLS 1.3) ends the handshake; its
            # request may ride in the same segment.
            if from_client and types & {"20", "23"}:
                phase = "exchange"
                if request_record(p, exchange) is not None:
                    name, asked = "request", True
        elif from_client:
            name, asked = "request", True
        else:
            # Server records before the client's first request record cannot be
            # the answer: in TLS 1.3 they are session tickets, part of the set-up.
            name = "response" if asked else "tls"
        if p.origin == "wire" and tcp_flags(p) & 0x05:
            phase = "close"
        names.append(name)
    t0 = packets[0].time if packets else 0.0
    steps = []
    numbering = Numbering(packets)  # the packets read inside TLS are not Wireshark's frames
    for name in dict.fromkeys(names):
        members = [p for p, n in zip(packets, names, strict=True) if n == name]
        explained = _step_explain(name, members, exchange, numbering)
        steps.append(Step.over(name, members, explained, TITLES.get(name, name), t0))
    return tuple(steps)


#: Bytes a TLS 1.3 record adds to what it protects (AES-GCM, ChaCha20-Poly1305):
#: one byte of real content type, then a 16-byte authentication tag.
TLS13_OVERHEAD = 17


def request_record(p: Packet, exchange: Exchange) -> int | None:
    """The length of the record in `p` that is exactly the request plus TLS 1.3's
    overhead, if there is one: encryption hides content, not size."""
    if exchange.version != "TLSv1.3":
        return None
    want = len(exchange.request) + TLS13_OVERHEAD
    lengths = [int(f.value) for f in values(p, "tls.record.length")]
    return want if want in lengths else None


def _step_explain(
    name: str, members: list[Packet], exchange: Exchange, numbering: Numbering
) -> str:
    wire = [p for p in members if p.origin == "wire"]
    inside = [p for p in members if p.origin != "wire"]
    size = sum(payload_len(p) for p in wire)
    if name == "tcp-connect":
        return (
            f"An ordinary TCP handshake with {wire[0].dst}: {', '.join(p.summary for p in wire)}."
        )
    if name == "tls":
        kinds = [
            HANDSHAKE_TYPES.get(f.value, f.value)
            for p in wire
            for f in values(p, "tls.handshake.type")
        ]
        shown = ", ".join(kinds) if kinds else "handshake records"
        return (
            f"{len(wire)} packets, {size} bytes of TLS: {shown} in the clear, then encrypted "
            "records. Client and server agree on a version, a cipher suite and keys."
        )
    if name in ("request", "response"):
        what = "request" if name == "request" else "response"
        text = f"On the wire: {size} bytes of TLS records carrying the {what}, encrypted."
        for p in wire:
            length = request_record(p, exchange) if name == "request" else None
            if length is not None:
                text += (
                    f" The {length}-byte record in packet {numbering.label(p.index)} is the "
                    f"{len(exchange.request)}-byte request plus {TLS13_OVERHEAD} bytes of TLS 1.3 "
                    "(content type and authentication tag): encryption hides the content, not its size."
                )
        for p in inside:
            text += f" Inside the tunnel (recorded at the client, never on the wire): {p.summary}."
        return text
    text = "The connection closes: " + ", ".join(p.summary for p in wire) + "."
    late = [p for p in wire if payload_len(p)]
    reset = next((p for p in wire if tcp_flags(p) & 0x04), None)
    if reset is not None and late:
        sizes = ", ".join(f"{f.value} bytes" for p in late for f in values(p, "tls.record.length"))
        text += (
            f" A last encrypted record ({sizes}) arrived after {reset.src} had closed its end, "
            f"so it answered with a reset (RST) in packet {numbering.label(reset.index)}; in TLS 1.3 a 19-byte "
            "record is the size of an encrypted 2-byte alert such as close_notify ('I am done')."
        )
    return text
