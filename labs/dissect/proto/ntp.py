"""NTP (RFC 5905): how computers agree on the time. A client sends its
clock's reading; the server answers with when it received the question and
when it sent the answer, so the client can subtract the network's delay.
Fields as Wireshark names them (ntp.*, Wireshark 4.0).

Read by hand: the header is 48 fixed bytes, and Wireshark's timestamp
format (seconds since 1900 printed as a UTC date to the nanosecond) is
reproduced here exactly; scapy's NTP layer prints them its own way."""

from __future__ import annotations

import datetime as dt

from labs.dissect.proto.base import App, Stream, app, first_field
from labs.model.trace import Field, Layer

MODES = {
    0: "reserved",
    1: "symmetric active",
    2: "symmetric passive",
    3: "client",
    4: "server",
    5: "broadcast",
    6: "NTP control message",
    7: "reserved for private use",
}
_LEAP = {0: "no warning", 1: "last minute has 61 seconds", 2: "last minute has 59 seconds",
         3: "unknown (clock unsynchronized)"}  # fmt: skip
_EPOCH = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)


def timestamp(b: bytes) -> str:
    """An NTP timestamp as Wireshark prints it ("Dec  2, 2026 23:00:42.165871143 UTC")."""
    secs = int.from_bytes(b[:4], "big")
    frac = int.from_bytes(b[4:8], "big")
    if secs == 0 and frac == 0:
        return "NULL"
    nanos = frac * 1_000_000_000 >> 32  # Wireshark truncates the fraction to nanoseconds
    when = _EPOCH + dt.timedelta(seconds=secs)
    return f"{when:%b} {when.day:2d}, {when:%Y %H:%M:%S}.{nanos:09d} UTC"


def _fixed(b: bytes) -> str:
    """A 16.16 fixed-point number of seconds (root delay and dispersion)."""
    v = int.from_bytes(b, "big") / 65536
    return str(int(v)) if v == int(v) else repr(v)


def _f(
    label: str, name: str, value: str, at: int, n: int, explain: str = "", show: str = ""
) -> Field:
    return Field(label, name, value, show or value, at, n, explain)


_TIMES = (
    ("Reference Timestamp", "ntp.reftime", 16, "When the server's own clock was last set from its source."),
    ("Origin Timestamp", "ntp.org", 24,
     "The client's time when it asked, copied back so the client matches the answer to its question."),
    ("Receive Timestamp", "ntp.rec", 32, "The server's time when the question arrived."),
    ("Transmit Timestamp", "ntp.xmt", 40, "The sender's time when this message left."),
)  # fmt: skip


def dissect(payload: bytes, offset: int, stream: Stream) -> list[Layer]:
    if len(payload) < 48:
        raise ValueError("not NTP")
    b0 = payload[0]
    li, vn, mode = b0 >> 6, (b0 >> 3) & 7, b0 & 7
    at = offset
    fields = [
        _f("Flags", "ntp.flags", f"0x{b0:02x}", at, 1),
        _f("Leap Indicator", "ntp.flags.li", str(li), at, 1, "", _LEAP[li]),
        _f("Version number", "ntp.flags.vn", str(vn), at, 1, "", f"NTP Version {vn}"),
        _f("Mode", "ntp.flags.mode", str(mode), at, 1,
           "Who is speaking: 3 is a client asking the time, 4 a server answering.", MODES[mode]),
        _f("Peer Clock Stratum", "ntp.stratum", str(payload[1]), at + 1, 1,
           "How far the clock is from a reference clock: 1 is a server wired to one, "
           "2 asks a stratum 1, and so on; 0 means unknown (a client's question)."),
        _f("Peer Polling Interval", "ntp.ppoll", str(payload[2]), at + 2, 1),
        _f("Peer Clock Precision", "ntp.precision", str(payload[3]), at + 3, 1),
        _f("Root Delay", "ntp.rootdelay", _fixed(payload[4:8]), at + 4, 4),
        _f("Root Dispersion", "ntp.rootdispersion", _fixed(payload[8:12]), at + 8, 4),
        _f("Reference ID", "ntp.refid", payload[12:16].hex(":"), at + 12, 4),
    ]  # fmt: skip
    for label, name, start, explain in _TIMES:
        fields.append(
            _f(label, name, timestamp(payload[start : start + 8]), at + start, 8, explain)
        )
    return [Layer("NTP", offset, len(payload), tuple(fields))]


def _mode(layers: tuple[Layer, ...]) -> int | None:
    found = first_field(layers, ("NTP",), "ntp.flags.mode")
    return int(found.value) if found is not None else None


def describe(layers: tuple[Layer, ...]) -> str:
    mode = _mode(layers)
    if mode == 3:
        return "NTP: a client asks a time server for the time"
    if mode == 4:
        return "NTP: the time server answers with when it got the question and when it answered"
    return f"NTP ({MODES.get(mode or 0, '')})"


def summarize(layers: tuple[Layer, ...]) -> str:
    mode = _mode(layers)
    vn = next((lay.field("ntp.flags.vn") for lay in layers if lay.name == "NTP"), None)
    return f"NTP Version {vn.value if vn else '?'}, {MODES.get(mode or 0, '')}"


app(App("ntp", ("udp",), (123,), dissect, describe, None, summarize))
