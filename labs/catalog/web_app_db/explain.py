"""The web-app-db lab's words: both hops of each page, measured on the trace."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from typing import TYPE_CHECKING

from labs.kit import Fact, Packet, Recording, Section, Step, Trace, make_trace

from .measure import Window, before_first_query, port_of, round_trips, windows

if TYPE_CHECKING:
    from .result import DbResult

BAR = 36


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def explain(rec: Recording[DbResult]) -> Trace:
    result = rec.result
    decode = {result.db_port: "pgsql"}
    if result.http_port:
        decode[result.http_port] = "http"
    trace = make_trace(rec, decode_as=decode)
    packets = trace.packets
    if not result.http_port:
        facts = [*_wire_facts(packets), *_result_facts(result)]
        return replace(trace, sections=tuple(_query_sections(result)), facts=tuple(facts))
    pages = [(p.label, p.path) for p in result.pages]
    found = windows(packets, result.http_port, result.db_port, pages)
    by = {w.label: w for w in found}
    sections = [
        _hops(result),
        _table(found),
        *_n_plus_one(by),
        *_pool(packets, by, result.db_port),
        *_index(by, result.plans),
        _waterfall(packets, by.get("n+1")),
    ]
    facts = [*_page_facts(packets, by, result), *_wire_facts(packets)]
    return replace(
        trace,
        steps=_steps(packets, found),
        sections=tuple(s for s in sections if s is not None),
        facts=tuple(facts),
    )


def _hops(result: DbResult) -> Section:
    return Section(
        "Two hops, one page",
        f"Your browser (here, the lab's client) asks the web application on port "
        f"{result.http_port} for a page over HTTP. To build it, the application asks its "
        f"PostgreSQL database on port {result.db_port}, over a second TCP connection, in "
        "PostgreSQL's own protocol: the SQL travels as readable text (no TLS here), and the "
        "rows come back as Row description, Data row, Command completion, Ready for query. "
        "The page is ready only when the last answer is back: that is where slow pages "
        "usually spend their time.",
    )


def _table(found: list[Window]) -> Section:
    rows = ["page\tSQL queries\tpackets (database hop)\tpage time\ttime waiting for SQL"]
    for w in found:
        rows.append(
            f"{w.label} {w.path}\t{len(w.queries)}\t{len(w.packets)} ({len(w.db_packets)})"
            f"\t{_ms(w.seconds)}\t{_ms(w.db_seconds)}"
        )
    return Section("One page = N queries", "\n".join(rows), kind="table")


def _n_plus_one(by: dict[str, Window]) -> list[Section]:
    naive, joined = by.get("n+1"), by.get("join")
    if naive is None or joined is None or not naive.queries or not joined.queries:
        return []
    n = len(naive.queries) - 1
    ratio = naive.seconds / joined.seconds if joined.seconds else 0.0
    text = (
        f"The same page, the same rows. Built the naive way it cost {len(naive.queries)} "
        f"queries (1 for the list, then 1 for each of the {n} customers: the N+1 pattern), "
        f"{len(naive.db_packets)} packets on the database hop and {_ms(naive.seconds)}. "
        f"With one JOIN: {len(joined.queries)} query, {len(joined.db_packets)} packets, "
        f"{_ms(joined.seconds)}"
        + (
            f" ({ratio:.1f} times faster)."
            if ratio >= 1
            else ". This time the JOIN was not faster: on one machine a round trip costs so "
            "little that other work (the capture itself, the operating system) can outweigh "
            "it. Count the round trips instead: they are what grows with distance."
        )
        + " Every query is a round trip: on this machine one costs a fraction of a "
        "millisecond, across a network to a database in another building or cloud zone "
        "0.5 to 2 ms each, so 100 customers would cost 100 round trips before the page "
        "can be sent. ORMs produce N+1 quietly when code loops over records and asks "
        "each one for its related rows."
    )
    code = (
        f"-- N+1\n{naive.queries[0].sql}\n"
        + "\n".join(q.sql for q in naive.queries[1:3])
        + f"\n-- ... {n} of them\n\n-- one JOIN\n{joined.queries[0].sql}"
    )
    return [
        Section("N+1 queries vs one JOIN", text),
        Section("The SQL of both pages", code, "code"),
    ]


def _pool(packets: tuple[Packet, ...], by: dict[str, Window], db_port: int) -> list[Section]:
    pooled, fresh = by.get("join"), by.get("new-connection")
    if pooled is None or fresh is None:
        return []
    setup = before_first_query(packets, fresh, db_port)
    steps = ", ".join(
        dict.fromkeys(t for p in setup for t in (f.value for f in p.fields("pgsql.type")))
    )
    text = (
        f"The same page again, but the application opens a new database connection for it "
        f"instead of borrowing the pooled one: {len(fresh.db_packets)} packets on the database "
        f"hop instead of {len(pooled.db_packets)}, and {_ms(fresh.seconds)} instead of "
        f"{_ms(pooled.seconds)}. Before its one query could be sent, the new connection "
        f"needed a TCP handshake and {len(setup)} more round trips ({steps}): SCRAM-SHA-256 "
        "proves the password without sending it, and both sides compute thousands of hash "
        "rounds to do it. A pool pays that once, when the application starts, and lends the "
        "open connection to each request."
    )
    return [Section("A pooled connection vs a new one per request", text)]


def _index(by: dict[str, Window], plans: tuple[str, ...]) -> list[Section]:
    scan, indexed = by.get("scan"), by.get("index")
    if scan is None or indexed is None or len(plans) < 2 or not scan.queries:
        return []
    before, after = scan.queries[0].seconds, indexed.queries[0].seconds if indexed.queries else 0
    text = (
        f"The lookup of one shipment among 100,000: without an index PostgreSQL reads the "
        f"whole table (a sequential scan) and the query took {_ms(before)} on the wire, from "
        f"the Query packet to Ready for query. After CREATE INDEX the same query took "
        f"{_ms(after)}: the index leads straight to the row. EXPLAIN ANALYZE (below, run "
        "beside the page, not on its connection) shows the plan the database chose and its "
        "own timing; the wire time adds the trip and the sending of the answer."
    )
    return [
        Section("An index vs a full scan", text),
        Section("EXPLAIN ANALYZE without the index", plans[0], "code"),
        Section("EXPLAIN ANALYZE with the index", plans[1], "code"),
    ]


def _waterfall(packets: tuple[Packet, ...], w: Window | None) -> Section | None:
    """Where the first page's time went, drawn as bars on one time line."""
    if w is None or w.seconds <= 0:
        return None
    scale = BAR / w.seconds

    def line(label: str, start: float, end: float) -> str:
        left = int(round((start - w.start) * scale))
        width = max(1, int(round((end - start) * scale)))
        bar = " " * left + "█" * min(width, BAR - left)
        return f"{label[:34]:<34} {bar:<{BAR}} {_ms(start - w.start):>10} +{_ms(end - start)}"

    rows = [line(f"HTTP GET {w.path}", w.start, w.end)]
    for q in w.queries:
        rows.append(line(f"  SQL {q.sql}", q.start, q.end))
    app_time = w.seconds - w.db_seconds
    rows.append("")
    rows.append(
        f"{_ms(w.db_seconds)} of {_ms(w.seconds)} ({w.db_seconds / w.seconds:.0%}) waiting for "
        f"the database's answers; {_ms(app_time)} in the application and on the HTTP hop."
    )
    return Section(f"Waterfall: where the time of {w.path} went", "\n".join(rows), "code")


