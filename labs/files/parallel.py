"""Writing a capture's trace JSON (`tutor explain --json`) with memory that
does not grow with the capture, in one process or, for a large capture, two.

Each packet's JSON text goes to a temporary file as soon as it is dissected,
what the end needs of it to another (`labs.files.streamjson`).

Two processes:

What dissection remembers is per conversation (its protocol, TLS records
and HTTP bodies across segments, byte counts from its handshake), except
who is a client, which a SYN tells for every later packet. So a first
pass over the capture reads each packet's conversation from its bytes
(in a forked child of its own, `labs.files.firstpass`, so that its tables
never weigh on the processes that read the packets); then this process
and a forked child each read the capture file again from its start, and
each conversation goes to the one that meets it first
(`labs.files.claims`: both end together however fast each runs), with the
packets' global numbers and time origin and every SYN of the capture
learned before the packet that follows it. Each side writes its packets (their JSON, Views and waterfall
Seens) to its own files and sends back the secrets it met; this process puts
everything back in capture order, while a third child works out the
timing waterfall from both shares. The output is the JSON `write_json` gives
for `explain_file`, byte for byte (tests/test_explain_parallel.py).

If the child fails, this process reads its share itself; if this process is
stopped, the child is killed and reaped. Only `os.fork` is used.
"""

from __future__ import annotations

import os
import pickle
import signal
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import IO, TextIO

from labs.core.base import RawPacket
from labs.dissect.conversations import Streams
from labs.dissect.core import Learned, Syns, dissect_some, dissect_stream, paused_gc
from labs.dissect.session import LINKED
from labs.dissect.steps import View, view
from labs.files.claims import Claims
from labs.files.forked import fork
from labs.files.seens import SeenStore, collecting, waterfall_of
from labs.files.streamjson import Share, finish
from labs.files.survey import PacketIds, Survey, survey, survey_stream
from labs.files.tracejson import Texts
from labs.model.trace import Phase, Trace


def _read(
    raws: Sequence[RawPacket],
    indexes: Sequence[int],
    decode_as: Mapping[int, str] | None,
    client: str | None,
    learned: Sequence[Learned],
    sink: IO[str],
    streams: Streams | None = None,
) -> list[View]:
    """The packets at `indexes` dissected as one process reads its share:
    each one's JSON text as one line of `sink`, and their Views."""
    texts = Texts()
    views: list[View] = []
    for p in dissect_some(raws, indexes, decode_as, client, learned, streams):
        sink.write(texts.packet(p) + "\n")
        views.append(view(p))
    return views


#: (index, packet) pairs of every packet to explain, read again at each call.
Source = Callable[[], Iterable[tuple[int, RawPacket]]]


def _taker(split: tuple[Claims, PacketIds], side: int) -> Callable[[int], bool]:
    """Whether `side` reads packet i: the side that met its conversation first."""
    claims, ids = split
    take = claims.take
    return lambda i: take(ids[i], side)


def _read_share(
    source: Source,
    mine: Callable[[int], bool],
    side: int,
    t0: float,
    decode_as: Mapping[int, str] | None,
    client: str | None,
    learned: Iterable[Learned],
    last: Sequence[int],
    streams: Streams,
    share: Share,
) -> None:
    """Dissect the packets `mine` says are `side`'s into `share`."""
    packets = ((i, r) for i, r in source() if mine(i))
    share.read(collecting(dissect_stream(packets, t0, decode_as, client, learned, last, streams)))


def _child(write_fd: int, work: tuple[object, ...]) -> None:
    """The forked child: read its share into its files (its parent's), send
    the secrets it met, exit at once (no atexit handlers, no flushing of the
    parent's buffers)."""
    code = 1
    try:
        share: Share = work[-1]  # type: ignore[assignment]
        _read_share(*work)  # type: ignore[arg-type]
        with os.fdopen(write_fd, "wb") as pipe:
            pickle.dump((share.secrets, LINKED[0]), pipe, protocol=pickle.HIGHEST_PROTOCOL)
        code = 0
    finally:
        os._exit(code)


def _receive(read_fd: int) -> tuple[set[str], bool] | None:
    """What the child sends (the secrets it met, whether it linked two
    conversations), unpickled as it streams in; None if the child failed
    before sending it all."""
    try:
        with os.fdopen(read_fd, "rb") as pipe:
            result: tuple[set[str], bool] = pickle.load(pipe)
    except Exception:
        return None
    return result


def _waterfall_child(write_fd: int, stores: Sequence[SeenStore], last: Sequence[int]) -> None:
    """The forked child of `_waterfall_aside`: send the waterfall, exit at once."""
    code = 1
    try:
        phases = waterfall_of(stores, last)
        with os.fdopen(write_fd, "wb") as pipe:
            pickle.dump(phases, pipe, protocol=pickle.HIGHEST_PROTOCOL)
        code = 0
    finally:
        os._exit(code)


@contextmanager
def _waterfall_aside(
    stores: Sequence[SeenStore], last: Sequence[int]
) -> Iterator[Callable[[], tuple[Phase, ...]]]:
    """What gives `waterfall_of(stores, last)`, worked out in a forked child
    while this process names the steps and writes them and the packets
    (the document needs it only after them: ~0.6 s of 200,000 packets
    that no longer wait for the rest); worked out here if the child fails.
    The child only reads the stores' files, and this process leaves them
    alone until the child is done."""
    try:
        pid, read_fd, held = fork(lambda write_fd: _waterfall_child(write_fd, stores, last))
    except OSError:  # no fork to be had: worked out here when it is needed
        yield lambda: waterfall_of(stores, last)
        return
    got: list[tuple[Phase, ...]] = []
    try:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)  # a held signal lands here

        def wait() -> tuple[Phase, ...]:
            nonlocal pid, read_fd
            if not got:
                fd, read_fd = read_fd, -1
                try:
                    with os.fdopen(fd, "rb") as pipe:
                        got.append(pickle.load(pipe))
                except Exception:
                    os.kill(pid, signal.SIGKILL)  # before this process reads the stores
                    os.waitpid(pid, 0)
                    pid = 0
                    got.append(waterfall_of(stores, last))
            return got[0]

        yield wait
    finally:
        if read_fd >= 0:
            os.close(read_fd)
        if pid and not got:  # stopped or failed: the child must not outlive us
            os.kill(pid, signal.SIGKILL)
        if pid:
            os.waitpid(pid, 0)


