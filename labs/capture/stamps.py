"""The kernel's receive timestamps, switched on before a live capture's traffic.

Linux stamps a packet as it arrives only while some socket asks for stamps;
the first to ask (the sniffer's, with SO_TIMESTAMPNS) turns them on through a
deferred work item (`net_enable_timestamp()`). A packet arriving before that
work has run carries no stamp, and the kernel dates it when it is *read*
(`__sock_recv_timestamp`: "Race occurred between timestamp enabling and
packet receiving. Fill in the current time for now."). On a loaded machine
the work runs late and the sniffer reads late: a SYN-ACK was once dated after
the request sent over its own connection. So a live capture first waits
until a datagram sent to itself comes back dated when it arrived.
"""

from __future__ import annotations

import socket
import struct
import time

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
#: How long to wait for the kernel to switch its stamps on (it usually takes microseconds).
WAIT = 1.0
_PROBE = b"tutor-timestamp-probe"


def _stamp(ancillary: list[tuple[int, int, bytes]]) -> float | None:
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= 16:
            seconds, nanoseconds = struct.unpack("@qq", data[:16])  # a struct timespec
            return seconds + nanoseconds / 1e9
    return None


def stamps_on(wait: float = WAIT) -> socket.socket | None:
    """A socket that keeps the kernel's receive stamps on while it is open,
    returned once a datagram it sends itself is stamped on arrival (or after
    `wait` seconds); None where no loopback socket can be made (then the
    sniffer's own socket turns them on, as before)."""
    try:
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    except OSError:
        return None
    try:
        probe.bind(("127.0.0.1", 0))
        probe.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        probe.settimeout(0.2)
        deadline = time.monotonic() + wait
        while True:
            probe.sendto(_PROBE, probe.getsockname())
            sent = time.time()
            # Stamped on arrival, it was stamped inside sendto (loopback hands
            # the datagram over there); filled in on reading, after `sent`.
            _data, ancillary, _flags, _addr = probe.recvmsg(64, socket.CMSG_SPACE(16))
            stamp = _stamp(ancillary)
            if stamp is None or stamp <= sent or time.monotonic() > deadline:
                return probe
            time.sleep(0.001)
    except OSError:
        probe.close()
        return None