def _steps(packets: tuple[Packet, ...], found: list[Window]) -> tuple[Step, ...]:
    t0 = packets[0].time if packets else 0.0
    out: list[Step] = []
    first = found[0].request if found else len(packets)
    if first:
        out.append(
            Step.over(
                "connect",
                packets[:first],
                "The application connects to its database when it starts (its pool) and "
                "warms the connection up with its pages' queries, as a running application "
                "has long done; then the client opens its HTTP connection.",
                "Start: the app connects to PostgreSQL",
                t0,
            )
        )
    for n, w in enumerate(found, 1):
        members = [packets[i] for i in w.packets]
        explain = f"{len(w.queries)} SQL quer{'y' if len(w.queries) == 1 else 'ies'} for this page"
        out.append(
            Step.over(f"page-{n}", members, explain + ".", f"Page {n}: {w.label} ({w.path})", t0)
        )
    last = found[-1].response + 1 if found else 0
    if last < len(packets):
        out.append(
            Step.over("close", packets[last:], "Both connections close.", "Close both hops", t0)
        )
    return tuple(out)


def _page_facts(packets: tuple[Packet, ...], by: dict[str, Window], result: DbResult) -> list[Fact]:
    out: list[Fact] = []
    naive, joined, fresh = by.get("n+1"), by.get("join"), by.get("new-connection")
    if naive is not None:
        out.append(Fact("queries_naive_page", str(len(naive.queries)),
                        "SQL queries the N+1 page sent: 1 for the list and 1 per customer.",
                        tuple(q.sent for q in naive.queries), "pgsql.query", label="SQL queries for the N+1 page"))  # fmt: skip
    if joined is not None:
        out.append(Fact("queries_join_page", str(len(joined.queries)),
                        "SQL queries the same page sent with a JOIN.",
                        tuple(q.sent for q in joined.queries), "pgsql.query", label="SQL queries for the page with a JOIN"))  # fmt: skip
        if joined.queries:
            q = joined.queries[0]
            out.append(Fact("data_rows_join_page", str(q.rows),
                            "Data row messages in the JOIN's answer: one per row of the result.",
                            (q.done,), "pgsql.type", label="Data rows in the JOIN's answer"))  # fmt: skip
    if naive is not None and joined is not None:
        faster = "join" if joined.seconds < naive.seconds else "n+1"
        out.append(Fact("faster_page", faster,
                        f"Measured: N+1 {_ms(naive.seconds)}, JOIN {_ms(joined.seconds)}.",
                        (naive.request, naive.response, joined.request, joined.response),
                        "http.request.method", label="The faster page"))  # fmt: skip
    if fresh is not None:
        setup = before_first_query(packets, fresh, result.db_port)
        out.append(Fact("round_trips_before_query", str(len(setup)),
                        "Round trips a new connection needs before its first query (startup, "
                        "then the two SCRAM messages), after the TCP handshake.",
                        tuple(p.index for p in setup), "pgsql.type", label="Round trips before the first query"))  # fmt: skip
    if len(result.plans) >= 2:
        out.append(
            Fact(
                "plan_without_index",
                "Seq Scan"
                if "Seq Scan" in result.plans[0]
                else result.plans[0].split("\n", 1)[0].split("  ")[0],
                "The plan EXPLAIN shows for the lookup before the index exists.",
                (),
                "",
                label="Query plan without the index",
            )
        )
        out.append(Fact("plan_with_index", "Index Scan" if "Index" in result.plans[1] else
                        result.plans[1].split("\n", 1)[0].split("  ")[0],
                        "The plan once the index exists.", (), "", label="Query plan with the index"))  # fmt: skip
    return out