def write_json_streamed(
    trace: Trace,
    raws: Sequence[RawPacket],
    out: TextIO,
    decode_as: Mapping[int, str] | None = None,
    client: str | None = None,
    mask: bool = False,
) -> None:
    """The trace JSON of `trace` (which carries everything but its packets
    and steps) with `raws` dissected in this process, one packet at a time."""
    t0 = raws[0].time if raws else 0.0
    stream_serial(trace, lambda: enumerate(raws), len(raws), t0, out, decode_as, client, mask)


def stream_serial(
    trace: Trace,
    source: Source,
    n: int,
    t0: float,
    out: TextIO,
    decode_as: Mapping[int, str] | None = None,
    client: str | None = None,
    mask: bool = False,
    found: Survey | None = None,
) -> None:
    """`write_json_streamed` of the `n` packets `source` gives, read as they
    come. With a survey (`found`), conversations that are over are forgotten
    as the two processes forget them, so memory stays flat in one process too."""
    share = Share()
    try:
        with paused_gc():
            if found is None:
                share.read(collecting(dissect_stream(source(), t0, decode_as, client)))
                finish(trace, n, None, [share], out, mask)
                return
            found.finish()
            syns = (found.syns, found.last(), found.streams)
            _read_share(source, lambda i: True, 0, t0, decode_as, client, *syns, share)
            finish(trace, n, None, [share], out, mask, syns[1], syns[0])
    finally:
        share.close()
        if found is not None:
            found.close()


def write_json_parallel(
    trace: Trace,
    raws: Sequence[RawPacket],
    out: TextIO,
    decode_as: Mapping[int, str] | None = None,
    client: str | None = None,
    mask: bool = False,
) -> None:
    """Dissect `raws` in two processes and write the trace JSON of `trace`
    (which carries everything but its packets and steps) with them."""
    t0 = raws[0].time if raws else 0.0
    found = survey_stream(enumerate(raws))
    stream_parallel(
        trace, lambda: enumerate(raws), len(raws), t0, found, out, decode_as, client, mask
    )


def stream_parallel(
    trace: Trace,
    source: Source,
    n: int,
    t0: float,
    found: Survey,
    out: TextIO,
    decode_as: Mapping[int, str] | None = None,
    client: str | None = None,
    mask: bool = False,
) -> None:
    """`write_json_parallel` of the `n` packets `source` gives (each process
    reads them again from `source`), shared as the survey `found` says."""
    found.finish()
    claims = Claims(found.conversations())
    syns, ids = (found.syns, found.last(), found.streams), found.ids
    # Not needed any more (and the child would inherit them).
    found.keys, found._number = [], {}
    shares = (Share(), Share())
    try:
        with paused_gc():
            _fork_and_read(
                trace, source, n, t0, (claims, ids), syns, shares, out, decode_as, client, mask
            )
    finally:
        claims.close()
        found.close()
        for share in shares:
            share.close()


def _fork_and_read(
    trace: Trace,
    source: Source,
    n: int,
    t0: float,
    split: tuple[Claims, PacketIds],
    syns: tuple[Syns, Sequence[int], Streams],
    shares: tuple[Share, ...],
    out: TextIO,
    decode_as: Mapping[int, str] | None,
    client: str | None,
    mask: bool,
) -> None:
    LINKED[0] = False
    work = (source, _taker(split, 1), 1, t0, decode_as, client, *syns, shares[1])
    pid, read_fd, held = fork(lambda write_fd: _child(write_fd, work))
    received = None
    try:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)  # a held signal lands here
        _read_share(source, _taker(split, 0), 0, t0, decode_as, client, *syns, shares[0])
        received = _receive(read_fd)
        if received is None:  # the child failed: read its share here
            os.waitpid(pid, 0)
            pid = 0
            shares[1].clear()
            # Every conversation is taken by now (this process read them all).
            _read_share(source, _taker(split, 1), 1, t0, decode_as, client, *syns, shares[1])
        else:
            shares[1].secrets = received[0]
        if LINKED[0] or (received is not None and received[1]):
            # FTP or TFTP linked conversations the two processes read apart:
            # read it all again here (rare in a large capture; exact).
            for share in shares:
                share.clear()
            _read_share(source, lambda i: True, 0, t0, decode_as, client, *syns, shares[0])
            shares = shares[:1]
        stores = [share.seens for share in shares]
        with _waterfall_aside(stores, syns[1]) as waterfall:
            owner = split[0].sides(split[1]) if len(shares) > 1 else None
            finish(trace, n, owner, shares, out, mask, syns[1], syns[0], waterfall)
    finally:
        if pid and received is None:  # stopped (Ctrl-C) or failed: the child must not outlive us
            os.kill(pid, signal.SIGKILL)
        if pid:
            # Reaped last: a child that has sent everything exits while we write.
            os.waitpid(pid, 0)


__all__ = [
    "Survey",
    "stream_parallel",
    "stream_serial",
    "survey",
    "survey_stream",
    "write_json_parallel",
    "write_json_streamed",
]
