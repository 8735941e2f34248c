"""Lists of records spooled to a temporary file and read back in order
(`labs.files.streamjson`'s Views, `labs.files.seens`' Seens).

Each batch is written as its length (8 bytes) and then `marshal.dumps` of
the list, and read back with one `read` and `marshal.loads`: `marshal.load`
on a file object calls the file's `readinto` for every string and number
it meets, which took a second for 40,000 small records; reading the batch
whole takes a few milliseconds. The files are this process's own unnamed
temporary files; a length beyond what is left of the file ends the read.
"""

from __future__ import annotations

import marshal
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


__all__ = ["dump_batch", "load_batches"]
