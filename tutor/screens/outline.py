"""The course outline: modules and their lessons with progress marks, and a
pane that describes whatever the cursor is on. The first screen of the app."""

from __future__ import annotations

from rich.console import RenderableType
from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.markup import escape
from textual.widgets import Footer, Header, Static, Tree
from textual.widgets.tree import TreeNode

from tutor.course import Lesson, Module
from tutor.progress import DONE, STARTED, mark
from tutor.screens import drill_outline
from tutor.screens.base import REVIEW, TutorScreen
from tutor.widgets.bullets import with_bullets

Item = Module | Lesson | drill_outline.DrillsEntry


class OutlineTree(Tree[Item]):
    """The course as a tree; enter opens the lesson under the cursor."""

    BINDINGS = [Binding("enter", "select_cursor", "Open")]

    def render_label(self, node: TreeNode[Item], base_style: Style, style: Style) -> Text:
        """The label, ending in "…" where the tree is too narrow for it (the
        tree crops its lines: at 80 columns "splits the wor" read as whole)."""
        label = super().render_label(node, base_style, style)
        depth, parent = 0, node.parent
        while parent is not None and parent is not self.root:
            depth, parent = depth + 1, parent.parent
        room = self.scrollable_content_region.width - depth * self.guide_depth
        if 1 < room < label.cell_len:
            label.truncate(room - 1, overflow="crop")
            label.rstrip()  # "splits the…", not "splits the …"
            label.append("…", style)
        return label


class OutlineScreen(TutorScreen[None]):
    """Modules → lessons. Resumes with the cursor on the last lesson read."""

    SUB_TITLE = "Course"
    BINDINGS = [
        Binding("o", "open_capture", "Open capture", tooltip="Open a capture file"),
        # The app's R, in this footer: the title's "(R)" names it.
        Binding("R", "app.review", "Review", tooltip=REVIEW),
    ]
    #: Whether the screen has been shown once (its first ScreenResume finds
    #: the labels fresh from on_mount: redoing them would delay the first paint).
    _shown = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            # A Text label: a str would go through Rich markup, whose first use
            # imports its emoji table (some 20 ms before the first paint).
            yield OutlineTree(Text("Course"), id="outline")
            with VerticalScroll(id="detail"):
                yield Static(id="detail-body")
        yield Footer()

    def on_mount(self) -> None:
        tree = self.query_one(OutlineTree)
        tree.show_root = False
        tree.guide_depth = 3
        tree.border_title = "Course"
        tree.border_subtitle = "✓ done  ◐ started  ○ new  ✗ unavailable"
        statuses = self.app.store.statuses()  # one read for every mark
        self._lesson_nodes: dict[str, TreeNode[Item]] = {}
        for module in self.app.course.modules:
            node = tree.root.add(
                self._module_label(module, statuses),
                data=module,
                allow_expand=bool(module.lessons),
            )
            for lesson in module.lessons:
                self._lesson_nodes[lesson.path] = node.add_leaf(
                    self._lesson_label(lesson, statuses), data=lesson
                )
        drill_outline.add_to(tree, self.app.store)  # the drills track, after the modules
        self._resume(tree, statuses)
        tree.focus()
        # The count of terms due (the review module and its query) only titles
        # the tree: it comes right after the first paint.
        self.call_after_refresh(self._show_due, tree)

    def _resume(self, tree: OutlineTree, statuses: dict[str, str]) -> None:
        """Open the module of the last lesson read (or the first lesson) and put
        the cursor on that lesson; the other modules stay folded, so the whole
        course fits on one screen."""
        position = self.app.store.position()
        course = self.app.course
        last = course.lesson(position.lesson_id) if position and position.lesson_id else None
        self.resumed = last
        lesson = last or next(iter(course.lessons), None)
        if last is not None and statuses.get(last.id) == DONE:
            # Finished what they read last: the next thing to do is the next lesson.
            after = course.lessons[course.lessons.index(last) + 1 :]
            upcoming = next((x for x in after if x.available and statuses.get(x.id) != DONE), None)
            lesson = upcoming or last
        self.next_up = lesson if lesson is not last else None
        node = self._lesson_nodes.get(lesson.path) if lesson else None
        if lesson is None or node is None or node.parent is None:
            return
        node.parent.expand()
        # Nodes know their line only once the tree has laid itself out.
        self.call_after_refresh(tree.move_cursor, node)
        self._describe(lesson)

    def on_screen_resume(self) -> None:
        """Coming back from a lesson or quick check: marks may have changed.
        (Not when the screen first shows: on_mount has just made them.)"""
        first, self._shown = not self._shown, True
        if first or not hasattr(self, "_lesson_nodes"):
            return
        tree = self.query_one(OutlineTree)
        self._show_due(tree)
        statuses = self.app.store.statuses()
        for module_node in tree.root.children:
            if isinstance(module_node.data, Module):
                module_node.set_label(self._module_label(module_node.data, statuses))
            for node in module_node.children:
                if isinstance(node.data, Lesson):
                    node.set_label(self._lesson_label(node.data, statuses))
        drill_outline.refresh(tree, self.app.store)
        if tree.cursor_node is not None and tree.cursor_node.data is not None:
            self._describe(tree.cursor_node.data)

    def _show_due(self, tree: OutlineTree) -> None:
        """The outline's title says what the review holds: terms due again,
        and new terms (met in a lesson or a lab, never reviewed) to learn."""
        from tutor.review import Review

        waiting = Review(self.app.store).status().title()
        tree.border_title = f"Course · {waiting} (R)" if waiting else "Course"

    def action_open_capture(self) -> None:
        """o: a capture file, by its path, in the lab screen's panes."""
        from tutor.screens.capture import CaptureRequest, OpenCaptureScreen

        def chosen(path: str | None) -> None:
            if path:
                self.app.open_capture(CaptureRequest(path))

        self.app.push_screen(OpenCaptureScreen(), chosen)

    # -- labels ------------------------------------------------------------------

    def _module_label(self, module: Module, statuses: dict[str, str]) -> Text:
        done = sum(statuses.get(x.id) == DONE for x in module.lessons if x.available)
        total = len(module.lessons)
        count = f"  {done}/{total}" if total else "  (coming)"
        return Text.assemble((f"{module.number}  {module.title}", "bold"), (count, "dim"))

    def _lesson_label(self, lesson: Lesson, statuses: dict[str, str]) -> Text:
        status = statuses.get(lesson.id) if lesson.available else None
        symbol = mark(status, lesson.available)
        style = {DONE: "green", STARTED: "yellow"}.get(status or "", "")
        if not lesson.available:
            return Text.assemble((symbol, "red"), " ", (lesson.title, "dim strike"))
        return Text.assemble((symbol, style), " ", lesson.title)

    # -- the detail pane -------------------------------------------------------

    @on(Tree.NodeHighlighted)
    def _highlighted(self, event: Tree.NodeHighlighted[Item]) -> None:
        if event.node.data is not None:
            self._describe(event.node.data)

    @on(Tree.NodeSelected)
    def _selected(self, event: Tree.NodeSelected[Item]) -> None:
        item = event.node.data
        if isinstance(item, drill_outline.DrillsEntry):
            drill_outline.open_list(self.app)
        elif isinstance(item, Lesson):
            if item.available:
                self.app.open_lesson(item)
            else:
                self.app.notify(
                    f"{item.path}: {item.error}",
                    title="This lesson cannot be opened",
                    severity="error",
                )

    def _describe(self, item: Item) -> None:
        if isinstance(item, drill_outline.DrillsEntry):
            self.query_one("#detail-body", Static).update(drill_outline.describe(self.app.store))
            return
        text = (
            describe_module(self, item) if isinstance(item, Module) else describe_lesson(self, item)
        )
        self.query_one("#detail-body", Static).update(text)


