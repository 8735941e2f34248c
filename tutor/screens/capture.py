"""The capture screen: a capture file (pcap or pcapng) in the panes the lab
screen shows a run in, without the lab's controls (`tutor explain FILE
--tui`, or o on the course outline). The file is read and explained by
`labs.api.explain_file` in a thread worker, as a lab runs: a large capture
takes a while, and the screen says so meanwhile instead of freezing."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Footer, Header, Input, Label, Static
from textual.worker import get_current_worker

from tutor.screens.base import Dialog
from tutor.screens.trace_screen import MORE_KEYS, PANE_KEYS, TraceScreen
from tutor.screens.trace_view import SEP, OneRowEach, capture_banner
from tutor.timetext import packets, took
from tutor.widgets.packet_table import PacketTable
from tutor.widgets.packet_view import PacketView

if TYPE_CHECKING:
    from labs.model.trace import Trace

#: The most packets the screen opens. Every packet is dissected into memory
#: before the first is shown (some 0.5 ms each on a small machine, and a
#: packet list re-laid out at each resize): past this, `tutor explain FILE`
#: (which streams) or `--limit` is the way.
MAX_PACKETS = 10_000


@dataclass(frozen=True)
class CaptureRequest:
    """A capture file to open, and how to read it (`tutor explain`'s flags)."""

    path: str
    limit: int | None = None
    decode_as: Mapping[int, str] = field(default_factory=dict)
    client: str | None = None
    #: A display filter to start with (the filter box holds it).
    filter: str = ""
    show_secrets: bool = False

    @property
    def name(self) -> str:
        return Path(self.path).name or self.path


def too_many(name: str) -> str:
    """The one line that refuses a capture over MAX_PACKETS."""
    return (
        f"{name} has more than {MAX_PACKETS:,} packets, more than this screen opens: "
        f"open the first {MAX_PACKETS:,} with `tutor explain {name} --tui --limit "
        f"{MAX_PACKETS}`, or read them all with `tutor explain {name}`."
    )


def file_banner(trace: Trace, name: str) -> OneRowEach:
    """The banner: the file, its count and time span, then how it was obtained
    ("Read from the capture file ...": not a live capture)."""
    text, _kind = capture_banner(trace)
    note = text.split("\n", 1)[1]
    # No word on numbering: the packet list's "No." column is Wireshark's No.
    head = f"{name}{SEP}{packets(len(trace.packets))} over {took(trace.duration)}"
    return OneRowEach((head, note))


class CaptureScreen(TraceScreen):
    """Explore a capture file's trace: the lab screen's panes, no lab to run."""

    SUB_TITLE = "Capture file"
    NO_TRACE_YET = "The capture file is not read yet (or could not be)."

    # r reads the file again: on both trace screens r makes the trace (the
    # lab screen's r runs the lab), so a learner coming from a lab gets the
    # nearest thing, not the glossary review r opens elsewhere.
    BINDINGS = [
        *PANE_KEYS,
        Binding("d", "timing", "Timing"),
        Binding(
            "r",
            "reload",
            "Reload",
            tooltip="Read the file again",
        ),
        *MORE_KEYS,
        Binding("escape", "back", "Close", tooltip="Close the file (ends tutor explain --tui)"),
    ]

    @dataclass
    class Loaded(Message):
        trace: Trace

    @dataclass
    class Failed(Message):
        text: str

    def __init__(self, request: CaptureRequest, quit_on_back: bool = False) -> None:
        super().__init__()
        self.request = request
        #: Opened by `tutor explain --tui`: Escape ends the app, as q does.
        self.quit_on_back = quit_on_back
        #: When the trace on show was read (a failed reload keeps it: says so).
        self.read_at = ""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(
            f"Reading {self.request.name}… a large capture takes a while "
            "(every packet is dissected before the first is shown).",
            id="banner",
            classes="warn",
            markup=False,
        )
        yield from self.compose_tabs("explain", waiting="Wait for the file to be read")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"Capture file · {self.request.name}"
        self.fit()
        self.query_one(PacketTable).fill((), narrow=self.is_narrow(), show_secrets=False)
        if self.request.filter:
            self.query_one("#filter", Input).value = self.request.filter
        self._load()

    def action_reload(self) -> None:
        self.set_banner(f"Reading {self.request.name} again…", "warn")
        self._load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="capture")
    def _load(self) -> None:
        from labs.api import LabError, explain_file

        worker = get_current_worker()
        request = self.request
        # One more than the screen opens: a file that has it is refused.
        limit = min(request.limit or MAX_PACKETS + 1, MAX_PACKETS + 1)
        try:
            trace = explain_file(
                request.path, limit=limit, decode_as=request.decode_as, client=request.client
            )
        except LabError as err:
            self.post_message(self.Failed(str(err)))
        except Exception as err:  # a bug in the dissection must not take the app down
            self.post_message(
                self.Failed(f"Could not read {request.name}: {type(err).__name__}: {err}")
            )
        else:
            if worker.is_cancelled:  # r again meanwhile: the newer read reports
                return
            if len(trace.packets) > MAX_PACKETS:
                self.post_message(self.Failed(too_many(request.name)))
            else:
                self.post_message(self.Loaded(trace))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        # A reload keeps the learner on the packet they were reading.
        view = self.query_one(PacketView)
        index = view.packet.index if view.packet is not None else None
        first = self.trace is None
        self.read_at = time.strftime("%H:%M:%S")
        self.show_trace(message.trace)
        if first and self.request.show_secrets:
            self.action_toggle_secrets()
        row = self.query_one(PacketTable).row_of(index) if index is not None else None
        if row is not None:
            self.query_one(PacketTable).move_cursor(row=row)

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        said = " ".join(message.text.split())
        if self.trace is not None:
            # A reload failed: the panes still hold the file as it was read
            # before, which the learner must not take for what it holds now.
            count = len(self.trace.packets)
            said = (
                f"Reading it again failed: the packets below are still the {count} "
                f"read at {self.read_at}. {said}"
            )
            self.sub_title = f"Capture file · {self.request.name} · reading of {self.read_at}"
        self.set_banner(said, "error")

    def show_trace(self, trace: Trace) -> None:
        super().show_trace(trace)
        self.sub_title = f"Capture file · {self.request.name}"
        self.set_banner(file_banner(trace, self.request.name), "live")

    async def action_back(self) -> None:
        if self.quit_on_back:
            await self.app.action_quit()
        else:
            self.dismiss(None)


