"""The first pass over a capture (`tutor explain --json`): how many packets
it holds, its first and last times, and for a capture two processes will
read, its survey (`labs.files.survey`), run in a forked child of its own.

The survey keeps a few table entries per conversation (its key and number,
its stream name, its sequence bases: ~0.4 KB each). Freed when the pass
ended, they left the heap of the process that ran it fragmented, bigger by
~30 bytes a packet of the capture for the rest of the run, and the readers
forked from it (`labs.files.parallel`) inherited that. Run in a child of its
own, the survey's tables go with the child: each packet's conversation and
stream numbers and the SYNs go to the unnamed temporary files this process
opened before the fork, and the rest comes back through a pipe, compactly
(the counts and times, the reader's note, one bit a packet marking each
conversation's last, the stream numbers a full dissection asked for by
name). If the child fails, the pass runs here again (the same result).
"""

from __future__ import annotations

import os
import pickle
import signal
from dataclasses import dataclass

from labs.files.forked import fork
from labs.files.pcapread import CaptureStream
from labs.files.survey import Sealed, Survey

#: A capture file smaller than this (bytes) is surveyed in this process:
#: its tables are small, and a fork would cost a small capture more than it saves.
APART_FROM = 1 << 20


@dataclass
class Pass:
    """What the first pass read: every packet (`total`, even past a
    limit), the link of the first, the times of the first and last
    explained, and what the reader noticed (as `Capture` has it)."""

    total: int = 0
    link: str = "raw-ip"
    start: float | None = None
    end: float | None = None
    truncated: bool = False
    note: str = ""


def first_pass(stream: CaptureStream, limit: int | None, found: Survey | None) -> Pass:
    """Read `stream` once, surveying the packets explained into `found`."""
    out = Pass()
    for i, raw in enumerate(stream):
        out.total += 1
        if limit is None or i < limit:
            if out.start is None:
                out.start, out.link = raw.time, raw.link
            out.end = raw.time
            if found is not None:
                found.add(i, raw)
    out.truncated, out.note = stream.info.truncated, stream.info.note
    return out


def surveyed(stream: CaptureStream, limit: int | None) -> tuple[Pass, Survey]:
    """`first_pass` with a Survey, in a forked child when the file is large."""
    found = Survey()
    if len(stream.data) < APART_FROM:
        return first_pass(stream, limit, found), found
    got = _apart(stream, limit, found)
    if got is None:  # the child failed: the pass again, here
        found.close()
        found = Survey()
        return first_pass(stream, limit, found), found
    done, sealed = got
    found.adopt(sealed, min(done.total, limit) if limit else done.total)
    return done, found


def _apart(stream: CaptureStream, limit: int | None, found: Survey) -> tuple[Pass, Sealed] | None:
    pid, read_fd, held = fork(lambda write_fd: _child(write_fd, stream, limit, found))
    got: tuple[Pass, Sealed] | None = None
    try:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)  # a held signal lands here
        try:
            with os.fdopen(read_fd, "rb") as pipe:
                got = pickle.load(pipe)
        except Exception:
            got = None
    finally:
        if got is None:  # stopped (Ctrl-C) or failed: the child must not outlive us
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    return got


def _child(write_fd: int, stream: CaptureStream, limit: int | None, found: Survey) -> None:
    """The forked child: the pass, its result sent, then exit at once (no
    atexit handlers, no flushing of the parent's buffers)."""
    code = 1
    try:
        done = first_pass(stream, limit, found)
        found.finish()
        with os.fdopen(write_fd, "wb") as pipe:
            pickle.dump((done, found.sealed()), pipe, protocol=pickle.HIGHEST_PROTOCOL)
        code = 0
    finally:
        os._exit(code)


__all__ = ["APART_FROM", "Pass", "first_pass", "surveyed"]
