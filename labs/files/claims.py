"""Which of two processes reads each conversation of a capture, decided as
the processes meet them (`labs.files.parallel`).

A split made before the processes start (half the packets each) left one
of them idle for a second or more of a seven-second run: two processes do
not run at the same speed on a shared machine. Here both read the capture
from its start, and the first to meet a conversation's first packet takes
it; one that falls behind finds what lies ahead already taken, skips it
cheaply and catches up, so both end together.

The table lives in anonymous shared memory made before the fork, one byte
a conversation (0: nobody yet, else the side + 1); taking a conversation
is a test-and-set under a lock both processes share (a POSIX semaphore).
Conversation 0 (packets of no conversation) belongs to side 0.
"""

from __future__ import annotations

import mmap
from collections.abc import Iterable, Iterator
from typing import Any


class Claims:
    def __init__(self, conversations: int) -> None:
        import multiprocessing

        self._table = mmap.mmap(-1, max(conversations, 1))
        self._table[0] = 1
        self._lock: Any = multiprocessing.get_context("fork").Lock()

    def take(self, conversation: int, side: int) -> bool:
        """Whether `side` reads `conversation` (taking it if nobody has)."""
        table = self._table
        got = table[conversation]
        if not got:
            with self._lock:
                got = table[conversation]
                if not got:
                    got = table[conversation] = side + 1
        return got == side + 1

    def owners(self, ids: Iterable[int]) -> bytearray:
        """Which side read each packet, from each packet's conversation."""
        side = bytes(max(b - 1, 0) for b in self._table[:])
        return bytearray(side[k] for k in ids)

    def sides(self, ids: Iterable[int]) -> Iterable[int]:
        """`owners`, read again from `ids` at each iteration: no table of a
        byte a packet (it grew the peak memory with the capture)."""
        side = bytes(max(b - 1, 0) for b in self._table[:])
        return _Sides(side, ids)

    def close(self) -> None:
        self._table.close()


class _Sides:
    def __init__(self, side: bytes, ids: Iterable[int]) -> None:
        self.side, self.ids = side, ids

    def __iter__(self) -> Iterator[int]:
        return map(self.side.__getitem__, self.ids)


__all__ = ["Claims"]
