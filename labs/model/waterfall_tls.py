"""TLS in the timing waterfall: the handshake phase of a connection, and the
records that end a side's sending rather than ask or answer (TLS's goodbye),
which must not be drawn as one more request. The fields it reads are in
`labs.model.waterfall.READS`.

A goodbye is what the packets show, no more: an encrypted record whose
type says Alert (TLS 1.2 leaves the type readable), or a TLS 1.3 record of
exactly an encrypted alert's size (every encrypted TLS 1.3 record says
Application Data outside, RFC 8446 §5.2: only its size can tell), with no
more data from its side after it. `labs.dissect.tls_steps` names the same
packets as a step of their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from labs.model.waterfall import Phases, Seen

#: The AEAD tag of each TLS 1.3 cipher suite (RFC 8446 §B.4), by its code as
#: tshark shows tls.handshake.ciphersuite: 16 bytes, but 8 for AES_128_CCM_8.
_TAGS = {"0x1301": 16, "0x1302": 16, "0x1303": 16, "0x1304": 16, "0x1305": 8}
_VERSION = "tls.handshake.extensions.supported_version"
#: The name of the Field (no Wireshark name: tutor's own reading) that
#: `labs.dissect.proto.tls_record` puts on a TLS 1.3 record of `alert_size`.
ALERT_SIZED = "Size of an encrypted alert"
_TLS13 = "0x0304"
#: The layers (`labs.dissect.proto.tls_record`) of a record that may be a goodbye.
_ALERT, _DATA = "TLS Encrypted Alert", "TLS Application Data"


def alert_size(suite: str | None) -> int | None:
    """The encrypted length of a TLS 1.3 record holding one alert under
    `suite`: 2 bytes of alert, 1 of the real content type, the AEAD tag
    (RFC 8446 §5.2, §6). A sender may pad a record (§5.4): a padded alert
    is longer and is not told apart. None for a suite not known here."""
    tag = _TAGS.get(suite or "")
    return None if tag is None else 2 + 1 + tag


def _goodbye(p: Seen, size: int | None) -> bool:
    """Every TLS record of `p` is an encrypted alert (its type readable) or
    a TLS 1.3 record of `size` encrypted bytes."""
    # A record read from several segments: "TLS Application Data (reassembled ...)".
    names = {name.split(" (", 1)[0] for name in p.layers if name.startswith("TLS")}
    if names == {_ALERT}:
        return True
    lengths = p.values.get("tls.record.length", ())
    return (
        size is not None
        and names == {_DATA}
        and bool(lengths)
        and all(n == str(size) for n in lengths)
    )


def _size(data: list[Seen], client: str) -> int | None:
    """The size of an encrypted alert in this connection: TLS 1.3's, with
    the cipher suite its ServerHello chose; None before TLS 1.3 (the type
    then tells) or when the ServerHello was not seen."""
    server = [p for p in data if p.src != client]
    if not any(_TLS13 in p.values.get(_VERSION, ()) for p in server):
        return None
    return alert_size(
        next((s for p in server if (s := p.first("tls.handshake.ciphersuite"))), None)
    )


def without_goodbyes(data: list[Seen], client: str) -> list[Seen]:
    """`data` (a connection's packets with payload, before its first FIN or
    RST) without each side's goodbye: its last packets, when each is one
    (`_goodbye`) and no other data from that side follows them."""
    cut: set[int] = set()
    talked: set[str] = set()  # the sides whose later packets are not all goodbyes
    size: int | None = None
    sized = False
    # From the end, and only until both sides are found talking: a
    # connection's packets are read once, not again for its goodbyes.
    for k in range(len(data) - 1, -1, -1):
        p = data[k]
        if p.src in talked:
            if len(talked) > 1:
                break
            continue
        if any(name.startswith((_ALERT, _DATA)) for name in p.layers):
            if not sized:
                size, sized = _size(data, client), True
            if _goodbye(p, size):
                cut.add(k)
                continue
        talked.add(p.src)
    return [p for k, p in enumerate(data) if k not in cut] if cut else data


#: HTTP/2's GOAWAY frame type (RFC 9113 §6.8), as tshark shows http2.type.
_GOAWAY = "7"


def without_goaway(data: list[Seen], inside: Sequence[Seen]) -> list[Seen]:
    """`data` without its last packets when each carries only HTTP/2 GOAWAY
    frames: "no more streams on this connection" (RFC 9113 §6.8) is part of
    the closing, not a request. A packet shows it in its own frames (h2c),
    or in the plaintext recorded inside TLS just before its record (a lab's
    run: the side's writes since its previous record); a record that
    cannot be read says nothing and stays."""
    end = len(data)
    while end and _goaway(data, end - 1, inside):
        end -= 1
    return data[:end] if end < len(data) else data


def _goaway(data: list[Seen], k: int, inside: Sequence[Seen]) -> bool:
    p = data[k]
    types = p.values.get("http2.type", ())
    if types:
        return all(t == _GOAWAY for t in types)
    if not inside:
        return False
    since = next((q.time for q in reversed(data[:k]) if q.src == p.src), float("-inf"))
    wrote = [q for q in inside if q.src == p.src and q.dst == p.dst and since < q.time <= p.time]
    found = [t for q in wrote for t in q.values.get("http2.type", ())]
    return bool(found) and all(t == _GOAWAY for t in found)


def handshake(pkts: list[Seen], data: list[Seen], client: str, first: Phases) -> list[Seen]:
    """Add the TLS handshake to `first` when a ClientHello opens one; returns
    the data packets after it."""
    hello = next((p for p in data if p.src == client and p.first("tls.handshake.type")), None)
    if hello is None or hello.number("tls.handshake.type") != 1:
        return data
    server_flight = next((p for p in data if p.src != client and p.time > hello.time), None)
    done = (
        next((p for p in data if p.src == client and p.time > server_flight.time), None)
        if server_flight
        else None
    )
    tls13 = any(_TLS13 in p.values.get(_VERSION, ()) for p in data if p.src != client)
    if done is not None and not tls13:
        # TLS 1.2: the server's ChangeCipherSpec and Finished answer the
        # client's, a second round trip before the request may go.
        done = next((p for p in data if p.src != client and p.time > done.time), done)
    end = done.time if done else (server_flight.time if server_flight else hello.time)
    # The client's Finished (first data it sends after the server's flight)
    # belongs to the handshake; the request starts with what follows it.
    after = [p for p in data if p.time > end]
    if tls13 and done is not None and (not after or after[0].src != client) and _rode(done):
        # The request rode in the client's last handshake flight (its
        # Finished and the first encrypted record in one segment).
        after.insert(0, done)
    else:
        # What the server sends before the client's next data answers no
        # request (TLS 1.3's session tickets, or the rest of its encrypted
        # flight after a HelloRetryRequest): the handshake's bar, as its step.
        k = next((k for k, p in enumerate(after) if p.src == client), len(after))
        if k and done is not None:
            end, after = after[k - 1].time, after[k:]
    first.append(("tls", [p for p in pkts if hello.time <= p.time <= end]))
    return after


def _rode(p: Seen) -> bool:
    """More than one encrypted record besides a ChangeCipherSpec (1 byte,
    RFC 8446 §D.4) in the client's last handshake packet: its Finished is
    one record, so a request rode with it."""
    return sum(n != "1" for n in p.values.get("tls.record.length", ())) > 1


__all__ = ["ALERT_SIZED", "alert_size", "handshake", "without_goaway", "without_goodbyes"]
