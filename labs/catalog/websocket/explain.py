"""The websocket lab's words: the key and its accept computed step by step,
masked and unmasked bytes side by side, the idle proxy; and the facts its
predict questions check."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import replace

from labs.kit import Fact, Packet, Recording, Section, Trace, make_trace, sender_ip

from .result import QUIET, WsResult
from .steps import flags, opcodes, ws_steps

#: RFC 6455 section 1.3: the fixed GUID appended to the key.
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def explain(rec: Recording[WsResult]) -> Trace:
    result = rec.result
    ports = {result.port: "websocket"}
    if result.idle is not None:
        ports[result.idle.port] = "websocket"
    trace = make_trace(
        rec,
        decode_as=ports,
        steps=lambda packets: ws_steps(packets, result),
        client=sender_ip(rec.raws[0]) if rec.raws else None,
    )
    return replace(
        trace, sections=sections(trace.packets, result), facts=facts(trace.packets, result)
    )


def _to_server(p: Packet, result: WsResult) -> bool:
    return p.dst.endswith(f":{result.port}")


def sections(packets: tuple[Packet, ...], result: WsResult) -> tuple[Section, ...]:
    out = [Section("The key and its accept, step by step", _accept_steps(result), "table")]
    masked = next(
        (
            p
            for p in packets
            if p.conversation == "websocket" and "1" in opcodes(p) and _to_server(p, result)
        ),
        None,
    )
    if masked is not None:
        out.append(
            Section("Masked on the wire, unmasked by the server", _mask_table(masked), "table")
        )
    if result.idle is not None:
        out.append(Section("Why a proxy's idle timeout kills a quiet socket", _idle_text(result)))
    out.append(Section("The same in Python", _python(result), "code"))
    return tuple(out)


def _accept_steps(result: WsResult) -> str:
    joined = result.key + GUID
    digest = hashlib.sha1(joined.encode()).digest()
    computed = base64.b64encode(digest).decode()
    rows = [
        "step\tvalue",
        f"1. the client's Sec-WebSocket-Key\t{result.key}",
        f"2. append the fixed GUID (RFC 6455)\t{joined}",
        f"3. SHA-1 of that text (20 bytes)\t{digest.hex(' ')}",
        f"4. base64 of those bytes\t{computed}",
        f"the server's Sec-WebSocket-Accept\t{result.accept}",
        "they match\t" + ("yes" if computed == result.accept else "NO: a client must refuse"),
    ]
    return "\n".join(rows)


def _mask_table(p: Packet) -> str:
    key_f = p.field("websocket.masking_key")
    raw_f = next(
        (f for layer in p.layers for f in layer.fields if f.name == "Masked payload"), None
    )
    text_f = p.field("websocket.payload.text")
    if key_f is None or raw_f is None or text_f is None:
        return ""
    key = bytes.fromhex(key_f.value.replace(":", ""))
    raw = bytes.fromhex(raw_f.value.split(" …")[0].replace(":", ""))
    rows = ["byte\ton the wire\tXOR key byte\t= sent\tcharacter"]
    for i, c in enumerate(raw[:12]):
        clear = c ^ key[i % 4]
        ch = chr(clear) if 32 <= clear < 127 else "."
        rows.append(f"{i}\t{c:02x}\t{key[i % 4]:02x} (key[{i % 4}])\t{clear:02x}\t{ch}")
    return "\n".join(rows)


def _idle_text(result: WsResult) -> str:
    idle = result.idle
    assert idle is not None
    kept = "stayed open" if idle.kept_open else "was dropped anyway"
    return (
        "Proxies, load balancers and NAT gateways keep a table of open connections and forget "
        "the ones that have been silent too long (nginx's proxy_read_timeout and AWS load "
        "balancers default to 60 seconds). They do not send a WebSocket Close frame: they just "
        "close or drop the TCP connection. The lab's proxy forgets after "
        f"{idle.timeout:g} s: the quiet connection was closed {idle.quiet_lasted:g} s after its "
        f"last byte and the client saw code {idle.quiet_code} (closed without a Close frame). "
        f"The connection that sent a Ping every {idle.timeout / 3:g} s ({idle.pings} pings) "
        f"{kept}. That is why WebSocket clients and servers send pings (or small heartbeat "
        "messages) more often than the shortest idle timeout on the path, and reconnect when "
        "a connection dies anyway."
    )


def _python(result: WsResult) -> str:
    return (
        "from websockets.sync.client import connect\n"
        "with connect('ws://HOST:PORT/PATH', compression=None) as ws:\n"
        f"    ws.send({result.message!r}); print(ws.recv())\n"
        "    ws.ping(b'are you there?').wait(5)\n"
        "# ws.close() sends a Close frame with code 1000"
    )


def facts(packets: tuple[Packet, ...], result: WsResult) -> tuple[Fact, ...]:
    out: list[Fact] = []
    main = [p for p in packets if p.conversation == "websocket"]
    answer = next((p for p in main if p.field("http.response.code")), None)
    if answer is not None:
        code = answer.field("http.response.code")
        out.append(
            Fact(
                "upgrade_status",
                code.value if code else "",
                "The server's answer to the Upgrade request: 101 Switching Protocols.",
                (answer.index,),
                "http.response.code",
                label="Status for the Upgrade request",
            )
        )
    accept = next((p for p in main if p.field("http.sec_websocket_accept")), None)
    if accept is not None and result.key:
        computed = base64.b64encode(hashlib.sha1((result.key + GUID).encode()).digest()).decode()
        out.append(
            Fact(
                "accept_matches",
                "yes" if computed == result.accept else "no",
                "base64(SHA-1(key + GUID)) equals the server's Sec-WebSocket-Accept.",
                (accept.index,),
                "http.sec_websocket_accept",
                label="Sec-WebSocket-Accept matches the key",
            )
        )
    framed = [p for p in main if opcodes(p)]
    ups = [p for p in framed if _to_server(p, result)]
    downs = [p for p in framed if not _to_server(p, result)]
    if ups:
        yes = all(f.value == "1" for p in ups for f in p.fields("websocket.mask"))
        out.append(
            Fact(
                "client_frames_masked",
                "yes" if yes else "no",
                "Every frame the client sent had the mask bit set.",
                tuple(p.index for p in ups),
                "websocket.mask",
                label="Client's frames masked",
            )
        )
    if downs:
        any_masked = any(f.value == "1" for p in downs for f in p.fields("websocket.mask"))
        out.append(
            Fact(
                "server_frames_masked",
                "yes" if any_masked else "no",
                "Frames from the server are never masked.",
                tuple(p.index for p in downs),
                "websocket.mask",
                label="Server's frames masked",
            )
        )
    pong = next((p for p in downs if "10" in opcodes(p)), None)
    if pong is not None:
        out.append(
            Fact(
                "ping_answer",
                "Pong",
                "A Ping is answered by a Pong (opcode 10) carrying the same bytes.",
                (pong.index,),
                "websocket.opcode",
                label="Answer to a Ping",
            )
        )
    close = next((p for p in ups if "8" in opcodes(p)), None)
    code_f = close.field("websocket.payload.close.status_code") if close else None
    if close is not None and code_f is not None:
        out.append(
            Fact(
                "close_code",
                code_f.value,
                "The status code in the client's Close frame (1000: a normal closure).",
                (close.index,),
                "websocket.payload.close.status_code",
                label="Close code from the client",
            )
        )
    if result.idle is not None:
        quiet = [p for p in packets if p.conversation == QUIET]
        fin = next((p for p in quiet if flags(p) & 0x05), None)
        if fin is not None:
            who = "proxy" if p_src_port(fin) == result.idle.port else "client"
            out.append(
                Fact(
                    "idle_closer",
                    who,
                    "Who closed the quiet connection first (the first FIN or RST).",
                    (fin.index,),
                    "tcp.flags.fin",
                    label="Who closed the quiet connection",
                )
            )
            out.append(
                Fact(
                    "idle_close_code",
                    str(result.idle.quiet_code),
                    "What the client reported: 1006, closed without a Close frame.",
                    (fin.index,),
                    "tcp.flags.fin",
                    label="Close code the client reported when idle",
                )
            )
    return tuple(out)


def p_src_port(p: Packet) -> int:
    return int(p.src.rsplit(":", 1)[1]) if ":" in p.src else 0
