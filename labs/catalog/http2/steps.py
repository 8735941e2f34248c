"""The http2 lab's steps, as a learner names them: the HTTP/1.1 call, then
the HTTP/2 connection's set-up, preface and SETTINGS, requests, answers,
flow control, and GOAWAY."""

from __future__ import annotations

from labs.kit import Packet, Step
from labs.model.numbers import Numbering

from .frames import H1, H2, all_frames, connection, flags, frames, kind, seg_len, value
from .result import Http2Result

TITLES = {
    "h1": "HTTP/1.1: one call on its own connection",
    "h2-connect": "HTTP/2: open the connection (TCP, TLS with ALPN h2)",
    "h2-settings": "SETTINGS: each side's limits",
    "h2-requests": "Three requests as streams on one connection",
    "h2-responses": "The answers, interleaved as frames",
    "h2-flow": "Flow control: WINDOW_UPDATE",
    "h2-encrypted": "HTTP/2 on the wire: encrypted records",
    "h2-close": "GOAWAY and close",
}


def _name(p: Packet, seen: list[str], started: bool) -> str:
    if connection(p) == H1:
        return "h1"
    kinds = [kind(f) for f in frames(p)]
    if "GOAWAY" in kinds or flags(p) & 0x05:
        return "h2-close"
    if any(f.field("http2.headers.method") is not None for f in frames(p)):
        return "h2-requests"
    if "WINDOW_UPDATE" in kinds:
        return "h2-flow"
    if "HEADERS" in kinds or "DATA" in kinds:
        return "h2-responses"
    if kinds or any(layer.name == "HTTP2 preface" for layer in p.layers):
        return "h2-settings"
    if p.origin == "wire" and not started:
        return "h2-connect"
    if p.origin == "wire" and seg_len(p) and any(lay.name.startswith("TLS") for lay in p.layers):
        return "h2-encrypted"
    return seen[-1] if seen and seen[-1] != "h1" else "h2-connect"


def http2_steps(packets: tuple[Packet, ...], result: Http2Result) -> tuple[Step, ...]:
    names: list[str] = []
    started = False  # the HTTP/2 connection's first byte of HTTP/2 has been seen
    for p in packets:
        if connection(p) == H2 and (
            p.origin != "wire" or any(lay.name.startswith("HTTP2") for lay in p.layers)
        ):
            started = True
        if connection(p) == H2 and p.origin == "wire" and result.mode == "tls":
            # Over TLS the wire carries only records: application data after
            # the handshake is "encrypted", the handshake is set-up.
            app_data = any(f.value == "23" for f in p.fields("tls.record.content_type"))
            started = started or app_data
        names.append(_name(p, names, started))
    t0 = packets[0].time if packets else 0.0
    steps = []
    for name in dict.fromkeys(names):
        members = [p for p, n in zip(packets, names, strict=True) if n == name]
        text = _explain(name, members, packets, result)
        steps.append(Step.over(name, members, text, TITLES[name], t0))
    return tuple(steps)


def _explain(
    name: str, members: list[Packet], packets: tuple[Packet, ...], result: Http2Result
) -> str:
    if name == "h1":
        h1 = result.http1
        head = h1.request.split(b"\r\n\r\n", 1)[0]
        how = f"ALPN offered only http/1.1 and the server agreed ({h1.alpn}). " if h1.alpn else ""
        return (
            f"{how}One request, {len(head) + 4} bytes of header text sent as is, one response, "
            f"then the connection closes: {sum(p.origin == 'wire' for p in members)} packets on "
            "the wire for one call. A second call "
            "would wait for this one to finish, or need another connection."
        )
    if name == "h2-connect":
        if result.mode == "tls":
            return (
                "A new TCP connection and TLS handshake. This ClientHello offers h2 first in "
                f"ALPN; the server chose {result.http2.alpn!r}. In TLS 1.3 the server's choice "
                "travels in the encrypted EncryptedExtensions message: Wireshark shows it with "
                "the key log, the lab read it at the client's end."
            )
        return (
            "A new TCP connection. No TLS, so no ALPN: the client starts speaking HTTP/2 at "
            "once ('prior knowledge'), which only works with a server known to accept h2c."
        )
    found = [(p, f) for p, f in all_frames(members)]
    if name == "h2-settings":
        client = _client(packets, result)
        listed = ", ".join(
            f"{kind(f)}{' ACK' if value(f, 'http2.flags.ack.settings') == '1' else ''} from "
            f"{'client' if p.src == client else 'server'}"
            for p, f in all_frames(packets)
            if kind(f) == "SETTINGS"
        )
        magic = next(
            (p.index for p in packets if any(lay.name == "HTTP2 preface" for lay in p.layers)), None
        )
        where = (
            f" (packet {Numbering(packets).label(magic)}, with what the client sent next)"
            if magic is not None
            else ""
        )
        return (
            f"The client opens with 24 fixed bytes, the preface 'PRI * HTTP/2.0 ... SM'{where}, "
            "then each side sends SETTINGS (its limits) and acknowledges the other's with an "
            f"empty SETTINGS carrying the ACK flag: {listed}."
        )
    if name == "h2-requests":
        reqs = [f for _p, f in found if f.field("http2.headers.method") is not None]
        sizes = ", ".join(
            f"stream {value(f, 'http2.streamid')}: {value(f, 'http2.length')} bytes" for f in reqs
        )
        return (
            f"{len(reqs)} HEADERS frames, one per request, each on its own odd-numbered stream, "
            f"all sent before any answer: {sizes}. They share the connection, so no request "
            "waits for another to finish."
        )
    if name == "h2-responses":
        order = " ".join(
            f"{kind(f)}[{value(f, 'http2.streamid')}]"
            for _p, f in found
            if kind(f) in ("HEADERS", "DATA")
        )
        return (
            "Each answer is a HEADERS frame (the status as ':status') and DATA frames with the "
            f"body, marked with its stream so they can interleave: {order}."
        )
    if name == "h2-flow":
        ups = [
            f"+{value(f, 'http2.window_update.window_size_increment')} on "
            + (
                f"stream {value(f, 'http2.streamid')}"
                if value(f, "http2.streamid") != "0"
                else "the connection"
            )
            for _p, f in found
            if kind(f) == "WINDOW_UPDATE"
        ]
        return (
            "The client announced a 16384-byte window per stream, so the server had to stop "
            "sending the big list after 16384 bytes; the client's WINDOW_UPDATE "
            f"({', '.join(ups)}) lets it continue."
        )
    if name == "h2-encrypted":
        size = sum(seg_len(p) for p in members)
        return (
            f"{len(members)} packets, {size} bytes of TLS records carrying the frames above: "
            "on the wire nobody sees streams or headers, only record sizes."
        )
    return (
        "The client sends GOAWAY (no more streams from it, error NO_ERROR), then both "
        "sides close: " + ", ".join(p.summary for p in members if p.origin == "wire") + "."
    )


def _client(packets: tuple[Packet, ...], result: Http2Result) -> str:
    """The HTTP/2 connection's client end."""
    for p in packets:
        if connection(p) != H2:
            continue
        if p.dst.endswith(f":{result.port}"):
            return p.src
    return ""


__all__ = ["H1", "H2", "http2_steps"]
