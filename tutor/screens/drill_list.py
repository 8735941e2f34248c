"""The drills track: every incident drill with the learner's progress on it
(solved, tried, best time, hints), and which version runs on this machine."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from tutor.screens.base import TutorScreen
from tutor.screens.drill_progress import Tally, here_line, tallies
from tutor.screens.drill_view import clock_text


def progress_words(tally: Tally | None) -> Text:
    if tally is None or not tally.tries:
        return Text("○ not tried yet", style="dim")
    if tally.solved:
        best = clock_text(tally.best_seconds or 0)
        return Text.assemble(
            ("✓ solved", "green"),
            f" · {tally.tries} tr{'ies' if tally.tries != 1 else 'y'} · best {best}"
            f" · hints {tally.best_hints}",
        )
    return Text.assemble(("◐ tried", "yellow"), f" · {tally.tries}× · not solved yet")


class DrillListScreen(TutorScreen[None]):
    """Pick a drill; enter starts it (a fresh variant each time)."""

    SUB_TITLE = "Drills"
    DEFAULT_CSS = """
    DrillListScreen #drills { height: 1fr; border: round $primary 40%; }
    DrillListScreen #drills-help { height: auto; padding: 0 1; }
    DrillListScreen #drills-here { height: auto; padding: 0 1; }
    DrillListScreen #drills-here.warn { background: $warning 25%; text-style: bold; }
    """
    BINDINGS = [Binding("escape", "back", "Back")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(
            "Something is broken: find it from the packets and say who to call. "
            "Enter starts a drill; leaving it stops its network.",
            id="drills-help",
        )
        yield Static(id="drills-here")
        yield OptionList(id="drills")
        yield Footer()

    def on_mount(self) -> None:
        text, simulated = here_line()
        here = self.query_one("#drills-here", Static)
        here.update(Text(text))
        here.set_class(simulated, "warn")
        self.fill()
        self.query_one("#drills", OptionList).focus()

    def on_screen_resume(self) -> None:
        self.fill()  # a drill just answered changes its line

    def fill(self) -> None:
        from labs.api import drill_list

        options = self.query_one("#drills", OptionList)
        keep = options.highlighted
        options.clear_options()
        done = tallies(self.app.store)
        for info in drill_list():
            label = Table.grid(padding=(0, 1))
            label.add_column(ratio=1)
            # By number and symptom: the id names the fault (`tutor drill list` too).
            tally = done.get(info.id)
            solved = tally is not None and tally.solved
            name = (f"{info.number:>2} ", "dim"), (info.title, "bold")
            label.add_row(Text.assemble(*name, (f"  {info.id}" if solved else "", "dim")))
            if solved:
                label.add_row(info.summary)  # what was wrong: shown once found, not before
            label.add_row(progress_words(tally))
            if options.option_count:
                options.add_option(None)  # a rule between drills
            options.add_option(Option(label, id=info.id))
        if options.option_count:
            options.highlighted = min(keep or 0, options.option_count - 1)

    @on(OptionList.OptionSelected, "#drills")
    def _open(self, event: OptionList.OptionSelected) -> None:
        from tutor.screens.drill import DrillScreen

        if event.option_id:
            self.app.push_screen(DrillScreen(event.option_id))

    def action_back(self) -> None:
        self.dismiss(None)