#: The first four bytes of a pcap file (either byte order, micro- or
#: nanosecond timestamps) and of a pcapng file (its Section Header Block): a
#: file without one is no capture, said at once, before anything is parsed.
CAPTURE_MAGICS = frozenset(
    {
        b"\xd4\xc3\xb2\xa1",
        b"\xa1\xb2\xc3\xd4",
        b"\x4d\x3c\xb2\xa1",
        b"\xa1\xb2\x3c\x4d",
        b"\x0a\x0d\x0d\x0a",
    }
)


class OpenCaptureScreen(Dialog[str | None]):
    """Asks for a capture file's path (o on the course outline); dismisses
    with the path of an existing file, or None when cancelled."""

    DEFAULT_CSS = """
    OpenCaptureScreen { align: center middle; }
    OpenCaptureScreen > Vertical {
        width: 90; max-width: 100%; height: auto; padding: 1 2;
        border: thick $primary; background: $surface;
    }
    OpenCaptureScreen Label { width: 100%; }
    OpenCaptureScreen #open-error {
        color: $text-error; height: 1; text-wrap: nowrap; text-overflow: ellipsis;
    }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def compose_dialog(self) -> ComposeResult:
        with Vertical():
            yield Label(
                "Open a capture file (pcap or pcapng, from Wireshark, tcpdump or a lab's "
                "Save pcap) and explain it packet by packet. Enter opens, Esc cancels."
            )
            yield Input(placeholder="path to a .pcap or .pcapng file", id="path")
            yield Label("", id="open-error")

    @on(Input.Submitted, "#path")
    def _submit(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            self.dismiss(None)
            return
        path = Path(text).expanduser()
        if not path.is_file():
            said = "is a directory" if path.is_dir() else "is not there"
            self._say(f"{path.name or text} {said}: give a capture file.")
            return
        try:
            with path.open("rb") as f:
                head = f.read(4)
        except OSError as err:
            self._say(f"{path.name} cannot be read ({err.strerror}).")
            return
        if head not in CAPTURE_MAGICS:
            # Refused here, in the dialog, with the words `tutor explain` uses:
            # not as the banner over three empty panes.
            self._say(f"{path.name} is not a pcap or pcapng capture file.")
            return
        self.dismiss(str(path))

    def _say(self, text: str) -> None:
        """Why the path cannot be opened, in one line (the dialog stays)."""
        self.query_one("#open-error", Label).update(Text(text))

    def action_cancel(self) -> None:
        self.dismiss(None)
