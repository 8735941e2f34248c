"""`make bench`: how long tutor takes, next to what it builds on.

Prints numbers, asserts nothing:
  (a) importing scapy.all and requests in a fresh interpreter;
  (b) `tutor lab run http-api --json` end to end;
  (c) `tutor explain --json` next to `tshark -r FILE -T json` (wall, CPU, peak
      memory) on 10 packets, a generated 20,000-packet HTTP capture, a 200,000-packet
      mixed one and a 63 KB DNS message, then peak memory on 20,000, 100,000 and
      200,000 mixed packets and what each packet adds (scripts/bench_explain.py);
  (d) `tutor serve`: one browser session's start time and memory, then concurrent
      sessions ramped up, each learner running a lab once a minute, against 127.0.0.1;
  (e) the first screen: the course on screen next to a minimal Textual app, each
      polled in a tmux terminal until its text appears (scripts/bench_first_screen.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

Row = tuple[str, str, str]

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


# -- tutor serve: one browser session, and many at once ----------------------------------
# A learner is played by a websocket client speaking textual.js's protocol (keys in,
# screen bytes out) to a real `tutor serve` on 127.0.0.1: what the server pays per
# browser, without a browser's own cost on the same two cores.

_ESCAPES = re.compile(rb"\x1b(\[[0-9;?$]*[A-Za-z~]|\][^\x07]*\x07|[()][0-9A-Za-z])")


class Learner:
    """One browser session: starts, opens the tcp-handshake lab, runs it on demand."""

    def __init__(self, http: Any, base: str, name: str) -> None:
        self.http, self.base, self.name = http, base, name
        self.ws: Any = None
        self.screen = b""
        self.changed = asyncio.Event()
        self.reader: asyncio.Task[None] | None = None

    async def _read(self) -> None:
        """Read all the time, as a browser does: the server's heartbeat pings need pongs."""
        from aiohttp import WSMsgType

        async for msg in self.ws:
            if msg.type == WSMsgType.BINARY:
                # Text without escapes, in the order it was drawn: enough to find words.
                self.screen = (self.screen + _ESCAPES.sub(b"", msg.data))[-200_000:]
                self.changed.set()
        self.changed.set()

    async def until(self, words: bytes, timeout: float = 60) -> None:
        async with asyncio.timeout(timeout):
            while True:
                self.changed.clear()
                if words in self.screen:
                    return
                if self.ws.closed:
                    raise RuntimeError(f"session {self.name} closed")
                await self.changed.wait()

    async def keys(self, *keys: str) -> None:
        for key in keys:
            await self.ws.send_str(json.dumps(["stdin", key]))
            await asyncio.sleep(0.2)

    async def start(self) -> float:
        """Seconds from opening the websocket to the outline on screen."""
        t = time.perf_counter()
        self.ws = await self.http.ws_connect(
            f"ws://{self.base}/ws/{self.name}?width=140&height=40",
            headers={"Origin": f"http://{self.base}"},
            max_msg_size=0,
        )
        self.reader = asyncio.create_task(self._read())
        await self.ws.send_str(json.dumps(["resize", {"width": 140, "height": 40}]))
        await self.until(b"How the Internet is layered")
        return time.perf_counter() - t

    async def open_lab(self) -> None:
        self.screen = b""
        await self.keys("L")
        await self.until(b"tcp-handshake")
        # The list grows as labs are added: count the rows above this one.
        ids = re.findall(rb"([a-z0-9][a-z0-9-]+) +module \d+ ", self.screen)
        downs = list(dict.fromkeys(ids)).index(b"tcp-handshake")
        self.screen = b""
        await self.keys(*["\x1b[B"] * downs, "\r")
        await self.until(b"Run the lab")  # the lab screen's button, on no other screen

    async def run_lab(self) -> float:
        """Seconds from pressing r to the packets on screen."""
        self.screen = b""
        t = time.perf_counter()
        await self.ws.send_str(json.dumps(["stdin", "r"]))
        await self.until(b"packets (#0")
        return time.perf_counter() - t


