"""`make bench`: how long tutor takes, next to what it builds on.

Prints numbers, asserts nothing:
  (a) importing scapy.all and requests in a fresh interpreter;
  (b) `tutor lab run http-api --json` end to end;
  (c) `tutor explain --json` on a generated 20,000-packet HTTP capture next to
      `tshark -r FILE -T json` on the same file (when tshark is installed), and
      the same JSON written in two processes by labs.files.explain.write_explain_json.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def timed(cmd: list[str]) -> tuple[float, int, str]:
    """Wall time, exit code and the last line of stderr of one run."""
    start = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    lines = r.stderr.strip().splitlines()
    return time.perf_counter() - start, r.returncode, lines[-1] if lines else ""


def best(cmd: list[str], runs: int) -> tuple[float, int, str]:
    results = [timed(cmd) for _ in range(runs)]
    return min(results, key=lambda r: r[0])


#: `tutor explain --json FILE` through labs.files.explain.write_explain_json.
_TWO_PROCESSES = (
    "import sys, tutor.cli\n"
    "from labs.files.explain import write_explain_json\n"
    "write_explain_json(sys.argv[1], sys.stdout)\n"
)

SERVER = ("127.0.0.1", 8080)
BODY = b'{"orders": [{"id": 1, "item": "tea", "qty": 2}]}'


def _segment(
    cport: int, from_client: bool, flags: str, seq: int, ack: int, data: bytes = b""
) -> bytes:
    from scapy.layers.inet import IP, TCP

    client = ("127.0.0.1", cport)
    a, b = (client, SERVER) if from_client else (SERVER, client)
    return bytes(
        IP(src=a[0], dst=b[0]) / TCP(sport=a[1], dport=b[1], flags=flags, seq=seq, ack=ack) / data
    )


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
    from labs.base import RawPacket
    from labs.files.pcapio import write_pcap

    raws: list[RawPacket] = []
    t, n = 1_700_000_000.0, 0
    while len(raws) < packets:
        for data in _connection(n):
            t += 0.0001
            raws.append(RawPacket(t, data))
        n += 1
    return write_pcap(raws[:packets], path)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--packets", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3, help="best of N for the quick measurements")
    args = parser.parse_args()
    tutor = [PY, "-m", "tutor"]
    rows: list[tuple[str, str, str]] = []

    t, _, _ = best([PY, "-c", "import scapy.all, requests"], args.runs)
    rows.append(("import scapy.all + requests", f"{t:.2f} s", "fresh interpreter"))
    t, _, _ = best([PY, "-c", "import tutor.cli"], args.runs)
    rows.append(("import tutor.cli", f"{t:.2f} s", "what every tutor command pays"))

    t, code, err = timed(tutor + ["lab", "run", "http-api", "--json"])
    rows.append(
        (
            "tutor lab run http-api --json",
            f"{t:.2f} s" if code == 0 else "-",
            "" if code == 0 else f"failed (exit {code}): {err}"[:70],
        )
    )

    with tempfile.TemporaryDirectory() as tmp:
        cap = Path(tmp) / "http.pcap"
        start = time.perf_counter()
        n = http_capture(cap, args.packets)
        rows.append(
            (
                f"generate {n}-packet HTTP capture",
                f"{time.perf_counter() - start:.2f} s",
                f"{cap.stat().st_size // 1024} KiB",
            )
        )
        t, code, err = best(tutor + ["explain", "--json", str(cap)], args.runs)
        ours = t
        rows.append(
            (
                "tutor explain --json",
                f"{t:.2f} s" if code == 0 else "-",
                f"{n / t:,.0f} packets/s" if code == 0 else err[:70],
            )
        )
        # The same JSON from labs directly, in two processes from 4,000 packets
        # (what `tutor explain --json` does once it calls write_explain_json).
        two = [PY, "-c", _TWO_PROCESSES, str(cap)]
        t, code, err = best(two, args.runs)
        two_processes = t if code == 0 else None
        rows.append(
            (
                "write_explain_json (2 processes)",
                f"{t:.2f} s" if code == 0 else "-",
                f"{n / t:,.0f} packets/s" if code == 0 else err[:70],
            )
        )
        t, code, err = best(tutor + ["explain", str(cap)], args.runs)
        rows.append(("tutor explain (text)", f"{t:.2f} s" if code == 0 else "-", ""))
        tshark = shutil.which("tshark")
        if tshark:
            env_note = "same file"
            t, code, _ = best([tshark, "-r", str(cap), "-T", "json"], args.runs)
            rows.append(("tshark -r FILE -T json", f"{t:.2f} s", env_note))
            rows.append(("ratio tutor / tshark", f"{ours / t:.2f}", "below 1: tutor is faster"))
            if two_processes:
                rows.append(
                    ("ratio 2 processes / tshark", f"{two_processes / t:.2f}", "below 1: faster")
                )
        else:
            rows.append(("tshark -r FILE -T json", "-", "tshark not installed"))

    width = max(len(r[0]) for r in rows)
    print(f"{'measure'.ljust(width)}  {'time':>8}  note")
    for name, value, note in rows:
        print(f"{name.ljust(width)}  {value:>8}  {note}")
    print(f"(python {sys.version.split()[0]}, {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