def describe_module(screen: OutlineScreen, module: Module) -> str:
    statuses = screen.app.store.statuses()
    done = sum(statuses.get(x.id) == DONE for x in module.lessons)
    lines = [
        f"[b]Module {module.number}: {escape(module.title)}[/b]",
        "",
        escape(module.summary),
        "",
    ]
    if module.lessons:
        lines.append(f"{done} of {len(module.lessons)} lessons done.")
    else:
        lines.append("[dim]No lessons yet.[/dim]")
    return "\n".join(lines)


def describe_lesson(screen: OutlineScreen, lesson: Lesson) -> RenderableType:
    if not lesson.available:
        return "\n".join(
            [
                f"[b]{escape(lesson.title)}[/b]",
                "",
                "[red]This lesson cannot be opened: its file has a problem.[/red]",
                "",
                f"{escape(lesson.path)}",
                f"{escape(lesson.error or '')}",
            ]
        )
    status = screen.app.store.status(lesson.id)
    said = {DONE: "Done.", STARTED: "In progress."}.get(status or "", "Not started.")
    head = [f"[b]{escape(lesson.title)}[/b]", "", f"[dim]{said}[/dim]", ""]
    lines: list[str] = []
    extras = [f"{len(lesson.checks)} quick-check questions"] if lesson.checks else []
    if lesson.lab:
        extras.append(f"a lab ({escape(lesson.lab)})")
    if extras:
        lines += ["Includes " + " and ".join(extras) + ".", ""]
    resumed = getattr(screen, "resumed", None)
    if lesson is getattr(screen, "next_up", None) and resumed is not None:
        lines.append(f"[dim]Next up: you finished “{escape(resumed.title)}”. Press enter.[/dim]")
    elif lesson is resumed:
        lines.append("[dim]You were reading this last time. Press enter to go on.[/dim]")
    else:
        lines.append("[dim]Press enter to read it.[/dim]")
    if not lesson.objectives:
        return "\n".join(head + lines)
    return with_bullets(
        "\n".join([*head, "After this lesson you can:"]), lesson.objectives, "\n".join(["", *lines])
    )
