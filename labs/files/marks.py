"""One bit a packet of a capture (`labs.files.survey.Survey.last`: the last
packet of each conversation), read by index as a sequence of 0 and 1.

Every process that reads a large capture holds it to its end
(`labs.files.parallel`); as a byte a packet it grew their peak memory
with the capture (~0.2 MB at 200,000 packets), as a bit an eighth of that."""

from __future__ import annotations

from collections.abc import Sequence


class Marks(Sequence[int]):
    __slots__ = ("bits", "n")

    def __init__(self, n: int) -> None:
        self.n = n
        self.bits = bytearray((n + 7) // 8)

    def mark(self, i: int) -> None:
        self.bits[i >> 3] |= 1 << (i & 7)

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> int:  # type: ignore[override]
        # Only packet indexes (0 <= i < n) are asked for.
        return self.bits[i >> 3] >> (i & 7) & 1

    def __reduce__(self) -> tuple[object, ...]:
        return _marks, (self.n, bytes(self.bits))


def _marks(n: int, bits: bytes) -> Marks:
    out = Marks(0)
    out.n, out.bits = n, bytearray(bits)
    return out


__all__ = ["Marks"]
