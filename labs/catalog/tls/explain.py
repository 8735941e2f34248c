"""Reading an HTTPS trace for a learner: what anyone on the path can see
(ClientHello, ServerHello, record sizes and timing, the server's address and
name) and what they cannot (the HTTP inside), the server's certificate, the
steps, and the facts of labs/FACTS.md.

Wire facts are read from the dissected TLS fields (Wireshark's `tls.*`
names); the hidden side from the packets recorded inside the tunnel; the
certificate from the client's end of the connection (see `cert_section`).
"""

from __future__ import annotations

from datetime import datetime

from labs.catalog.tls.cert import cert_sections
from labs.catalog.tls.result import Exchange
from labs.catalog.tls.wire import (
    CONTENT_TYPES,
    HANDSHAKE_TYPES,
    client_of,
    handshake,
    payload_len,
    record_types,
    tcp_flags,
    tls_version,
    values,
)
from labs.kit import Fact, Field, Packet, Section
from labs.model.numbers import Numbering


def _shows(fields: list[Field]) -> str:
    return ", ".join(dict.fromkeys(f.show for f in fields))


# -- what is visible -----------------------------------------------------------


def hello_rows(packets: tuple[Packet, ...]) -> list[tuple[str, str, str]]:
    """(what, value, where) for everything the two hellos show in clear."""
    rows: list[tuple[str, str, str]] = []
    no = Numbering(packets).label  # Wireshark's No.: the packets read inside TLS have none
    syn = next((p for p in packets if p.origin == "wire" and tcp_flags(p) & 0x12 == 0x02), None)
    if syn is not None:
        rows.append(
            ("Server address and port", syn.dst, f"packet {no(syn.index)}, ip.dst/tcp.dstport")
        )
    hello = handshake(packets, "1")
    if hello is not None:
        where = f"ClientHello, packet {no(hello.index)}"
        for label, name in (
            ("Server name (SNI)", "tls.handshake.extensions_server_name"),
            ("TLS versions offered", "tls.handshake.extensions.supported_version"),
            ("Application protocols offered (ALPN)", "tls.handshake.extensions_alpn_str"),
        ):
            found = values(hello, name)
            rows.append((label, _shows(found) if found else "(none)", f"{where}, {name}"))
        suites = values(hello, "tls.handshake.ciphersuite")
        more = f" and {len(suites) - 3} more" if len(suites) > 3 else ""
        rows.append(
            (
                f"Cipher suites offered ({len(suites)})",
                _shows(suites[:3]) + more,
                f"{where}, tls.handshake.ciphersuite",
            )
        )
    server = handshake(packets, "2")
    if server is not None:
        where = f"ServerHello, packet {no(server.index)}"
        chosen = values(server, "tls.handshake.extensions.supported_version") or values(
            server, "tls.handshake.version"
        )
        rows.append(("Version chosen", _shows(chosen), f"{where}"))
        suite = values(server, "tls.handshake.ciphersuite")
        rows.append(("Cipher suite chosen", _shows(suite), f"{where}, tls.handshake.ciphersuite"))
    return rows


def record_rows(packets: tuple[Packet, ...]) -> list[str]:
    """One row per wire packet with TLS records: when, who, which records, sizes."""
    client = client_of(packets)
    no = Numbering(packets).label
    rows = ["packet\ttime (s)\tfrom\trecords\tsizes (bytes)"]
    for p in packets:
        if p.origin != "wire":
            continue
        types = record_types(p)
        if not types:
            continue
        lengths = [f.value for f in values(p, "tls.record.length")]
        kinds = _counted([CONTENT_TYPES.get(f.value, f.show) for f in types])
        who = "client" if p.src == client else "server"
        rows.append(f"{no(p.index)}\t{p.time:.4f}\t{who}\t{', '.join(kinds)}\t{', '.join(lengths)}")
    return rows


def _counted(names: list[str]) -> list[str]:
    """["A", "B", "B", "B"] -> ["A", "B x3"]: runs of the same record type."""
    out: list[tuple[str, int]] = []
    for name in names:
        if out and out[-1][0] == name:
            out[-1] = (name, out[-1][1] + 1)
        else:
            out.append((name, 1))
    return [name if n == 1 else f"{name} x{n}" for name, n in out]


def _request_line(exchange: Exchange) -> bytes:
    return exchange.request.split(b"\r\n", 1)[0]


def _numbers(packets: tuple[Packet, ...], indexes: list[int]) -> str:
    """ "4, 6": the packets at `indexes` as the packet list numbers them."""
    no = Numbering(packets).label
    return ", ".join(no(i) for i in indexes)


def path_seen_on_wire(packets: tuple[Packet, ...], exchange: Exchange) -> list[int]:
    """Wire packets whose bytes contain the request line in clear (none, for TLS)."""
    line = _request_line(exchange)
    return [p.index for p in packets if p.origin == "wire" and line and line in p.data]


