"""`make bench` (c): `tutor explain --json` next to `tshark -r FILE -T json`
on the same files: wall time, CPU time and peak memory of each, and the
ratios the explain issue sets (wall at most 0.5x tshark's on a 20,000-packet
HTTP capture and a 200,000-packet mixed one, memory that does not grow with
the capture, start-up on 10 packets no slower, one 63 KB DNS message in
under 0.2 s). Prints numbers, asserts nothing."""

from __future__ import annotations

import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

Row = tuple[str, str, str]
ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable

SERVER = ("127.0.0.1", 8080)
BODY = b'{"orders": [{"id": 1, "item": "tea", "qty": 2}]}'


_FLAGS = {"S": 0x02, "SA": 0x12, "A": 0x10, "PA": 0x18, "FA": 0x11}


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _ip(src: str, dst: str, proto: int, payload: bytes) -> bytes:
    """An IPv4 header as scapy writes one by default (id 1, TTL 64), then `payload`."""
    head = struct.pack(
        "!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 64, proto, 0,
        socket.inet_aton(src), socket.inet_aton(dst),
    )  # fmt: skip
    return head[:10] + struct.pack("!H", _checksum(head)) + head[12:] + payload


def _transport(src: str, dst: str, proto: int, header: bytes, data: bytes) -> bytes:
    """A TCP or UDP header (checksum field at 16 or 6) with its checksum, then `data`."""
    at = 16 if proto == 6 else 6
    body = header + data
    pseudo = (
        socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, proto, len(body))
    )
    check = _checksum(pseudo + body)
    return _ip(src, dst, proto, body[:at] + struct.pack("!H", check) + body[at + 2 :])


def _segment(
    cport: int, from_client: bool, flags: str, seq: int, ack: int, data: bytes = b""
) -> bytes:
    """One TCP segment on 127.0.0.1, the bytes scapy's IP()/TCP() would give
    (window 8192), built directly: scapy takes milliseconds a packet, and
    `make bench` writes 300,000 of them."""
    client = ("127.0.0.1", cport)
    a, b = (client, SERVER) if from_client else (SERVER, client)
    header = struct.pack("!HHIIBBHHH", a[1], b[1], seq, ack, 5 << 4, _FLAGS[flags], 8192, 0, 0)
    return _transport(a[0], b[0], 6, header, data)


