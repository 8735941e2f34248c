"""Live capture puts the plaintext recorded inside TLS among the captured
frames: never before the frames that carried it, whatever the clocks say.

The frames go in through the sniffer's own callback with kernel stamps as
they happen on a loaded machine: the kernel switches receive timestamps on
late (a deferred work item), and a frame arriving before that is dated when
the sniffer *reads* it, so a SYN-ACK can be stamped after the request the
program sent over that very connection (seen in CI: the request listed
between the SYN and the SYN-ACK)."""

from __future__ import annotations

import socket
import time
from types import SimpleNamespace

import pytest
from scapy.layers.inet import IP, TCP
from scapy.packet import Raw

from labs.capture import live as live_module
from labs.capture.live import LiveCapture
from labs.capture.stamps import SO_TIMESTAMPNS, stamps_on
from labs.core.base import LabContext, RawPacket

CLIENT = ("127.0.0.1", 50418)
OTHER = ("127.0.0.1", 50500)
SERVER = ("127.0.0.1", 43445)
#: Kernel stamps far before now: the sniffer read every frame after the
#: records were made, so only the frames' own stamps and the connection order.
BASE = 1_000.0


def _frame(src: tuple[str, int], flags: str, payload: bytes = b"") -> bytes:
    """A frame as scapy hands it over on lo (an all-zero Ethernet header)."""
    dst = CLIENT if src == SERVER else SERVER
    ip = IP(src=src[0], dst=dst[0]) / TCP(sport=src[1], dport=dst[1], flags=flags)
    return b"\x00" * 12 + b"\x08\x00" + bytes(ip / Raw(payload) if payload else ip)


#: The failing CI run's connection: (sender, flags, TLS record type or none, kernel stamp).
#: The SYN-ACK arrived before the stamps were on: dated at its (late) read.
HANDSHAKE = [
    (CLIENT, "S", b"", BASE + 0.000000),
    (SERVER, "SA", b"", BASE + 0.020000),
    (CLIENT, "A", b"", BASE + 0.000036),
    (CLIENT, "PA", b"\x16" + b"h" * 516, BASE + 0.006376),  # ClientHello
    (SERVER, "A", b"", BASE + 0.006396),
    (SERVER, "PA", b"\x16" + b"s" * 970, BASE + 0.007027),  # ServerHello ...
    (CLIENT, "A", b"", BASE + 0.007034),
    (CLIENT, "PA", b"\x14" + b"f" * 79, BASE + 0.008109),  # Finished
    (CLIENT, "PA", b"\x17" + b"g" * 150, BASE + 0.008513),  # the request, encrypted
    (SERVER, "PA", b"\x17" + b"r" * 270, BASE + 0.008552),  # the response, encrypted
    (SERVER, "FPA", b"\x17" + b"c" * 235, BASE + 0.008947),
    (CLIENT, "A", b"", BASE + 0.009163),
    (SERVER, "R", b"", BASE + 0.009209),
]
REQUEST = b"GET /api/orders/42 HTTP/1.1\r\nHost: shop.example\r\n\r\n"
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"


def _capture(frames, inside: list[tuple[str, bytes, float]], reads=None) -> LiveCapture:
    """A live capture on lo fed `frames` through the sniffer's callback
    (`reads`: the program's clock at each read, default now) and the
    plaintext `inside` (sender, bytes, time) recorded inside TLS."""
    cap = LiveCapture(LabContext(), {SERVER[1]}, "tcp", "lo", None, None, 1.0)
    cap._registered.update((CLIENT[1], OTHER[1]))  # the lab's sockets opened the connections
    conv = cap.recorder.open("tcp", CLIENT, SERVER, "inside", "inside-tls")
    assert conv is not None
    for sender, data, at in inside:
        conv.add(sender, "data", data, at=at)
    clock = iter(reads or [])
    real = live_module.time
    fake = SimpleNamespace(time=lambda: next(clock, real.time()), monotonic=real.monotonic)
    live_module.time = fake  # type: ignore[assignment]
    try:
        for src, flags, payload, stamp in frames:
            cap._on_frame(_Pkt(src, flags, payload, stamp))
    finally:
        live_module.time = real
    return cap


