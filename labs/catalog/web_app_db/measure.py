"""What the web-app-db trace measures, read from its dissected packets: each
page's window (its HTTP request to its response), the SQL round trips inside
it (a Query to the server's Ready for query), and the database connections
opened in it. The explanation's words and facts are built from these."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from labs.kit import Packet


@dataclass(frozen=True)
class RoundTrip:
    """One SQL statement on the database hop, from the packet that sends it
    to the packet that says the server is ready again."""

    sql: str
    sent: int
    done: int
    start: float
    end: float
    rows: int

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Window:
    """One page: its packets on both hops, in time order."""

    label: str
    path: str
    request: int
    response: int
    start: float
    end: float
    packets: tuple[int, ...]
    db_packets: tuple[int, ...]
    queries: tuple[RoundTrip, ...]
    #: Packets of database connections opened for this page (SYN on the database port).
    connects: tuple[int, ...]

    @property
    def seconds(self) -> float:
        return self.end - self.start

    @property
    def db_seconds(self) -> float:
        return sum(q.seconds for q in self.queries)


def port_of(address: str) -> int:
    return int(address.rsplit(":", 1)[1]) if ":" in address else 0


def on_port(p: Packet, port: int) -> bool:
    return port in (port_of(p.src), port_of(p.dst))


def _types(p: Packet) -> list[str]:
    return [f.value for f in p.fields("pgsql.type")]


def round_trips(packets: Sequence[Packet], db_port: int) -> list[RoundTrip]:
    """Every Query and the Ready for query that ends it, per connection."""
    out: list[RoundTrip] = []
    waiting: dict[str, tuple[str, Packet, int]] = {}
    for p in packets:
        if not on_port(p, db_port):
            continue
        to_server = port_of(p.dst) == db_port
        client = p.src if to_server else p.dst
        if to_server:
            query = p.field("pgsql.query")
            if query is not None:
                waiting[client] = (query.value, p, 0)
            continue
        if client not in waiting:
            continue
        sql, sent, rows = waiting[client]
        types = _types(p)
        rows += types.count("Data row")
        if "Ready for query" in types:
            out.append(RoundTrip(sql, sent.index, p.index, sent.time, p.time, rows))
            del waiting[client]
        else:
            waiting[client] = (sql, sent, rows)
    return out


def windows(
    packets: Sequence[Packet], http_port: int, db_port: int, pages: Sequence[tuple[str, str]]
) -> list[Window]:
    """The pages' windows, pairing the n-th HTTP request with the n-th response."""
    requests = [p for p in packets if p.field("http.request.method") is not None]
    responses = [p for p in packets if p.field("http.response.code") is not None]
    trips = round_trips(packets, db_port)
    out: list[Window] = []
    for (label, path), req, resp in zip(pages, requests, responses, strict=False):
        inside = [p for p in packets if req.index <= p.index <= resp.index]
        db = [p for p in inside if on_port(p, db_port)]
        out.append(
            Window(
                label=label,
                path=path,
                request=req.index,
                response=resp.index,
                start=req.time,
                end=resp.time,
                packets=tuple(p.index for p in inside),
                db_packets=tuple(p.index for p in db),
                queries=tuple(q for q in trips if req.index < q.sent and q.done < resp.index),
                connects=tuple(
                    p.index
                    for p in db
                    if port_of(p.dst) == db_port and (p.number("tcp.flags") or 0) & 0x12 == 0x02
                ),
            )
        )
    return out


def before_first_query(packets: Sequence[Packet], w: Window, db_port: int) -> list[Packet]:
    """The client's messages on the page's new connection before its first
    query: each one waits for the server's answer (a round trip)."""
    if not w.queries:
        return []
    first = w.queries[0].sent
    return [
        p
        for p in packets
        if w.request < p.index < first and port_of(p.dst) == db_port and _types(p)
    ]
