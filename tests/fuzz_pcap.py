"""A fuzzer for the capture reader and, through it, the dissector.

Seeded from the stored captures (tests/data/pcaps), each input is a whole
capture file mutated at the level a damaged or hostile file differs: bytes
flipped, cut short, a block's or record's length field rewritten, a
timestamp or option value pushed to its extremes, blocks duplicated,
dropped or spliced from another file, a pcapng built with random option
lists. Every input must either read (then every packet time must be a date
Python can show, as `tutor explain` needs) or be refused with a one-line
BadInput; anything else is a finding, printed with the seed that rebuilds it.
One input in `DISSECT_EVERY` also goes through the dissector.

    .venv/bin/python tests/fuzz_pcap.py --count 1000000 [--seed N]   (`make fuzz`)

`tests/test_pcap_fuzz.py` runs a quick slice of it in the suite.
"""

from __future__ import annotations

import argparse
import random
import struct
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from labs.files.pcapread import parse_capture  # noqa: E402
from labs.model.errors import BadInput  # noqa: E402

PCAPS = Path(__file__).parent / "data" / "pcaps"
#: One input in this many is also dissected (the reader alone is ~50x faster).
DISSECT_EVERY = 64


def seeds() -> list[bytes]:
    """The stored captures, plus a pcapng with options of every kind."""
    files = [p.read_bytes() for p in sorted(PCAPS.iterdir())]
    return [*files, _pcapng_with_options()]


def _block(btype: int, body: bytes) -> bytes:
    body += b"\0" * (-len(body) % 4)
    return struct.pack("<II", btype, len(body) + 12) + body + struct.pack("<I", len(body) + 12)


def _option(code: int, value: bytes) -> bytes:
    return struct.pack("<HH", code, len(value)) + value + b"\0" * (-len(value) % 4)


def _pcapng_with_options() -> bytes:
    shb = _block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) + _option(0, b""))
    opts = _option(2, b"lo") + _option(9, b"\x09") + _option(0, b"")
    idb = _block(1, struct.pack("<HHI", 101, 0, 65535) + opts)
    packet = bytes.fromhex(
        "450000280001000040067cce7f0000017f000001d431005000000000000000005002200000000000"
    )
    epb = _block(6, struct.pack("<IIIII", 0, 0x5F5E1, 0x100, len(packet), len(packet)) + packet)
    spb = _block(3, struct.pack("<I", len(packet)) + packet)
    return shb + idb + epb + spb + epb


def _offsets(data: bytes) -> list[int]:
    """Where a length or type field sits: record/block starts, found by walking."""
    spots = [0]
    if data[:4] == b"\x0a\x0d\x0d\x0a":
        pos = 0
        while pos + 12 <= len(data):
            spots.append(pos)
            blen = struct.unpack_from("<I", data, pos + 4)[0]
            if blen < 12:
                break
            pos += blen
    elif len(data) >= 24:
        pos = 24
        spots.append(20)
        while pos + 16 <= len(data):
            spots.append(pos)
            pos += 16 + struct.unpack_from("<I", data, pos + 8)[0]
    return spots


_EXTREMES = [0, 1, 3, 4, 7, 8, 11, 12, 16, 19, 20, 0x7F, 0x80, 0xFF, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF]


def mutate(rng: random.Random, pool: list[bytes]) -> bytes:
    data = bytearray(rng.choice(pool))
    for _ in range(rng.randint(1, 4)):
        _MUTATIONS[rng.randrange(len(_MUTATIONS))](rng, data, pool)
    return bytes(data)


def _flip(rng: random.Random, data: bytearray, pool: list[bytes]) -> None:
    for _ in range(rng.randint(1, 8)):
        if data:
            data[rng.randrange(len(data))] = rng.randrange(256)


def _cut(rng: random.Random, data: bytearray, pool: list[bytes]) -> None:
    del data[rng.randrange(len(data) + 1) :]


def _length(rng: random.Random, data: bytearray, pool: list[bytes]) -> None:
    """Rewrite a 32-bit field where lengths live (block length, caplen, link type)."""
    spot = rng.choice(_offsets(bytes(data))) + rng.choice([0, 4, 8, 12, 16, 20, 24, 28])
    if spot + 4 <= len(data):
        value = rng.choice(_EXTREMES) if rng.random() < 0.7 else rng.randrange(1 << 32)
        data[spot : spot + 4] = struct.pack("<I", value)