class _Pkt:
    """What the sniffer's callback reads of a scapy packet: its bytes and time."""

    def __init__(self, src, flags, payload, stamp) -> None:
        self.data, self.time = _frame(src, flags, payload), stamp

    def __bytes__(self) -> bytes:
        return self.data


def _wire(packets: list[RawPacket]) -> list[tuple[float, bytes]]:
    return [(p.time, p.data) for p in packets if p.origin == "wire"]


def _where(packets: list[RawPacket], needle: bytes) -> int:
    return next(i for i, p in enumerate(packets) if p.origin == "inside-tls" and needle in p.data)


def _first(packets: list[RawPacket], payload_start: bytes) -> int:
    return next(i for i, p in enumerate(packets) if p.origin == "wire" and payload_start in p.data)


def test_a_late_stamped_syn_ack_still_comes_before_the_request_it_carried():
    inside = [("client", REQUEST, BASE + 0.008338), ("server", RESPONSE, BASE + 0.009148)]
    packets = _capture(HANDSHAKE, inside).packets()
    syn_ack = next(
        i for i, p in enumerate(packets) if p.origin == "wire" and p.data[33] & 0x12 == 0x12
    )
    request, response = _where(packets, b"GET /api"), _where(packets, b"200 OK")
    assert syn_ack < _first(packets, b"\x16" + b"s" * 8) < request < response
    # The captured frames: the kernel's order and stamps, untouched.
    assert _wire(packets) == [
        (stamp, _frame(src, flags, payload)[14:]) for src, flags, payload, stamp in HANDSHAKE
    ]


def test_a_record_follows_every_frame_read_before_it_was_made():
    # The client's Finished was stamped late, but the sniffer had read it
    # before the request was sent: the request comes after it.
    frames = [f if f[1] != "PA" or f[2][:1] != b"\x14" else (*f[:3], BASE + 0.5) for f in HANDSHAKE]
    reads = [BASE + 0.001 * n for n in range(len(frames))]  # read 1 ms apart, from BASE
    finished_read = reads[7]
    inside = [("client", REQUEST, finished_read + 0.0001)]
    packets = _capture(frames, inside, reads).packets()
    assert _first(packets, b"\x14" + b"f" * 8) < _where(packets, b"GET /api")


def test_shown_times_never_go_back_past_the_first_packet_or_the_frame_before():
    # A record made (by the program's clock) before any frame was stamped.
    inside = [("client", REQUEST, BASE - 5.0), ("server", RESPONSE, BASE - 4.0)]
    packets = _capture(HANDSHAKE, inside).packets()
    assert all(p.time >= packets[0].time for p in packets)
    for before, record in zip(packets, packets[1:], strict=False):
        if record.origin == "inside-tls":
            assert record.time >= before.time
    assert _where(packets, b"GET /api") > _first(packets, b"\x16" + b"s" * 8)


def test_records_of_a_connection_never_seen_on_the_wire_go_by_time():
    inside = [("client", REQUEST, BASE + 0.0083)]
    frames = [(OTHER, "S", b"", BASE + 0.001), (OTHER, "S", b"", BASE + 0.009)]  # another one's
    packets = _capture(frames, inside).packets()
    assert [p.origin for p in packets] == ["wire", "inside-tls", "wire"]


def test_kernel_stamps_are_on_once_the_probe_says_so():
    """A datagram sent after `stamps_on` is stamped when it arrived, not when read."""
    holder = stamps_on()
    if holder is None:
        pytest.skip("no loopback here for the probe")
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind(("127.0.0.1", 0))
            sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
            before = time.time()
            sock.sendto(b"x", sock.getsockname())
            sent = time.time()
            time.sleep(0.05)  # read late: a fill-in stamp would be 50 ms after `sent`
            _data, ancillary, _flags, _addr = sock.recvmsg(16, socket.CMSG_SPACE(16))
        ((_level, _kind, raw),) = ancillary
        stamp = int.from_bytes(raw[:8], "little") + int.from_bytes(raw[8:16], "little") / 1e9
        assert before <= stamp <= sent
    finally:
        holder.close()
