"""One connection per request against one connection kept alive, read from
the packets: how many TCP handshakes each server's requests took, what the
`Connection` headers asked for and answered (http.connection), and how
long the first request on a kept-alive connection took against the later
ones (frame.time of the SYN, each request and its response)."""

from __future__ import annotations

from dataclasses import dataclass

from labs.catalog.http_api.result import ApiResult
from labs.kit import Fact, Packet, Section
from labs.model.numbers import Numbering


def _port(end: str) -> int:
    return int(end.rpartition(":")[2])


@dataclass(frozen=True)
class Side:
    """What one server's traffic shows."""

    syns: tuple[Packet, ...]
    requests: tuple[Packet, ...]
    responses: tuple[Packet, ...]

    def said(self, packets: tuple[Packet, ...]) -> str:
        values = sorted({(p.field("http.connection") or _NONE).value for p in packets})
        return ", ".join(values) or "-"


class _None:
    value = "(none)"


_NONE = _None()


def read_side(packets: tuple[Packet, ...], port: int) -> Side:
    wire = [p for p in packets if p.origin == "wire" and p.layer("TCP") is not None]
    syns = tuple(
        p for p in wire if (p.number("tcp.flags") or 0) & 0x12 == 0x02 and _port(p.dst) == port
    )
    requests = tuple(p for p in wire if p.field("http.request.method") and _port(p.dst) == port)
    responses = tuple(p for p in wire if p.field("http.response.code") and _port(p.src) == port)
    return Side(syns, requests, responses)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def connections_section(packets: tuple[Packet, ...], res: ApiResult) -> tuple[Section, ...]:
    closed, kept = read_side(packets, res.port), read_side(packets, res.keepalive_port)
    rows = [
        "Server\tRequests\tTCP handshakes (SYN)\tConnection: asked (request)\t"
        "Connection: answered (response)",
        f"port {res.port}, closes\t{len(closed.requests)}\t{len(closed.syns)}\t"
        f"{closed.said(closed.requests)}\t{closed.said(closed.responses)}",
        f"port {res.keepalive_port}, keeps alive\t{len(kept.requests)}\t{len(kept.syns)}\t"
        f"{kept.said(kept.requests)}\t{kept.said(kept.responses)}",
    ]
    text = [
        "requests asks for keep-alive on every request (`Connection: keep-alive`): it would "
        "like to send the next request on the same TCP connection. The lab's main server "
        f"answers `Connection: close` and hangs up, so its {len(closed.requests)} requests "
        f"took {len(closed.syns)} handshakes, one new connection each. The keep-alive copy "
        f"answers `Connection: keep-alive`: its {len(kept.requests)} requests travelled on "
        f"{len(kept.syns)} connection(s)."
    ]
    if kept.syns and len(kept.requests) > 1 and len(kept.responses) == len(kept.requests):
        first = kept.responses[0].time - kept.syns[0].time
        later = [
            r.time - q.time for q, r in zip(kept.requests[1:], kept.responses[1:], strict=True)
        ]
        text.append(
            f"Timed from the packets (frame.time): the first request's answer came "
            f"{_ms(first)} after its SYN ({Numbering(packets).ref(kept.syns[0].index)}), because a handshake had to "
            "happen first; the later ones came "
            + ", ".join(_ms(t) for t in later)
            + " after their request, no handshake needed. On loopback a handshake costs "
            "almost nothing; across the Internet each costs a round trip (tens of "
            "milliseconds), and with HTTPS the TLS handshake adds more: that is the saving."
        )
    text.append(
        "Not to be confused with TCP keepalive, an empty probe TCP sends on an idle "
        "connection to check that the other end is still there: HTTP keep-alive just means "
        "reusing the connection for the next request."
    )
    return (
        Section(
            "One connection per request, or one kept alive (http.connection, tcp.flags.syn)",
            "\n".join(rows),
            kind="table",
        ),
        Section("What keep-alive changes", "\n\n".join(text)),
    )


def connection_facts(packets: tuple[Packet, ...], res: ApiResult) -> tuple[Fact, ...]:
    closed, kept = read_side(packets, res.port), read_side(packets, res.keepalive_port)
    facts = []
    if kept.requests:
        facts.append(Fact(
            "keepalive_handshakes", str(len(kept.syns)),
            f"{len(kept.requests)} requests to the keep-alive server took {len(kept.syns)} "
            "TCP handshake(s).",
            tuple(p.index for p in kept.syns), "tcp.flags.syn", label="TCP handshakes with keep-alive",
        ))  # fmt: skip
    if closed.requests:
        facts.append(Fact(
            "close_handshakes", str(len(closed.syns)),
            f"{len(closed.requests)} requests to the server that answers Connection: close "
            f"took {len(closed.syns)} TCP handshakes.",
            tuple(p.index for p in closed.syns), "tcp.flags.syn", label="TCP handshakes with Connection: close",
        ))  # fmt: skip
    return tuple(facts)
