"""The one run skeleton of a capture lab, and the one way to build its Trace.

A capture lab gives `capture_run` two things: `setup`, which starts its own
server (entered into the run's ExitStack, so it always stops) or resolves the
learner's target, and says where to listen (a `Plan`); and `converse`, which
has the real conversation through the capture. The skeleton does the rest:
the clock, opening and settling the capture (live or reconstructed), the
"nothing was captured" check, and the Recording.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

from labs.capture.core import Capture, open_capture
from labs.core.base import LabContext, RawPacket
from labs.dissect.core import StepsArg, build_trace
from labs.kit.record import Recording
from labs.model.errors import LabError
from labs.model.trace import Fact, Packet, Section, Trace

R = TypeVar("R")


@dataclass(frozen=True)
class Plan:
    """Where a lab will talk, and so what its capture listens for."""

    #: The target as the trace shows it ("127.0.0.1:53", a URL without its password).
    target: str
    #: The lab's server ports (see `labs.capture.core.open_capture`).
    ports: tuple[int, ...]
    proto: str = "tcp"
    iface: str = "lo"
    host: str | None = None
    port_range: tuple[int, int] | None = None


def now() -> tuple[str, float]:
    """The wall-clock start a trace shows, and a monotonic clock to time the run."""
    return datetime.now(UTC).isoformat(timespec="seconds"), time.monotonic()


def capture_run(
    ctx: LabContext,
    lab: str,
    setup: Callable[[ExitStack], Plan],
    converse: Callable[[Capture, Plan], R],
    nothing: tuple[str, str] = ("Nothing was captured.", "Run the lab again."),
) -> Recording[R]:
    """Run one capture lab's conversation and keep its evidence.

    Servers, the capture and anything `setup` entered into the stack are
    closed on the way out, also on error, cancel and Ctrl-C."""
    started, clock = now()
    with ClosingStack() as stack:
        plan = setup(stack)
        cap = stack.enter_context(
            open_capture(
                ctx,
                ports=plan.ports,
                proto=plan.proto,
                iface=plan.iface,
                host=plan.host,
                port_range=plan.port_range,
            )
        )
        ctx.check()
        stop = stack.enter_context(_interrupt_on_cancel(ctx, cap))
        result = converse(cap, plan)
        stop()
        ctx.check()
        cap.settle()
    raws = cap.packets()
    if not raws:
        raise LabError(*nothing)
    return recording(
        lab, plan.target, cap.kind, cap.note, raws, result, started, clock, cap.conversations()
    )


@contextmanager
def signals_held() -> Iterator[None]:
    """Ctrl-C and SIGTERM wait until the block ends, then the first lands.
    The CLI turns them into an exception wherever its main thread is; one
    landing half way through making or removing something (a folder made
    but not yet owned, a removal cut short) would leave it behind. Off the
    main thread (the TUI's labs) no handler runs, so nothing to hold."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    # Python runs handlers in the main thread whichever thread the signal
    # reached, so the handlers are swapped, not the thread's signal mask.
    previous = {
        signum: signal.signal(signum, lambda signum, frame: held.append(signum))
        for signum in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for first in held[:1]:
            signal.raise_signal(first)


class ClosingStack(ExitStack):
    """An ExitStack that closes whole: Ctrl-C and SIGTERM wait (`signals_held`)."""

    def __exit__(self, *exc: Any) -> bool:
        with signals_held():
            return bool(super().__exit__(*exc))


@contextmanager
def _interrupt_on_cancel(ctx: LabContext, cap: Capture) -> Iterator[Callable[[], None]]:
    """While the conversation runs, a cancel shuts its sockets down (a read
    blocked on the learner's silent server returns at once, as Ctrl-C
    interrupts the CLI). Yields the function that ends the watch."""
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.05):
            if ctx.cancel.is_set():
                cap.interrupt()
                return

    watcher = threading.Thread(target=watch, name="lab-cancel", daemon=True)
    watcher.start()
    try:
        yield done.set
    finally:
        done.set()
        watcher.join()


def recording(
    lab: str,
    target: str,
    capture: str,
    note: str,
    raws: Iterable[RawPacket],
    result: R,
    started: str,
    clock: float,
    conversations: Iterable[object] = (),
) -> Recording[R]:
    """A Recording stamped with the run's duration so far (for labs that do
    not capture through `capture_run`: the namespace and simulated labs)."""
    return Recording(
        lab=lab,
        target=target,
        capture=capture,
        capture_note=note,
        started=started,
        duration=round(time.monotonic() - clock, 3),
        raws=tuple(raws),
        conversations=tuple(conversations),  # type: ignore[arg-type]
        result=result,
    )


def make_trace(
    rec: Recording[Any],
    *,
    packets: tuple[Packet, ...] | None = None,
    decode_as: Mapping[int, str] | None = None,
    steps: StepsArg = None,
    sections: Iterable[Section] = (),
    facts: Iterable[Fact] = (),
    client: str | None = None,
    target: str | None = None,
    keylog: str = "",
) -> Trace:
    """The Trace of a Recording: its packets dissected (or `packets`, when
    the lab already dissected them to read its story), grouped in steps,
    with the lab's sections and facts."""
    trace = build_trace(
        lab=rec.lab,
        target=rec.target if target is None else target,
        capture=rec.capture,
        raws=rec.raws,
        capture_note=rec.capture_note,
        decode_as=decode_as,
        steps=steps,
        sections=sections,
        facts=facts,
        started=rec.started,
        duration=rec.duration,
        client=client,
        packets=packets,
    )
    return replace(trace, keylog=keylog) if keylog else trace