def _connection(n: int) -> list[bytes]:
    """One short HTTP/1.1 exchange: handshake, GET, 200 with JSON, close (10 packets)."""
    cport, c, s = 20000 + n % 40000, 1000 + n * 7, 900000 + n * 11
    request = (
        f"GET /orders/{n} HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: python-requests/2.34.2\r\n"
        "Accept-Encoding: gzip, deflate\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    ).encode()
    response = (
        f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(BODY)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode() + BODY
    q, r = len(request), len(response)
    return [
        _segment(cport, True, "S", c, 0),
        _segment(cport, False, "SA", s, c + 1),
        _segment(cport, True, "A", c + 1, s + 1),
        _segment(cport, True, "PA", c + 1, s + 1, request),
        _segment(cport, False, "A", s + 1, c + 1 + q),
        _segment(cport, False, "PA", s + 1, c + 1 + q, response),
        _segment(cport, True, "A", c + 1 + q, s + 1 + r),
        _segment(cport, False, "FA", s + 1 + r, c + 1 + q),
        _segment(cport, True, "FA", c + 1 + q, s + 2 + r),
        _segment(cport, False, "A", s + 2 + r, c + 2 + q),
    ]


def http_capture(path: Path, packets: int) -> int:
    """Many short HTTP connections on 127.0.0.1, built with scapy, saved as pcap."""
    sys.path.insert(0, str(ROOT))
    from labs.core.base import RawPacket
    from labs.files.pcapio import write_pcap

    raws: list[RawPacket] = []
    t, n = 1_700_000_000.0, 0
    while len(raws) < packets:
        for data in _connection(n):
            t += 0.0001
            raws.append(RawPacket(t, data))
        n += 1
    return write_pcap(raws[:packets], path)


# -- tutor serve: one browser session, and many at once ----------------------------------
# A learner is played by a websocket client speaking textual.js's protocol (keys in,


_DNS: dict[str, tuple[bytes, bytes]] = {}


def _dns_messages(name: str) -> tuple[bytes, bytes]:
    """A query for `name` and its answer (ID 0), made once with scapy."""
    if name not in _DNS:
        from scapy.layers.dns import DNS, DNSQR, DNSRR

        q = DNS(id=0, rd=1, qd=DNSQR(qname=name))
        r = DNS(
            id=0, qr=1, rd=1, ra=1, qd=DNSQR(qname=name), an=DNSRR(rrname=name, rdata="192.0.2.7")
        )
        _DNS[name] = (bytes(q), bytes(r))
    return _DNS[name]


def _dns_pair(n: int) -> list[bytes]:
    query, answer = _dns_messages(f"host{n % 500}.example")
    ident = (n & 0xFFFF).to_bytes(2, "big")
    port = 30000 + n % 20000
    out = []
    for (src, sport), (dst, dport), msg in (
        (("127.0.0.1", port), ("127.0.0.53", 53), query),
        (("127.0.0.53", 53), ("127.0.0.1", port), answer),
    ):
        data = ident + msg[2:]
        header = struct.pack("!HHHH", sport, dport, 8 + len(data), 0)
        out.append(_transport(src, dst, 17, header, data))
    return out


def mixed_capture(path: Path, packets: int) -> int:
    """HTTP connections with a DNS lookup before every other one, and one
    in forty connections losing a segment that is then sent again."""
    sys.path.insert(0, str(ROOT))
    from labs.core.base import RawPacket
    from labs.files.pcapio import write_pcap

    raws: list[RawPacket] = []
    t, n = 1_700_000_000.0, 0
    while len(raws) < packets:
        datas = (_dns_pair(n) if n % 2 == 0 else []) + _connection(n)
        if n % 40 == 0:
            datas.insert(len(datas) - 6, datas[-7])  # the request again, later
        for data in datas:
            t += 0.0001
            raws.append(RawPacket(t, data))
        n += 1
    return write_pcap(raws[:packets], path)


def big_dns(path: Path) -> int:
    """One DNS answer of about 63 KB over TCP (many TXT records)."""
    sys.path.insert(0, str(ROOT))
    from scapy.layers.dns import DNS, DNSQR, DNSRR
    from scapy.layers.inet import IP, TCP

    from labs.core.base import RawPacket
    from labs.files.pcapio import write_pcap

    txt = [DNSRR(rrname="big.example", type="TXT", rdata=["x" * 250]) for _ in range(230)]
    answer = bytes(DNS(id=1, qr=1, qd=DNSQR(qname="big.example", qtype="TXT"), an=txt))
    wire = len(answer).to_bytes(2, "big") + answer
    pkt = (
        IP(src="127.0.0.53", dst="127.0.0.1")
        / TCP(sport=53, dport=40000, flags="PA", seq=1, ack=1)
        / wire
    )
    return write_pcap([RawPacket(1_700_000_000.0, bytes(pkt))], path)


#: Runs a command (its output to /dev/null) and prints its wall time, CPU
#: time, peak RSS (KiB) and exit code. Linux counts in a process's peak RSS
#: the memory of the process it was forked from (the copy it was until
#: exec), so a command forked straight from this script (which holds
#: 200,000 packets while it writes the mixed capture) reported this
#: script's size; this small launcher is forked from instead.
_LAUNCH = """
import os, sys, time
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)
    os.execvp(sys.argv[1], sys.argv[1:])
_pid, status, ru = os.wait4(pid, 0)
wall = time.perf_counter() - start
print(wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, os.waitstatus_to_exitcode(status))
"""


def measure(cmd: list[str]) -> tuple[float, float, float, int]:
    """Wall seconds, CPU seconds (user + system, children included) and
    peak memory in MiB of one run, and its exit code."""
    got = subprocess.run(
        [PY, "-I", "-S", "-c", _LAUNCH, *cmd], capture_output=True, text=True, cwd=ROOT, check=True
    )
    wall, used, peak, code = got.stdout.split()
    return float(wall), float(used), int(peak) / 1024, int(code)


def _best(cmd: list[str], runs: int) -> tuple[float, float, float, int]:
    return min((measure(cmd) for _ in range(runs)), key=lambda r: r[0])


def _pair(label: str, cap: Path, runs: int, tshark: str | None) -> list[Row]:
    ours = _best([PY, "-m", "tutor", "explain", "--json", str(cap)], runs)
    rows = [
        (
            f"{label}: tutor explain --json",
            f"{ours[0]:.2f} s" if ours[3] == 0 else "-",
            f"CPU {ours[1]:.2f} s, peak {ours[2]:.0f} MiB" if ours[3] == 0 else f"exit {ours[3]}",
        )
    ]
    if tshark is None:
        return [*rows, (f"{label}: tshark -T json", "-", "tshark not installed")]
    theirs = _best([tshark, "-r", str(cap), "-T", "json"], runs)
    rows.append(
        (
            f"{label}: tshark -T json",
            f"{theirs[0]:.2f} s",
            f"CPU {theirs[1]:.2f} s, peak {theirs[2]:.0f} MiB",
        )
    )
    rows.append(
        (
            f"{label}: tutor / tshark",
            f"{ours[0] / theirs[0]:.2f}",
            f"wall; CPU {ours[1] / theirs[1]:.2f}, memory {ours[2] / theirs[2]:.2f} (below 1: tutor less)",
        )
    )
    return rows


def memory_rows(tmp: Path, sizes: list[int], big: int, tshark: str | None) -> list[Row]:
    """Peak memory of `tutor explain --json` (and tshark) on mixed captures
    of growing size, and what each further packet adds: flat means the
    output is streamed. Peak RSS is the largest process's (wait4's ru_maxrss)."""
    rows: list[Row] = []
    peaks: list[tuple[int, float, float]] = []
    for n in [*sizes, big]:
        cap = tmp / f"mixed-{n}.pcap"
        if not cap.exists():
            mixed_capture(cap, n)
        ours = measure([PY, "-m", "tutor", "explain", "--json", str(cap)])
        theirs = measure([tshark, "-r", str(cap), "-T", "json"]) if tshark else None
        peaks.append((n, ours[2], theirs[2] if theirs else float("nan")))
        rows.append(
            (
                f"memory: {n} mixed",
                f"{ours[2]:.0f} MiB",
                f"tutor peak RSS; tshark {theirs[2]:.0f} MiB" if theirs else "tutor peak RSS",
            )
        )
        if n != big:
            cap.unlink()
    (n0, a0, t0), (n1, a1, t1) = peaks[0], peaks[-1]
    if n1 > n0:
        per = (a1 - a0) * 1024 * 1024 / (n1 - n0)
        theirs_per = (t1 - t0) * 1024 * 1024 / (n1 - n0)
        rows.append(
            (
                f"memory: each packet past {n0}",
                f"{per:.0f} B",
                f"tutor's peak grows this much a packet; tshark's {theirs_per:.0f} B",
            )
        )
    return rows


def explain_rows(packets: int, big: int, runs: int) -> list[Row]:
    """The rows of (c): small file, `packets` HTTP, `big` mixed (0 skips), one big DNS message."""
    tshark = shutil.which("tshark")
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        small = Path(tmp) / "small.pcap"
        http_capture(small, 10)
        rows += _pair("10 packets (start-up)", small, runs, tshark)
        cap = Path(tmp) / "http.pcap"
        start = time.perf_counter()
        n = http_capture(cap, packets)
        rows.append(
            (
                f"generate {n}-packet HTTP capture",
                f"{time.perf_counter() - start:.2f} s",
                f"{cap.stat().st_size // 1024} KiB",
            )
        )
        rows += _pair(f"{n} HTTP", cap, runs, tshark)
        if big:
            mixed = Path(tmp) / "mixed.pcap"
            m = mixed_capture(mixed, big)
            rows += _pair(f"{m} mixed", mixed, 1, tshark)
            rows += memory_rows(Path(tmp), [n for n in (20_000, 100_000) if n < big], m, tshark)
            mixed.unlink()
        dns = Path(tmp) / "dns63k.pcap"
        big_dns(dns)
        rows += _pair("one 63 KB DNS message", dns, runs, tshark)
    return rows


__all__ = ["explain_rows", "http_capture", "memory_rows", "mixed_capture"]
