"""HTTP as the dissected packets show it: a request header's value, each
request paired with the response that answered it on its connection, and
the steps titled by the request they belong to."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from labs.model.trace import Packet, Step


def header(p: Packet, name: str) -> str:
    """A request header's value as the HTTP dissector read it ("" if absent);
    `name` in lower case."""
    layer = p.layer("HTTP")
    found = next((f for f in layer.fields if f.name.lower() == name), None) if layer else None
    return found.value if found else ""


def requests_of(packets: tuple[Packet, ...]) -> list[tuple[Packet, Packet | None]]:
    """Each HTTP request and the next response on its connection, in order."""
    out = []
    for p in packets:
        if p.field("http.request.method") is None:
            continue
        answer = next(
            (
                q
                for q in packets
                if q.index > p.index
                and q.src == p.dst
                and q.dst == p.src
                and q.field("http.response.code")
            ),
            None,
        )
        out.append((p, answer))
    # By time, not by index: a live capture may list a connection whose
    # opener it identified late after the others.
    return sorted(out, key=lambda pair: pair[0].time)


def titled_steps(
    steps: tuple[Step, ...], packets: tuple[Packet, ...], names: Mapping[int, str]
) -> tuple[Step, ...]:
    """The steps, each titled "TITLE (NAME)" by the request it belongs to
    (`names`: request packet index -> name): the request in the step, else
    the last one before it on its connection (a response, the close), else
    the first one after it (the handshake). A connection can carry several
    requests, so a name by connection would call them all by the last one's."""
    by_conn: dict[frozenset[str], list[int]] = {}
    for index in sorted(names):
        p = packets[index]
        by_conn.setdefault(frozenset((p.src, p.dst)), []).append(index)
    out = []
    for st in steps:
        first = packets[st.packets[0]]
        asked = by_conn.get(frozenset((first.src, first.dst)), [])
        inside = [i for i in asked if i in st.packets]
        before = [i for i in asked if i < st.packets[0]]
        after = [i for i in asked if i > st.packets[-1]]
        pick = inside[:1] or before[-1:] or after[:1]
        out.append(replace(st, title=f"{st.title} ({names[pick[0]]})") if pick else st)
    return tuple(out)
