"""HTTP as the dissected packets show it: a request header's value, each
request paired with the response that answered it on its connection, and
the steps titled by the connection they belong to."""

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
    steps: tuple[Step, ...], packets: tuple[Packet, ...], names: Mapping[frozenset[str], str]
) -> tuple[Step, ...]:
    """The steps, each titled "TITLE (NAME)" by the name of its connection
    (`names`, by the two ends of the step's first packet); a step whose
    connection has no name keeps its title."""
    out = []
    for st in steps:
        first = packets[st.packets[0]]
        name = names.get(frozenset((first.src, first.dst)))
        out.append(replace(st, title=f"{st.title} ({name})") if name else st)
    return tuple(out)