def _pss_mib(pid: int) -> float:
    """Proportional set size: shared pages (the Python binary, libraries) split fairly."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _sessions(server: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{server}/task").glob("*/children"):
        found += [int(c) for c in task.read_text().split()]
    return found


def _tutor_cpu(server: int) -> float:
    """CPU seconds of the server and its sessions (with their reaped children): what
    tutor itself used, whatever else runs on the machine."""
    total = 0
    for pid in [server, *_sessions(server)]:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
    return total / os.sysconf("SC_CLK_TCK")


def _capacity(cpu_per_minute: float, mib_per_session: float) -> str:
    """Sessions at 75% of the CPUs and 80% of the memory, whichever comes first."""
    cores = os.cpu_count() or 1
    mem_mib = int(Path("/proc/meminfo").read_text().split()[1]) / 1024
    by_cpu = int(cores * 60 * 0.75 / max(cpu_per_minute, 1e-6))
    by_mem = int(mem_mib * 0.8 / max(mib_per_session, 1.0))
    return f"{min(by_cpu, by_mem)} (CPU allows {by_cpu}, memory {by_mem}; {cores} CPUs, {mem_mib / 1024:.0f} GiB)"


def _cpu_busy() -> tuple[int, int]:
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def _serve_load(base: str, server: int, stages: list[int], minute: float) -> list[Row]:
    import aiohttp

    rows: list[Row] = []
    learners: list[Learner] = []
    held: tuple[int, float, float] | None = None
    async with aiohttp.ClientSession() as http:
        one = Learner(http, base, "bench-0")
        start = await one.start()
        (pid,) = _sessions(server)
        idle = _pss_mib(pid)
        await one.open_lab()
        first = await one.run_lab()
        again = await one.run_lab()
        after = _pss_mib(pid)
        learners.append(one)
        rows += [
            ("serve: one session starts", f"{start:.2f} s", "websocket opened -> outline drawn"),
            ("serve: its memory, idle", f"{idle:.0f} MiB", "PSS of its tutor process"),
            (
                "serve: first lab run",
                f"{first:.2f} s",
                "tcp-handshake, r -> packets (imports scapy)",
            ),
            ("serve: next lab run", f"{again:.2f} s", f"memory then {after:.0f} MiB PSS"),
        ]
        for target in stages:
            began = time.perf_counter()
            fresh = [Learner(http, base, f"bench-{i}") for i in range(len(learners), target)]
            starts = await asyncio.gather(*(x.start() for x in fresh), return_exceptions=True)
            await asyncio.gather(*(x.open_lab() for x in fresh), return_exceptions=True)
            learners += fresh
            busy0, total0 = _cpu_busy()
            tutor0 = _tutor_cpu(server)

            async def one_minute(x: Learner) -> float:
                # Each learner runs the lab once in the minute, at a moment of its own.
                await asyncio.sleep(random.uniform(0, minute * 0.8))
                return await x.run_lab()

            runs = await asyncio.gather(*(one_minute(x) for x in learners), return_exceptions=True)
            busy1, total1 = _cpu_busy()
            per_minute = (_tutor_cpu(server) - tutor0) / len(learners) / (minute / 60)
            ok = [r for r in runs if isinstance(r, float)]
            started = [r for r in starts if isinstance(r, float)]
            memory = sum(_pss_mib(p) for p in _sessions(server)) + _pss_mib(server)
            note = (
                f"lab p50 {_pct(ok, 0.5):.2f} s p95 {_pct(ok, 0.95):.2f} s; "
                f"start p95 {_pct(started, 0.95):.1f} s; {memory / 1024:.1f} GiB; "
                f"tutor {per_minute:.2f} CPU-s per learner-minute; machine CPU "
                f"{100 * (busy1 - busy0) / max(1, total1 - total0):.0f}%, load "
                f"{os.getloadavg()[0]:.1f}; {time.perf_counter() - began:.0f} s"
            )
            errors = [r for r in [*starts, *runs] if isinstance(r, BaseException)]
            failed = len(errors)
            if errors:
                note += f"; first failure: {errors[0]!r}"[:120]
            rows.append((f"serve: {target} sessions, a lab each a minute", f"{failed} fail", note))
            if failed or _pct(ok, 0.95) > 5.0:
                rows.append(("serve: stopped ramping", "-", "a lab failed or p95 above 5 s"))
                break
            held = (target, per_minute, memory / target)
        if held:
            rows.append(
                (
                    f"serve: sessions this machine holds (from {held[0]})",
                    "estimate",
                    _capacity(held[1], held[2]),
                )
            )
        await asyncio.gather(*(x.ws.close() for x in learners if x.ws), return_exceptions=True)
    return rows


def serve_rows(stages: list[int], minute: float) -> list[Row]:
    """Start `tutor serve` on a free 127.0.0.1 port, measure, stop it (and every session)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # A SIGTERM (a timeout, say) must still stop the server and its sessions.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [PY, "-m", "tutor", "serve", "--port", str(port), "--data", tmp]
        server = subprocess.Popen(
            [*cmd, "--max-sessions", str(max(stages, default=1) + 1)],
            stdout=subprocess.DEVNULL,
            cwd=ROOT,
        )
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            return asyncio.run(_serve_load(f"127.0.0.1:{port}", server.pid, stages, minute))
        except Exception as err:  # a bench prints what went wrong and goes on
            return [("serve", "-", f"failed: {err!r}"[:90])]
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--packets", type=int, default=20_000)
    parser.add_argument(
        "--big", type=int, default=200_000, help="packets of the mixed capture for (c); 0 skips it"
    )
    parser.add_argument("--runs", type=int, default=3, help="best of N for the quick measurements")
    parser.add_argument(
        "--serve-stages",
        default="10,40,80,120",
        help="concurrent `tutor serve` sessions to ramp through ('' skips the load test)",
    )
    parser.add_argument("--serve-minute", type=float, default=60, help="seconds in a stage")
    args = parser.parse_args()
    tutor = [PY, "-m", "tutor"]
    rows: list[Row] = []
    # Measure what a learner's second run costs: pip compiles an installed
    # package's bytecode, and an editable one is compiled on its first run,
    # unless PYTHONDONTWRITEBYTECODE is set (as on some build machines) and
    # every run compiles every module again, a third of a small file's time.
    subprocess.run([PY, "-m", "compileall", "-q", "tutor", "labs"], cwd=ROOT, check=True)
    rows.append(("bytecode", "compiled", "tutor and labs, before anything is measured"))

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

    # (c) explain: tutor next to tshark (scripts/bench_explain.py).
    from bench_explain import explain_rows

    rows += explain_rows(args.packets, args.big, args.runs)

    # (e) the first screen: tutor's outline next to a minimal Textual app.
    from bench_first_screen import first_screen_rows

    rows += first_screen_rows()

    stages = [int(n) for n in args.serve_stages.split(",") if n.strip()]
    rows += serve_rows(stages, args.serve_minute)

    width = max(len(r[0]) for r in rows)
    print(f"{'measure'.ljust(width)}  {'time':>8}  note")
    for name, value, note in rows:
        print(f"{name.ljust(width)}  {value:>8}  {note}")
    print(f"(python {sys.version.split()[0]}, {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