def _time_extreme(rng: random.Random, data: bytearray, pool: list[bytes]) -> None:
    """High timestamp words: years past 9999 with any tick size."""
    spot = rng.choice(_offsets(bytes(data))) + rng.choice([12, 16, 8, 0])
    if spot + 4 <= len(data):
        data[spot : spot + 4] = struct.pack("<I", rng.choice([0xFFFFFFFF, 0x7FFFFFFF, 0x10000000]))


def _splice(rng: random.Random, data: bytearray, pool: list[bytes]) -> None:
    other = rng.choice(pool)
    a, b = sorted(rng.randrange(len(other) + 1) for _ in range(2))
    at = rng.randrange(len(data) + 1)
    data[at:at] = other[a:b]


def _duplicate(rng: random.Random, data: bytearray, pool: list[bytes]) -> None:
    spots = _offsets(bytes(data))
    if len(spots) > 2:
        a, b = sorted(rng.sample(spots, 2))
        data[b:b] = data[a:b]


def _drop(rng: random.Random, data: bytearray, pool: list[bytes]) -> None:
    spots = _offsets(bytes(data))
    if len(spots) > 2:
        a, b = sorted(rng.sample(spots, 2))
        del data[a:b]


def _option_block(rng: random.Random, data: bytearray, pool: list[bytes]) -> None:
    """An interface block whose options are random (cut values, huge sizes)."""
    opts = b"".join(
        struct.pack(
            "<HH", rng.choice([0, 2, 9, 9, 14, rng.randrange(65536)]), rng.choice(_EXTREMES[:8])
        )
        + bytes(rng.randrange(256) for _ in range(rng.randrange(6)))
        for _ in range(rng.randint(0, 3))
    )
    body = struct.pack("<HHI", rng.choice([1, 101, 113, 276, 0]), 0, 65535) + opts
    body = body[: rng.randrange(len(body) + 1)] if rng.random() < 0.3 else body
    block = struct.pack("<II", 1, len(body) + 12) + body + struct.pack("<I", len(body) + 12)
    at = rng.choice(_offsets(bytes(data)))
    data[at:at] = block


_MUTATIONS: list[Callable[[random.Random, bytearray, list[bytes]], None]] = [
    _flip,
    _flip,
    _cut,
    _length,
    _length,
    _time_extreme,
    _splice,
    _duplicate,
    _drop,
    _option_block,
]


def check(data: bytes, dissect: bool) -> None:
    """Read one input as `tutor explain` would; raises on a finding."""
    try:
        packets = parse_capture(data, "fuzz.pcap")
    except BadInput as err:
        if "\n" in str(err):
            raise AssertionError(f"a multi-line error: {err!r}") from None
        return
    for p in packets:
        datetime.fromtimestamp(p.time, UTC)
    if dissect and packets:
        from labs.dissect.core import build_trace

        build_trace(lab="fuzz", target="", capture="file", raws=list(packets[:8]))


def run(
    count: int, seed: int, report: Callable[[str], None] = print, every: int = DISSECT_EVERY
) -> int:
    """Run `count` inputs from `seed` (every `every`-th also dissected);
    returns the number of findings."""
    pool = seeds()
    rng = random.Random(seed)
    findings = 0
    started = time.monotonic()
    for i in range(count):
        data = mutate(rng, pool)
        try:
            check(data, dissect=i % every == 0)
        except Exception:
            findings += 1
            report(f"finding at input {i} (seed {seed}):\n{traceback.format_exc()}")
            Path(f"fuzz-finding-{seed}-{i}.bin").write_bytes(data)
        if i and i % 100_000 == 0:
            report(f"{i} inputs, {findings} findings, {time.monotonic() - started:.0f} s")
    report(f"done: {count} inputs, {findings} findings, {time.monotonic() - started:.0f} s")
    return findings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--dissect-every", type=int, default=DISSECT_EVERY)
    args = parser.parse_args()
    return 1 if run(args.count, args.seed, every=args.dissect_every) else 0


if __name__ == "__main__":
    raise SystemExit(main())
