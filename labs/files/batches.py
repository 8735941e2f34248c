"""Lists of records spooled to a temporary file and read back in order
(`labs.files.streamjson`'s Views, `labs.files.seens`' Seens), and a byte a
packet kept the same way (`Codes`: each packet's step).

Each batch is written as its length (8 bytes) and then `marshal.dumps` of
the list, and read back with one `read` and `marshal.loads`: `marshal.load`
on a file object calls the file's `readinto` for every string and number
it meets, which took a second for 40,000 small records; reading the batch
whole takes a few milliseconds. The files are this process's own unnamed
temporary files; a length beyond what is left of the file ends the read.
"""

from __future__ import annotations

import marshal
import os
import tempfile
from collections.abc import Iterator
from typing import IO, Any

_LENGTH = 8


def dump_batch(batch: list[Any], file: IO[bytes]) -> None:
    data = marshal.dumps(batch)
    file.write(len(data).to_bytes(_LENGTH, "little") + data)


def load_batches(file: IO[bytes]) -> Iterator[list[Any]]:
    """Every batch from the file's current position to its end."""
    while True:
        head = file.read(_LENGTH)
        if len(head) < _LENGTH:
            return
        size = int.from_bytes(head, "little")
        data = file.read(size)
        if len(data) < size:
            return
        yield marshal.loads(data)


#: Codes kept in memory before they go to the file (and read back at once).
_CODES_CHUNK = 1 << 14


class Codes:
    """A byte for each packet, appended in order, in an unnamed temporary
    file a chunk at a time (a bytearray of them grew the peak memory with
    the capture); one already written can still be changed (`set`)."""

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile(buffering=0)
        self.buffer = bytearray()
        self.written = 0

    def append(self, code: int) -> None:
        self.buffer.append(code)
        if len(self.buffer) >= _CODES_CHUNK:
            self.file.write(self.buffer)
            self.written += len(self.buffer)
            self.buffer = bytearray()

    def set(self, at: int, code: int) -> None:
        if at >= self.written:
            self.buffer[at - self.written] = code
        else:
            os.pwrite(self.file.fileno(), bytes((code,)), at)

    def __iter__(self) -> Iterator[int]:
        fd = self.file.fileno()
        for at in range(0, self.written, _CODES_CHUNK):
            yield from os.pread(fd, _CODES_CHUNK, at)
        yield from self.buffer

    def close(self) -> None:
        self.file.close()


__all__ = ["Codes", "dump_batch", "load_batches"]
