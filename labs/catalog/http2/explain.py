"""The http2 lab's words: the two protocols side by side, the headers HPACK
decoded, why the second request's headers are smaller, flow control, how to
read it in Wireshark; and the facts its predict questions check."""

from __future__ import annotations

from dataclasses import replace

from labs.kit import Fact, Layer, Packet, Recording, Section, Trace, make_trace, sender_ip
from labs.model.numbers import Numbering

from .frames import H1, H2, all_frames, connection, flags, headers_table, kind, requests, value
from .result import Http2Result
from .steps import http2_steps


def explain(rec: Recording[Http2Result]) -> Trace:
    result = rec.result
    # Over TLS the wire is TLS and the frames inside are recognised by the
    # preface; in clear the server port is HTTP/2 (an HTTP/1.1 conversation
    # on it is still read as HTTP/1.1).
    decode = {result.port: "tls" if result.mode == "tls" else "http2"}
    trace = make_trace(
        rec,
        decode_as=decode,
        steps=lambda packets: http2_steps(packets, result),
        client=sender_ip(rec.raws[0]) if rec.raws else None,
        keylog=result.keylog,
    )
    return replace(
        trace, sections=sections(trace.packets, result), facts=facts(trace.packets, result)
    )


def sections(packets: tuple[Packet, ...], result: Http2Result) -> tuple[Section, ...]:
    out = [_side_by_side(packets, result)]
    reqs = requests(packets)
    if reqs:
        rows = ["header\tvalue\thow it was sent\tbytes"] + [
            f"{n}\t{v}\t{r}\t{b}" for n, v, r, b in headers_table(reqs[0][1])
        ]
        out.append(
            Section("The first request's headers, decoded (HPACK)", "\n".join(rows), "table")
        )
    if len(reqs) > 1:
        out.append(Section("Why the second request's headers are smaller", _smaller(reqs)))
    flow = _flow(packets)
    if flow:
        out.append(Section("Flow control", flow))
    out.append(Section("Read it in Wireshark", _wireshark(result), "code"))
    out.append(Section("The same calls with curl", _curl(result), "code"))
    return tuple(out)


def _side_by_side(packets: tuple[Packet, ...], result: Http2Result) -> Section:
    h1, h2 = result.http1, result.http2
    wire = [p for p in packets if p.origin == "wire"]
    conns = {
        c: sum(1 for p in wire if connection(p) == c and flags(p) & 0x12 == 0x02) for c in (H1, H2)
    }
    reqs = requests(packets)
    h1_head = len(h1.request.split(b"\r\n\r\n", 1)[0]) + 4
    h2_heads = " + ".join(value(f, "http2.length") for _p, f in reqs) or "-"
    rows = [
        "\tHTTP/1.1\tHTTP/2",
        f"calls\t1\t{len(h2.streams)}",
        f"TCP connections\t{conns[H1]}\t{conns[H2]}",
        f"ALPN (chosen)\t{h1.alpn or '(none: in clear)'}\t{h2.alpn or '(none: prior knowledge)'}",
        f"request header bytes\t{h1_head} (text)\t{h2_heads} (HPACK)",
        "statuses\t"
        + (str(h1.status) if h1.status else "(no HTTP/1.1 answer)")
        + "\t"
        + ", ".join(str(s.status) for s in h2.streams),
        f"packets on the wire\t{sum(1 for p in wire if connection(p) == H1)}\t"
        f"{sum(1 for p in wire if connection(p) == H2)}",
    ]
    return Section("HTTP/1.1 and HTTP/2 side by side", "\n".join(rows), "table")


def _smaller(reqs: list[tuple[Packet, Layer]]) -> str:
    f1, f2 = reqs[0][1], reqs[1][1]
    first, second = headers_table(f1), headers_table(f2)
    indexed = [n for n, _v, r, b in second if r == "Indexed Header Field" and b == 1]
    spelled = [n for n, _v, r, _b in second if r != "Indexed Header Field"]
    return (
        f"The first HEADERS frame is {value(f1, 'http2.length')} bytes for {len(first)} "
        f"headers and the second {value(f2, 'http2.length')} bytes for the same "
        f"{len(second)} headers. HPACK keeps a table of headers already sent on this "
        "connection, on both ends: the first request spelled out :authority, user-agent and "
        "the rest and added them to the table; the second sent "
        f"{', '.join(indexed) or 'them'} as one-byte indexes and spelled out only "
        f"{', '.join(spelled) or 'nothing'}, which changed. HTTP/1.1 sends every header as "
        "text on every request."
    )


def _flow(packets: tuple[Packet, ...]) -> str:
    window = next(
        (
            value(f, "http2.settings.initial_window_size")
            for _p, f in all_frames(packets)
            if f.field("http2.settings.initial_window_size") is not None
        ),
        "",
    )
    ups = [(p, f) for p, f in all_frames(packets) if kind(f) == "WINDOW_UPDATE"]
    if not ups:
        return ""
    p, f = ups[0]
    sid = value(f, "http2.streamid")
    where = f"stream {sid}" if sid != "0" else "the connection"
    return (
        f"The client's SETTINGS set INITIAL_WINDOW_SIZE to {window} bytes: the most DATA the "
        "server may send on a stream before the client says it has room for more. The list "
        f"is bigger, so the server sent that much and waited; in packet {Numbering(packets).label(p.index)} the client "
        f"sent WINDOW_UPDATE +{value(f, 'http2.window_update.window_size_increment')} for "
        f"{where}, and the rest followed. A slow reader holds back one stream, not the "
        "whole connection."
    )