def tls_facts(packets: tuple[Packet, ...], exchange: Exchange) -> tuple[Fact, ...]:
    facts: list[Fact] = []
    wire = [p.index for p in packets if p.origin == "wire"]
    no = Numbering(packets).label
    hello = handshake(packets, "1")
    if hello is not None:
        sni = values(hello, "tls.handshake.extensions_server_name")
        facts.append(
            Fact(
                "sni_visible",
                "yes" if sni else "no",
                f"The ClientHello (packet {no(hello.index)}) names the server in clear: {sni[0].value}."
                if sni
                else f"The ClientHello (packet {no(hello.index)}) carries no server name: the "
                "client connected to an IP address.",
                (hello.index,),
                "tls.handshake.extensions_server_name",
                label="Server name readable on the wire (SNI)",
            )
        )
    seen = path_seen_on_wire(packets, exchange)
    line = _request_line(exchange).decode("ascii", "replace")
    facts.append(
        Fact(
            "path_visible",
            "yes" if seen else "no",
            f"The request line {line!r} appears in clear in packets {_numbers(packets, seen)}."
            if seen
            else f"None of the {len(wire)} packets on the wire contains the request line "
            f"{line!r}: the path travelled only inside encrypted records.",
            tuple(seen or wire),
            None,
            label="Request path readable on the wire",
        )
    )
    first = next(
        (p for p in packets if p.origin == "wire" and values(p, "tls.handshake.type")), None
    )
    if first is not None:
        kind = values(first, "tls.handshake.type")[0].value
        facts.append(
            Fact(
                "first_tls_message",
                HANDSHAKE_TYPES.get(kind, kind),
                f"The first TLS message on the wire (packet {no(first.index)}) is a "
                f"{HANDSHAKE_TYPES.get(kind, kind)}: the client speaks first.",
                (first.index,),
                "tls.handshake.type",
                label="First TLS message",
            )
        )
    return tuple(facts)


def tls_sections(
    packets: tuple[Packet, ...], exchange: Exchange, embedded: bool, now: datetime
) -> tuple[Section, ...]:
    rows = hello_rows(packets)
    seen_rows = ["what\tvalue\twhere it is on the wire"] + ["\t".join(r) for r in rows]
    sections = [
        Section("What anyone on the path can see", "\n".join(seen_rows), "table"),
        _hidden_section(packets),
        _summary_section(packets, exchange),
        *cert_sections(exchange, packets, embedded, now),
        Section(
            "TLS records on the wire (types, sizes, timing)",
            "\n".join(record_rows(packets)),
            "table",
        ),
        *_keylog_sections(exchange),
    ]
    return tuple(s for s in sections if s.body)


def _hidden_section(packets: tuple[Packet, ...]) -> Section:
    inside = [p for p in packets if p.origin != "wire"]
    no = Numbering(packets).label  # "6a": read inside TLS from wire packet 6
    lines = []
    for p in inside:
        text = p.data[_payload_start(p) :].decode("utf-8", "replace")
        lines.append(f"[{no(p.index)}] {p.summary}\n{text.rstrip()}")
    return Section(
        "Inside the encrypted tunnel — not visible on the wire",
        (
            # A code section's lines are shown as they are (HTTP, keys), so
            # the note is a sentence a line: each fits 80 columns.
            "Recorded at the client, before encryption and after decryption.\n"
            "On the wire these bytes exist only as the encrypted records above.\n\n"
            + "\n\n".join(lines)
        )
        if lines
        else "",
        "code",
    )


def _payload_start(p: Packet) -> int:
    tcp = next((layer for layer in p.layers if layer.name == "TCP"), None)
    return tcp.offset + tcp.length if tcp else 0


def _summary_section(packets: tuple[Packet, ...], exchange: Exchange) -> Section:
    hello = handshake(packets, "1")
    sni = values(hello, "tls.handshake.extensions_server_name") if hello else []
    cert_on_wire = handshake(packets, "11")
    seen = path_seen_on_wire(packets, exchange)
    wire = [p for p in packets if p.origin == "wire"]
    total = sum(payload_len(p) for p in wire)
    no = Numbering(packets).label
    rows = [
        "thing\tvisible on the wire?\tevidence",
        f"server IP address and port\tyes\tevery packet's IP/TCP header ({wire[0].dst if wire else ''})",
        f"server name (SNI)\t{'yes' if sni else 'no'}\t"
        + (
            f"ClientHello, packet {no(hello.index)}: {sni[0].value}"
            if sni and hello
            else "no SNI sent"
        ),
        "certificate\t"
        + (
            f"yes\tCertificate message, packet {no(cert_on_wire.index)}"
            if cert_on_wire
            else f"no\t{tls_version(exchange)} encrypts the Certificate message"
        ),
        "URL path and query\t"
        + ("yes" if seen else "no")
        + f"\t{'found in packets ' + _numbers(packets, seen) if seen else 'never in clear in any packet'}",
        "HTTP headers (cookies, API keys, tokens)\tno\tinside encrypted records",
        "request and response bodies\tno\tinside encrypted records",
        f"sizes and timing\tyes\t{len(wire)} packets, {total} bytes of TLS (see the records table)",
    ]
    return Section("Visible vs hidden", "\n".join(rows), "table")


#: The section showing the session's key log to the learner; the keys a
#: saved pcap needs travel as `Trace.keylog` (`tutor lab run --pcap F` writes F.keys).
KEYLOG_SECTION = "TLS key log"


def _keylog_sections(exchange: Exchange) -> tuple[Section, ...]:
    how = (
        "In Wireshark: Preferences > Protocols > TLS > (Pre)-Master-Secret log filename, then "
        "open the pcap saved with --pcap to read the HTTP inside. The lab itself decrypted "
        "nothing: its inside view comes from the client's own end of the connection."
    )
    if exchange.keylog_path:
        return (
            Section(
                "Decrypt it yourself in Wireshark",
                f"The session keys were appended to {exchange.keylog_path} (your SSLKEYLOGFILE). {how}",
            ),
        )
    if exchange.keylog:
        return (
            Section(
                "Decrypt it yourself in Wireshark",
                "The client wrote this session's keys in the key log format below (as "
                f"SSLKEYLOGFILE would); with --pcap FILE they are saved as FILE.keys. {how}",
            ),
            Section(KEYLOG_SECTION, exchange.keylog.strip(), "code"),
        )
    return ()
