"""What the lab screen does besides running a lab: its tabs, its layout for
the terminal's size, the filter, maximising a pane, secrets, saving a pcap.
A mixin, so `tutor.screens.lab` keeps to running and showing a trace."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.containers import VerticalScroll
from textual.widgets import DataTable, Input, TabbedContent, TabPane

from tutor.screens.trace_view import meaning_blocks, meaning_widget
from tutor.widgets.diagrams import LadderPane
from tutor.widgets.packet_table import PacketTable
from tutor.widgets.packet_view import PacketView
from tutor.widgets.step_list import StepList

if TYPE_CHECKING:
    from textual.screen import Screen
    from textual.widget import Widget

    from labs.model.trace import Trace

    _Base = Screen[None]
else:
    _Base = object

#: Below this many columns the steps pane narrows and "What happened" comes first, and below TINY it goes
#: (the steps stay in "What it means"); below SHORT rows the chrome folds.
NARROW, TINY, SHORT = 140, 100, 40
#: The steps pane's least width (it takes at most a third of the screen's).
STEPS_MIN = 24


class LabViewMixin(_Base):
    trace: Trace | None
    show_secrets: bool
    #: What a key needing a trace says before there is one.
    NO_TRACE_YET = "Run the lab first (r)."

    # -- fitting the terminal ------------------------------------------------

    def on_resize(self) -> None:
        self.fit()

    def fit(self) -> None:
        """Set the size classes (also at mount, before the first resize, so a
        trace shown at once is laid out for this terminal)."""
        width, height = self.size if self.size.width else self.app.size
        was_narrow = self.is_narrow()
        self.set_class(width < NARROW, "-narrow")
        self.set_class(width < TINY, "-tiny")
        self.set_class(height < SHORT, "-short")
        # The list's columns change with -narrow; within it, the list lays
        # itself out again when its own width changes (PacketTable.on_resize).
        if self.trace is not None and self.is_narrow() != was_narrow:
            self.refill_packets()
        self.fit_steps()

    def fit_steps(self) -> None:
        """The steps pane is as wide as its longest row (`StepList`), but
        leaves the packet list the width it needs and takes at most
        a third of the screen: a longer title ends in "…"."""
        if self.trace is None or not self.trace.packets:
            return
        width = self.size.width or self.app.size.width
        need = self.query_one(PacketTable).least_width(self.trace.packets, self.is_narrow())
        most = min(width - need, width // 3)
        self.query_one(StepList).most = max(STEPS_MIN, most)

    def is_narrow(self) -> bool:
        return self.has_class("-narrow")

    def refill_packets(self) -> None:  # provided by the screen
        raise NotImplementedError

    def collapse_controls(self) -> None:
        """After a run in a short terminal, the packets get the target's rows."""
        if self.has_class("-short"):
            self.add_class("-collapsed")

    def action_controls(self) -> None:
        """Show or hide the target and options (folded after a run when short).
        The focus stays where it is (t goes to the target), so o can hide them
        again instead of being typed into the box."""
        self.toggle_class("-collapsed")
        bar = self.query("#lab-bar, #lab-options")
        if self.has_class("-collapsed") and any(
            self.focused is w or (self.focused and w in self.focused.ancestors) for w in bar
        ):
            self.query_one("#packets").focus()

    def action_maximize_pane(self) -> None:
        """The focused pane fills the screen; z again (or escape) restores it."""
        if self.maximized is not None:
            self.minimize()
            # The pane is small again: bring its cursor (say, after End) back into view.
            focused = self.focused
            if isinstance(focused, DataTable):
                self.call_after_refresh(focused.move_cursor, row=focused.cursor_row)
        elif self.focused is None or not self._maximise(self.focused):
            self.notify("This part cannot be maximised; tab to the packets, tree or bytes.")

    def _maximise(self, focused: Widget) -> bool:
        """Maximise the pane `focused` is in: the ladder with its key (the
        letters alone name no host), else the focused widget itself. Only
        a pane of a tab: the tab strip or a box maximised is a blank screen."""
        if isinstance(focused, Input) or not any(isinstance(a, TabPane) for a in focused.ancestors):
            return False
        box = next((a for a in focused.ancestors if isinstance(a, LadderPane)), focused)
        return self.maximize(box, container=False)

    def action_filter(self) -> None:
        self.show_tab("wire-tab")
        self.query_one("#filter", Input).focus()

    # -- tabs ----------------------------------------------------------------------

    def show_tab(self, tab: str) -> None:
        """Switch tab and move focus into it: Textual returns to the tab that
        holds the focus, so switching without moving focus would not stick."""
        tabs = self.query_one(TabbedContent)
        tabs.active = tab
        inside = {
            "wire-tab": "#packets",
            "meaning-tab": "#meaning-scroll",
            # The waterfall first: at 80x24 it scrolls, and the keys scroll it.
            "timing-tab": "#timing-scroll",
            "predict-tab": "RadioSet",
        }
        found = self.query(inside[tab])
        if found:
            found.first().focus()

    def action_meaning(self) -> None:
        self.show_tab("meaning-tab")

    def action_wire(self) -> None:
        self.show_tab("wire-tab")

    def action_timing(self) -> None:
        self.show_tab("timing-tab")

    def show_meaning(self) -> None:
        """Fill "What it means": Markdown, with code sections as wrapping blocks
        and tables laid out for the pane."""
        if self.trace is None:
            return
        scroll = self.query_one("#meaning-scroll", VerticalScroll)
        scroll.remove_children()
        widgets = [
            meaning_widget(kind, text)
            for kind, text in meaning_blocks(self.trace, self.show_secrets)
        ]
        scroll.mount_all(widgets)

    # -- secrets, pcap, leaving ------------------------------------------------------

    def action_toggle_secrets(self) -> None:
        self.show_secrets = not self.show_secrets
        self.notify("Secrets are shown." if self.show_secrets else "Secrets are masked again.")
        if self.trace is not None:
            self.show_meaning()
            self.refill_packets()
        view = self.query_one(PacketView)
        view.show_secrets = self.show_secrets
        if view.packet is not None:
            view.show(view.packet)

    def action_focus_target(self) -> None:
        if self.query("#target"):
            self.remove_class("-collapsed")
            self.query_one("#target", Input).focus()

    def action_save_pcap(self) -> None:
        if self.trace is None:
            self.notify(self.NO_TRACE_YET, severity="warning")
            return
        from tutor.screens.save_pcap import SavePcapScreen, default_path, save

        trace = self.trace

        def saved(path: str | None) -> None:
            if path:
                message, ok = save(trace, path)
                self.notify(message, severity="information" if ok else "error")

        self.app.push_screen(SavePcapScreen(default_path(trace.lab)), saved)

    # -- conversations and follow stream (keys c, F) ------------------------------

    def action_conversations(self) -> None:
        if self.trace is None:
            self.notify(self.NO_TRACE_YET, severity="warning")
            return
        from labs.api import conversations
        from tutor.screens.streams import StreamsScreen
        from tutor.streamtext import conversations_text

        text = conversations_text(
            conversations(self.trace),
            follow="To follow one, Esc, then F on one of its packets.",
            # The dialog's room (StreamsScreen: 95% of the screen, less its
            # border, padding and a scrollbar), not the terminal's.
            width=max(40, int(self.app.size.width * 0.95) - 6),
        )
        self.app.push_screen(StreamsScreen("Conversations", text))

    def action_follow(self) -> None:
        """Follow the stream of the packet on show (F)."""
        view = self.query_one(PacketView)
        if self.trace is None or view.packet is None:
            self.notify(self.NO_TRACE_YET, severity="warning")
            return
        from labs.api import follow_stream, stream_of
        from labs.model.numbers import numbering_of
        from labs.model.trace import mask_secrets
        from tutor.screens.streams import StreamsScreen
        from tutor.streamtext import follow_text

        spec = stream_of(self.trace, view.packet.index)
        if spec is None:
            self.notify("This packet is in no TCP or UDP stream.", severity="warning")
            return
        # In the learner's words, as `tutor explain --follow N` says it (tshark's
        # own format is for the CLI's --tshark).
        text = follow_text(follow_stream(self.trace, spec)[0], numbering_of(self.trace))
        if not self.show_secrets:
            # The text masked, not the whole trace first: a large capture's is slow to copy.
            text = mask_secrets(text, self.trace.secret_values())
        kind, number = spec.split(":")
        title = f"Follow {kind.upper()} stream {number}: what each side sent"
        # The summary (both ends, what each sent) wraps; the pieces scroll.
        head, _, body = text.partition("\n\n")
        self.app.push_screen(StreamsScreen(title, body, head=head))
