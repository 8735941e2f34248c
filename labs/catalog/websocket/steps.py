"""The websocket lab's steps, as a learner names them: connect, upgrade,
the server's push, each kind of frame, close; then the two connections
through the idle proxy."""

from __future__ import annotations

from labs.kit import Packet, Step
from labs.model.numbers import number

from .result import PINGING, QUIET, WsResult

TITLES = {
    "tcp-connect": "Open the connection (TCP handshake)",
    "upgrade": "Upgrade: HTTP asks to switch to WebSocket",
    "push": "The server speaks first",
    "text": "A text message and its echo",
    "binary": "A binary message and its echo",
    "ping": "Ping and pong",
    "close": "Close frames, then TCP closes",
    "idle-quiet": "Through a proxy, quiet: dropped",
    "idle-ping": "Through a proxy, pinging: kept open",
}
_BY_OPCODE = {"1": "text", "2": "binary", "9": "ping", "10": "ping", "8": "close"}


def opcodes(p: Packet) -> list[str]:
    return [f.value for f in p.fields("websocket.opcode")]


def flags(p: Packet) -> int:
    return p.number("tcp.flags") or 0


def _name(p: Packet, before: list[str], result: WsResult) -> str:
    if p.conversation == QUIET:
        return "idle-quiet"
    if p.conversation == PINGING:
        return "idle-ping"
    ops = opcodes(p)
    if flags(p) & 0x02:
        return "tcp-connect"
    if flags(p) & 0x05 or "8" in ops:
        return "close"
    if p.field("http.request.method") or p.field("http.response.code"):
        return "upgrade"
    if ops:
        if ops[0] == "1" and not p.dst.endswith(f":{result.port}") and "text" not in before:
            return "push" if result.welcome else "text"
        return _BY_OPCODE.get(ops[0], "text")
    return before[-1] if before else "tcp-connect"


def ws_steps(packets: tuple[Packet, ...], result: WsResult) -> tuple[Step, ...]:
    names: list[str] = []
    for p in packets:
        names.append(_name(p, names, result))
    t0 = packets[0].time if packets else 0.0
    steps = []
    for name in dict.fromkeys(names):
        members = [p for p, n in zip(packets, names, strict=True) if n == name]
        steps.append(Step.over(name, members, _explain(name, members, result), TITLES[name], t0))
    return tuple(steps)


def _explain(name: str, members: list[Packet], result: WsResult) -> str:
    if name == "tcp-connect":
        return (
            "An ordinary TCP connection: a WebSocket lives inside one, for as long as it is open."
        )
    if name == "upgrade":
        riding = next((p for p in members if opcodes(p)), None)
        extra = (
            f" The server's first frame rides in the same segment as the 101 (packet "
            f"{number(riding.index)})."
            if riding is not None
            else ""
        )
        return (
            "The client sends an ordinary HTTP GET with 'Upgrade: websocket' and a random "
            f"Sec-WebSocket-Key; the server answers {result.status} Switching Protocols with the "
            "matching Sec-WebSocket-Accept. From the next byte on, this TCP connection carries "
            "WebSocket frames, not HTTP." + extra
        )
    if name == "push":
        return (
            "The server sends a message nobody asked for: after the upgrade either side may "
            "talk at any time. That is what HTTP requests cannot do, and why live dashboards "
            "and chats use WebSockets."
        )
    if name == "text":
        return (
            f"The client sends '{result.message}' in a Text frame (masked: the bytes on the "
            "wire are scrambled with the frame's masking key) and the server echoes it back "
            "unmasked."
        )
    if name == "binary":
        return f"A Binary frame with {len(result.binary)} raw bytes, and the echo."
    if name == "ping":
        return (
            f"The client's Ping carries '{result.ping.decode()}'; the Pong must carry the same "
            f"bytes back. Round trip: {result.pong_ms:g} ms."
        )
    if name == "close":
        return (
            f"The client sends a Close frame (code {result.close_code}, '{result.close_reason}'), "
            "the server answers with its own, then the TCP connection closes."
        )
    idle = result.idle
    if idle is None:
        return ""
    if name == "idle-quiet":
        return (
            f"Through a proxy that closes connections idle for {idle.timeout:g} s. After the "
            f"welcome nothing is sent; {idle.quiet_lasted:g} s later the proxy closes the TCP "
            f"connection (FIN) with no Close frame, so the client reports code {idle.quiet_code} "
            "(abnormal closure). Nothing was wrong but the silence."
        )
    return (
        f"The same proxy, but the client sends a Ping every {idle.timeout / 3:g} s: {idle.pings} "
        "pings, each answered, and the connection "
        + ("is still open after twice the timeout." if idle.kept_open else "was still dropped.")
    )
