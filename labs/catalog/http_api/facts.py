"""What an http-api trace proves (the facts of labs/FACTS.md) and, for
https, what the wire shows against what stays inside the tunnel.

Each fact is read from the dissected packets of this run (their fields),
with those packets as its evidence.
"""

from __future__ import annotations

import ipaddress

from labs.catalog.http_api.explain import Exchange, split_head
from labs.kit import Fact, Packet, Section
from labs.model.numbers import Numbering

#: What the learner reads for each exchange's status fact (its name is the key).
STATUS_LABELS = {
    "status_without_key": "Status without an API key",
    "status_created": "Status after creating an order",
    "status_revalidated": "Status when the ETag still matches",
    "status_rate_limited": "Status of a report asked for too soon",
}


def _flags(p: Packet) -> int:
    return p.number("tcp.flags") or 0


def handshake(packets: tuple[Packet, ...]) -> tuple[int, ...]:
    """Indexes from the first SYN on the wire to the ACK that completes its handshake."""
    wire = [p for p in packets if p.origin == "wire"]
    syn = next((p for p in wire if _flags(p) & 0x12 == 0x02), None)
    if syn is None:
        return ()
    ends = {syn.src, syn.dst}
    conv = [p for p in wire if {p.src, p.dst} == ends and p.index >= syn.index]
    synack = next((p for p in conv if _flags(p) & 0x12 == 0x12 and p.src == syn.dst), None)
    if synack is None:
        return ()
    ack = next(
        (p for p in conv if p.index > synack.index and p.src == syn.src and _flags(p) & 0x10),
        None,
    )
    if ack is None:
        return ()
    return tuple(p.index for p in conv if p.index <= ack.index)


def _responses(packets: tuple[Packet, ...], exchanges: list[Exchange]) -> dict[int, Packet]:
    """The packet that starts each exchange's response (by client, in order)."""
    origin = "inside-tls" if exchanges and exchanges[0].inside_tls else "wire"
    starts: dict[str, list[Packet]] = {}
    for p in packets:
        if p.origin == origin and p.field("http.response.code"):
            starts.setdefault(p.dst, []).append(p)
    out: dict[int, Packet] = {}
    for ex in exchanges:
        queue = starts.get(ex.client, [])
        if queue:
            out[ex.number] = queue.pop(0)
    return out


def facts_for(packets: tuple[Packet, ...], exchanges: list[Exchange]) -> tuple[Fact, ...]:
    """Every fact this run can prove, each read from its packets."""
    facts: list[Fact] = []
    shake = handshake(packets)
    if shake:
        facts.append(
            Fact(
                "packets_to_connect",
                str(len(shake)),
                "Packets from the first SYN to the ACK that completes the handshake: the "
                "connection exists before any HTTP byte is sent.",
                shake,
                "tcp.flags",
                label="Packets to open a connection",
            )
        )
    responses = _responses(packets, exchanges)
    for ex in exchanges:
        if not ex.fact or ex.number not in responses:
            continue
        p = responses[ex.number]
        found = p.field("http.response.code")
        if found is None:
            continue
        code = found.value
        facts.append(
            Fact(
                ex.fact,
                code,
                f"Exchange {ex.number} ({ex.why}) was answered {code}.",
                (p.index,),
                "http.response.code",
                label=STATUS_LABELS.get(ex.fact, f"Status of exchange {ex.number}"),
            )
        )
    if exchanges:
        facts.extend(_user_agent(packets, exchanges[0]))
    return tuple(facts)


def _user_agent(packets: tuple[Packet, ...], ex: Exchange) -> list[Fact]:
    _line, headers, _body = split_head(ex.request)
    agent = next((v for n, v in headers if n.lower() == "user-agent"), None)
    if agent is None or "user-agent" in ex.set_here:
        return []
    who = "requests" if agent.startswith("python-requests/") else agent.split("/")[0]
    origin = "inside-tls" if ex.inside_tls else "wire"
    evidence = tuple(
        p.index
        for p in packets
        if p.origin == origin and p.src == ex.client and p.field("http.user_agent")
    )[:1]
    return [
        Fact(
            "user_agent_set_by",
            who,
            f"The lab never set User-Agent; the request carried {agent!r}, added by {who}.",
            evidence,
            "http.user_agent",
            label="Who set the User-Agent header",
        )
    ]


def tunnel_section(packets: tuple[Packet, ...], host: str) -> Section:
    """For https: what anyone on the path sees, and what only the two ends see."""
    wire = [p for p in packets if p.origin == "wire"]
    inside = [p for p in packets if p.origin == "inside-tls"]
    tls = [p for p in wire if any(layer.name.startswith("TLS") for layer in p.layers)]
    sni = next(
        (
            (p, f)
            for p in wire
            for layer in p.layers
            for f in layer.fields
            if f.filter == "tls.handshake.extensions_server_name"
        ),
        None,
    )
    lines = [
        f"On the wire: {len(wire)} packets, {len(tls)} of them carrying TLS records. Anyone on "
        "the path can read the addresses and ports, the sizes and timing of the records"
        + (
            f", and the server name {sni[1].value} in the ClientHello (packet {Numbering(packets).label(sni[0].index)}, "
            "tls.handshake.extensions_server_name)."
            if sni
            else "; no server name (SNI) was found in a ClientHello"
            + (
                f" (the client connected to the address {host}, and SNI only ever carries names)."
                if _is_address(host)
                else "."
            )
        ),
        "The method, the path, the headers (API keys and cookies too) and the bodies are "
        "encrypted: on the wire they are unreadable bytes.",
        "",
        f"Inside the encrypted tunnel — not visible on the wire: the {len(inside)} packets "
        'marked "inside-tls" show the HTTP request and response as the client program handled '
        "them, before encryption and after decryption. They were recorded at the socket; "
        "nothing in this form crossed the network.",
    ]
    return Section("What the wire shows, and what stays inside TLS", "\n".join(lines))


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True
