"""The drills track's entry in the course outline: one line after the
modules with the learner's drill progress, a description for the detail
pane, and opening the list of drills. Nothing here imports the drills
themselves until the entry is highlighted or opened (the outline is the
first screen and must paint fast)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text

if TYPE_CHECKING:
    from textual.widgets import Tree

    from tutor.app import TutorApp
    from tutor.progress import Store


class DrillsEntry:
    """The outline node's data: stands for the whole drills track."""

    title = "Incident drills"


ENTRY = DrillsEntry()


def label(store: Store | None = None) -> Text:
    if store is None:
        return Text.assemble(("⚑  ", "bold"), (ENTRY.title, "bold"))
    from tutor.screens.drill_progress import totals

    solved, tried, _seconds, _hints = totals(store)
    count = f"  {solved} solved · {tried} tried" if tried else "  new"
    return Text.assemble(("⚑  ", "bold"), (ENTRY.title, "bold"), (count, "dim"))


def add_to(tree: Tree[Any], store: Store) -> None:
    """The entry, labelled plainly now and with progress once painted."""
    node = tree.root.add_leaf(label(), data=ENTRY)
    tree.call_after_refresh(lambda: node.set_label(label(store)))


def refresh(tree: Tree[Any], store: Store) -> None:
    for node in tree.root.children:
        if node.data is ENTRY:
            node.set_label(label(store))


def describe(store: Store) -> str:
    from textual.markup import escape

    from labs.api import drill_list
    from tutor.screens.drill_progress import here_line, totals
    from tutor.screens.drill_view import clock_text

    solved, tried, seconds, hints = totals(store)
    count = len(drill_list())
    here, _simulated = here_line()
    lines = [
        f"[b]{ENTRY.title}[/b]",
        "",
        "Something is broken — DNS, a firewall, a certificate, a load balancer? "
        "Probe a real broken network, find the evidence in the packets, and say "
        "which layer, what is wrong and who to call.",
        "",
        f"{solved} of {count} drills solved · {tried} tried · "
        f"{clock_text(seconds)} spent · {hints} hints used.",
        "",
        f"[dim]{escape(here)}[/dim]",
        "",
        "[dim]Press enter for the list of drills.[/dim]",
    ]
    return "\n".join(lines)


def open_list(app: TutorApp) -> None:
    from tutor.screens.drill_list import DrillListScreen

    app.push_screen(DrillListScreen())
