"""A child forked to do part of `tutor explain`'s work and send its result
back through a pipe (`labs.files.firstpass`, `labs.files.parallel`)."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable


def fork(work: Callable[[int], None]) -> tuple[int, int, set[int | signal.Signals]]:
    """(pid, read end of the pipe, signal mask to restore) after forking a
    child that runs `work(write_fd)` and exits without returning here.

    Ctrl-C and SIGTERM wait while forking: one arriving in between would run
    its handler in both processes and leave the child unwatched. The caller
    restores the mask inside the `try` whose `finally` kills the child, so a
    signal held until then lands where the child cannot be forgotten."""
    read_fd, write_fd = os.pipe()
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    parent = os.getpid()
    try:
        pid = os.fork()
    except OSError:  # no memory or no process left: nothing forked, all undone
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        os.close(read_fd)
        os.close(write_fd)
        raise
    if pid == 0:  # the child
        os.close(read_fd)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _die_with(parent)
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        try:
            work(write_fd)
        finally:
            os._exit(1)  # `work` exits itself when it succeeds
    os.close(write_fd)
    return pid, read_fd, held


def _die_with(parent: int) -> None:
    """The child ends when its parent does, even by SIGKILL (PR_SET_PDEATHSIG)."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)
    if os.getppid() != parent:  # the parent was already gone
        os._exit(1)


__all__ = ["fork"]
