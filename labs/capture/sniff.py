"""The live side of capture: a packet socket for scapy's sniffer that hands
over whole frames undecoded, and just enough parsing to follow TCP
connections while they are sniffed (dissection proper is `labs.dissect.core`'s job).
"""

from __future__ import annotations

import logging
import socket
from typing import Any

from labs.capture.recorder import Address

#: Largest frame read at once: an IP packet of 65535 bytes plus its link header
#: (scapy's default of 65535 would cut the biggest loopback segments short).
FRAME_MAX = 65535 + 64
#: Kernel buffer for the packet socket, so a burst (a large download) is not dropped.
RCVBUF = 16 * 1024 * 1024
SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)


def frame_socket(drop_outgoing: bool) -> type:
    """A scapy L2 socket class returning raw frames (scapy's Raw layer).

    drop_outgoing: on `lo` each packet passes twice (out, then in); L2Socket
    drops the outgoing copy. Elsewhere (veths) both directions are kept.
    """
    # lazy: scapy is slow to import and only live capture needs its sockets
    from scapy.arch.linux import L2ListenSocket, L2Socket
    from scapy.config import conf

    base: Any = L2Socket if drop_outgoing else L2ListenSocket

    class FrameSocket(base):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            # scapy warns that it cannot name lo's link type; we read raw
            # frames anyway, so the warning would only alarm the learner.
            runtime = logging.getLogger("scapy.runtime")
            level = runtime.level
            runtime.setLevel(logging.ERROR)
            try:
                super().__init__(*args, **kwargs)
            finally:
                runtime.setLevel(level)
            # Frames stay bytes: decoding every packet in the sniffer thread is
            # wasted work, and re-serialising a decoded packet may not give
            # back the exact bytes.
            self.LL = conf.raw_layer
            try:
                self.ins.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, RCVBUF)
            except OSError:
                self.ins.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF)

        def recv_raw(self, x: int = FRAME_MAX) -> Any:
            return super().recv_raw(FRAME_MAX)

    return FrameSocket


class Conn:
    """Where a live TCP connection is in its life, from the flags seen."""

    def __init__(self) -> None:
        self.established = False
        self.fins: set[Address] = set()
        self.closed = False

    def see(self, src: Address, flags: int) -> None:
        if flags & 0x04:  # RST
            self.closed = True
        elif flags & 0x12 == 0x12:  # SYN-ACK
            self.established = True
        elif flags & 0x01:  # FIN
            self.fins.add(src)
        elif len(self.fins) == 2 and flags & 0x10:  # the ACK of the last FIN
            self.closed = True

    @property
    def finished(self) -> bool:
        """Nothing more to wait for: closed, or never got past the SYN."""
        return self.closed or not self.established


def parse(ip: bytes) -> tuple[str, Address, Address, int] | None:
    """Just enough of IP and TCP/UDP to follow connections while sniffing
    (dissection proper is labs.dissect.core's job)."""
    if len(ip) < 20:
        return None
    version = ip[0] >> 4
    if version == 4:
        start, proto = (ip[0] & 0x0F) * 4, ip[9]
        src, dst = (
            socket.inet_ntop(socket.AF_INET, ip[12:16]),
            socket.inet_ntop(socket.AF_INET, ip[16:20]),
        )
    elif version == 6 and len(ip) >= 40:
        start, proto = 40, ip[6]
        src, dst = (
            socket.inet_ntop(socket.AF_INET6, ip[8:24]),
            socket.inet_ntop(socket.AF_INET6, ip[24:40]),
        )
    else:
        return None
    if len(ip) < start + 8:
        return None
    sport, dport = int.from_bytes(ip[start : start + 2]), int.from_bytes(ip[start + 2 : start + 4])
    if proto == 6 and len(ip) >= start + 14:
        return "tcp", (src, sport), (dst, dport), ip[start + 13]
    if proto == 17:
        return "udp", (src, sport), (dst, dport), 0
    return None


def pair_of(data: bytes, stripped: bool) -> frozenset[Address]:
    info = parse(data if stripped else data[14:])
    return frozenset((info[1], info[2])) if info else frozenset()
