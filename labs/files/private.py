"""Writing the files tutor saves (captures, key logs): private and all-or-nothing.

Each file is written under a temporary name in its own directory, created
0600 with O_EXCL|O_NOFOLLOW (a symlink planted there is never followed),
flushed to disk, and only then renamed over the real name: a rename
replaces a symlink at that name instead of writing through it, and a full
disk leaves the old file (or nothing), never a truncated one. Several files
saved together (a pcap and its key log) appear together or not at all.
The standard library has the pieces (os.open flags, os.replace) but no
helper that combines them; the `atomicwrites` package that did is retired.
"""

from __future__ import annotations

import errno
import os
import secrets
from collections.abc import Iterable, Sequence
from pathlib import Path

from labs.model.errors import BadInput, LabError


def check_writable(path: str | Path, flag: str) -> Path:
    """The file path `flag` names, checked before any work is done: not empty,
    not a directory, in a directory that exists and we can write."""
    text = str(path)
    if not text.strip():
        raise BadInput(f"{flag} needs a file name.", f"e.g. {flag} run.pcap")
    target = Path(text).expanduser()
    if target.is_dir() or text.endswith(os.sep):
        raise BadInput(f"{flag} {text}: is a directory.", "Give a file name inside it.")
    parent = target.absolute().parent
    if not parent.is_dir():
        raise BadInput(f"{flag} {text}: cannot write there, {parent} does not exist.")
    try:  # access() says yes to root even on /proc: only creating a file tells
        _unlink(_write_temp(target.absolute(), []))
    except OSError as exc:
        raise BadInput(
            f"{flag} {text}: cannot write in {parent} ({exc.strerror}).", "Choose a writable path."
        ) from None
    return target


def write_files(files: Sequence[tuple[Path, Iterable[bytes]]]) -> None:
    """Write each (path, chunks) privately and atomically; all or none.
    LabError (one line) when the disk is full or the place is not writable."""
    done: list[tuple[Path, Path]] = []
    current = files[0][0] if files else Path()
    try:
        for current, chunks in files:
            done.append((current, _write_temp(current, chunks)))
        for current, temp in done:
            os.replace(temp, current)
        done.clear()
    except OSError as exc:
        raise _error(exc, current) from None
    finally:
        for _path, temp in done:
            _unlink(temp)


def _write_temp(path: Path, chunks: Iterable[bytes]) -> Path:
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(temp, flags, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())  # on disk before the rename makes it the real file
    except BaseException:
        _unlink(temp)
        raise
    return temp


def _unlink(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _error(exc: OSError, path: Path) -> LabError:
    reason = exc.strerror or str(exc)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return LabError(f"{path}: not saved ({reason}); nothing was written.", "Free some space.")
    return BadInput(f"{path}: cannot be written ({reason}).", "Choose a writable path.")


__all__ = ["check_writable", "write_files"]