def _wire_facts(packets: tuple[Packet, ...]) -> list[Fact]:
    out: list[Fact] = []
    queries = [p for p in packets if p.field("pgsql.query") is not None]
    out.append(Fact("sql_readable", "yes" if queries else "no",
                    "The SQL text can be read by anyone who sees the database hop (no TLS).",
                    tuple(p.index for p in queries[:1]), "pgsql.query", label="SQL readable on the wire"))  # fmt: skip
    mech = [p for p in packets if p.field("pgsql.auth.sasl.mech") is not None]
    if mech:
        out.append(Fact("auth_method", mech[0].field("pgsql.auth.sasl.mech").value,  # type: ignore[union-attr]
                        "How the client proves who it is.", (mech[0].index,),
                        "pgsql.auth.sasl.mech", label="How the client proves who it is"))  # fmt: skip
        clear = [p for p in packets if p.field("pgsql.password") is not None]
        proofs = [p for p in packets if p.field("pgsql.auth.sasl.data") is not None]
        out.append(Fact("password_on_wire", "yes" if clear else "no",
                        "Whether a password message crossed the wire (SCRAM sends only a "
                        "challenge and a proof computed from it).",
                        tuple(p.index for p in clear or proofs),
                        "pgsql.password" if clear else "pgsql.auth.sasl.data", label="Password sent on the wire"))  # fmt: skip
    return out


def _query_sections(result: DbResult) -> list[Section]:
    out = []
    for q in result.queries:
        if q.error:
            out.append(Section(q.sql, f"The database refused it: {q.error}"))
            continue
        rows = ["\t".join(q.columns) or "(no columns)"]
        rows += ["\t".join("NULL" if v is None else v for v in r) for r in q.rows[:50]]
        more = f" (first 50 of {len(q.rows)})" if len(q.rows) > 50 else ""
        out.append(Section(f"{q.sql}{more}", "\n".join(rows), "table"))
    return out


def _result_facts(result: DbResult) -> list[Fact]:
    """Each query's result set as a fingerprint, so two queries can be
    compared without their rows: `rows_N` in the order the rows came,
    `set_N` whatever their order (N counts from 1, in the order given)."""
    out: list[Fact] = []
    for n, q in enumerate(result.queries, 1):
        if q.error:
            continue
        rows = [list(r) for r in q.rows]
        width = len(q.columns)
        said = f"{len(rows)} row{'s' * (len(rows) != 1)} of {width} column{'s' * (width != 1)}"
        ordered = json.dumps([width, rows], ensure_ascii=False)
        unordered = json.dumps([width, sorted(rows, key=json.dumps)], ensure_ascii=False)
        out.append(
            Fact(
                f"rows_{n}",
                _digest(ordered),
                f"{said}, in this order.",
                (),
                "",
                label=f"Rows of query {n}, in order",
            )
        )
        out.append(
            Fact(
                f"set_{n}",
                _digest(unordered),
                f"{said}, in any order.",
                (),
                "",
                label=f"Rows of query {n}, in any order",
            )
        )
    return out


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


__all__ = ["explain", "port_of", "round_trips"]
