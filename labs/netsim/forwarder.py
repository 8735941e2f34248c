"""The slow link: a program in a router's namespace that passes every
Ethernet frame between two of its interfaces, holding each one for the
link's delay and dropping some at the link's loss rate.

Where the kernel has `tc netem` this is netem's job. Where it does not
(`Specified qdisc kind is unknown`: built without sch_netem), nothing else in
the kernel delays or drops frames, so this program does it to real frames:
TCP at both ends sees real late and missing segments and reacts for real
(retransmission timers, duplicate ACKs, SACK). Written by hand because no
library does this inside a namespace without netem; it is a plain loop over
two AF_PACKET sockets.

Frames leave in the order they came in each direction (like netem without
reordering): jitter varies each frame's delay but never lets one overtake
another, so any reordering a learner sees is TCP's doing, not ours.
"""

from __future__ import annotations

import heapq
import random
import select
import socket
import struct
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
ARP = 0x0806
IPV6 = 0x86DD


@dataclass
class Direction:
    """Frames one way through the link, and what happened to them."""

    name: str
    last_release: float = 0.0
    forwarded: int = 0
    dropped: list[list[Any]] = field(default_factory=list)


def _open(ifname: str) -> socket.socket:
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sock.bind((ifname, 0))
    sock.setblocking(False)
    return sock


def _ethertype(frame: bytes) -> int:
    return struct.unpack("!H", frame[12:14])[0] if len(frame) >= 14 else 0


def _neighbor_discovery(frame: bytes) -> bool:
    """IPv6's ARP: ICMPv6 (next header 58) router/neighbor solicitation or advertisement."""
    return (
        _ethertype(frame) == IPV6
        and len(frame) > 54
        and frame[20] == 58
        and 133 <= frame[54] <= 136
    )


def _stopper() -> threading.Event:
    """Set when stdin says "stop" or closes (the parent went away)."""
    stop = threading.Event()

    def watch() -> None:
        for line in sys.stdin:
            if line.strip() == "stop":
                break
        stop.set()

    threading.Thread(target=watch, daemon=True).start()
    return stop


def run(args: dict[str, Any], ready: Any) -> dict[str, Any]:
    """Forward between `a` and `b` until told to stop; report what was dropped.

    `delay` is seconds each way, `jitter` seconds (+/-), `loss` a fraction;
    `seed` makes the drops repeatable (the same run loses the same frames)."""
    delay, jitter = float(args.get("delay", 0.0)), float(args.get("jitter", 0.0))
    loss = float(args.get("loss", 0.0))
    rng = random.Random(args.get("seed"))
    socks = {args["a"]: _open(args["a"]), args["b"]: _open(args["b"])}
    other = {args["a"]: socks[args["b"]], args["b"]: socks[args["a"]]}
    ways = {args["a"]: Direction("toward the server"), args["b"]: Direction("toward the laptop")}
    queue: list[tuple[float, int, bytes, socket.socket]] = []
    order = 0
    stop = _stopper()
    ready()
    by_fd = {s.fileno(): name for name, s in socks.items()}
    while not stop.is_set():
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            _due, _n, frame, out = heapq.heappop(queue)
            try:
                out.send(frame)
            except OSError:
                pass  # a frame the other side cannot take (too big): dropped, like a cable would
        wait = min(0.05, max(0.0, queue[0][0] - now)) if queue else 0.05
        readable, _, _ = select.select(list(socks.values()), [], [], wait)
        for sock in readable:
            name = by_fd[sock.fileno()]
            while True:
                try:
                    frame, addr = sock.recvfrom(65535)
                except BlockingIOError:
                    break
                if addr[2] == PACKET_OUTGOING:
                    continue  # our own copy of a frame we sent out of this interface
                way = ways[name]
                now = time.monotonic()
                # ARP (and IPv6's neighbor discovery) is never dropped: a lost
                # ARP stalls everything for a second and teaches nothing about TCP.
                spared = _ethertype(frame) == ARP or _neighbor_discovery(frame)
                if loss and not spared and rng.random() < loss:
                    way.dropped.append([time.time(), frame[:96].hex()])
                    continue
                held = delay + (rng.uniform(-jitter, jitter) if jitter else 0.0)
                release = max(now + max(held, 0.0), way.last_release)
                way.last_release = release
                way.forwarded += 1
                order += 1
                heapq.heappush(queue, (release, order, frame, other[name]))
    for sock in socks.values():
        sock.close()
    return {
        "ways": [
            {"direction": w.name, "forwarded": w.forwarded, "dropped": w.dropped}
            for w in ways.values()
        ]
    }