def _wireshark(result: Http2Result) -> str:
    if result.mode == "tls":
        return (
            "tutor lab run http2 --pcap h2.pcap      # writes h2.pcap and h2.pcap.keys\n"
            f"tshark -r h2.pcap -o tls.keylog_file:h2.pcap.keys -d tcp.port=={result.port},tls "
            "-Y http2\n# Wireshark: Preferences > Protocols > TLS > (Pre)-Master-Secret log "
            "filename = h2.pcap.keys"
        )
    return (
        "tutor lab run http2 --h2c --pcap h2c.pcap\n"
        f"tshark -r h2c.pcap -d tcp.port=={result.port},http2 -Y http2"
    )


def _curl(result: Http2Result) -> str:
    scheme = "https" if result.mode == "tls" else "http"
    path = result.http2.streams[0].path if result.http2.streams else "/"
    url = f"{scheme}://{result.authority}{path}"
    if result.mode == "tls":
        extra = " --insecure" if result.embedded else ""
        return f"curl --http1.1 -v{extra} {url}\ncurl --http2 -v{extra} {url}"
    return f"curl --http1.1 -v {url}\ncurl --http2-prior-knowledge -v {url}"


def facts(packets: tuple[Packet, ...], result: Http2Result) -> tuple[Fact, ...]:
    out: list[Fact] = []
    wire = [p for p in packets if p.origin == "wire"]
    hello = next(
        (p for p in wire if connection(p) == H2 and p.field("tls.handshake.extensions_alpn_str")),
        None,
    )
    if result.mode == "tls" and hello is not None and result.http2.alpn:
        out.append(
            Fact(
                "alpn_choice",
                result.http2.alpn,
                "The ClientHello offered h2 and http/1.1; the server chose this one.",
                (hello.index,),
                "tls.handshake.extensions_alpn_str",
                label="Protocol the server chose (ALPN)",
            )
        )
    syns = [p for p in wire if connection(p) == H2 and flags(p) & 0x12 == 0x02]
    if syns:
        out.append(
            Fact(
                "h2_connections",
                str(len(syns)),
                f"All {len(result.http2.streams)} HTTP/2 calls shared this many TCP connections.",
                tuple(p.index for p in syns),
                "tcp.flags.syn",
                label="TCP connections for the HTTP/2 calls",
            )
        )
    reqs = requests(packets)
    if reqs:
        ids = ", ".join(value(f, "http2.streamid") for _p, f in reqs)
        out.append(
            Fact(
                "h2_streams",
                ids,
                "Each request opened its own stream; the client numbers them 1, 3, 5 "
                "(odd), the server would use even numbers.",
                tuple(dict.fromkeys(p.index for p, _f in reqs)),
                "http2.streamid",
                label="Stream numbers of the requests",
            )
        )
    first = next(
        ((p, f) for p, f in all_frames(packets) if p.dst.endswith(f":{result.port}")), None
    )
    if first is not None:
        out.append(
            Fact(
                "first_frame",
                kind(first[1]),
                "Right after the 24-byte preface, the client's first frame.",
                (first[0].index,),
                "http2.type",
                label="The client's first HTTP/2 frame",
            )
        )
    if len(reqs) > 1:
        a, b = int(value(reqs[0][1], "http2.length")), int(value(reqs[1][1], "http2.length"))
        out.append(
            Fact(
                "second_headers_smaller",
                "yes" if b < a else "no",
                f"The first request's HEADERS frame was {a} bytes, the second's {b} "
                "(HPACK sends headers already sent as table indexes).",
                tuple(dict.fromkeys(p.index for p, _f in reqs[:2])),
                "http2.length",
                label="Second request's headers smaller (HPACK)",
            )
        )
    up = next(((p, f) for p, f in all_frames(packets) if kind(f) == "WINDOW_UPDATE"), None)
    if up is not None:
        out.append(
            Fact(
                "window_update_from",
                "client" if up[0].dst.endswith(f":{result.port}") else "server",
                "Who sent the first WINDOW_UPDATE: the side receiving the big body.",
                (up[0].index,),
                "http2.window_update.window_size_increment",
                label="Who sent the first WINDOW_UPDATE",
            )
        )
    bye = next(((p, f) for p, f in all_frames(packets) if kind(f) == "GOAWAY"), None)
    if bye is not None:
        out.append(
            Fact(
                "goaway_sender",
                "client" if bye[0].dst.endswith(f":{result.port}") else "server",
                "Who said GOAWAY first: the lab's client, once its calls were answered.",
                (bye[0].index,),
                "http2.goaway.error",
                label="Who sent GOAWAY first",
            )
        )
    return tuple(out)
