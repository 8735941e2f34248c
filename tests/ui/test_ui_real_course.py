"""One smoke test on the real course: it loads, the outline shows every
module, and the first lessons of modules 1 and 6 (the starting content)
open and render their body. The content tests check every lesson's data."""

from __future__ import annotations

from textual.widgets import Markdown
from textual.widgets._markdown import MarkdownBlock
from ui_helpers import SIZE

from tutor.app import make_app
from tutor.content import course as installed_course
from tutor.progress import Store
from tutor.screens.lesson import LessonScreen
from tutor.screens.outline import OutlineScreen, OutlineTree


async def test_the_real_course_loads_and_its_lessons_render():
    course = installed_course()
    app = make_app(store=Store.open())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, OutlineScreen)
        tree = app.screen.query_one(OutlineTree)
        # one node per module, then the drills track
        assert len(tree.root.children) == len(course.modules) + 1 >= 10
        for module in (course.modules[0], course.modules[5]):
            lesson = next((x for x in module.lessons if x.available), None)
            if lesson is None:
                continue
            app.open_lesson(lesson)
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, LessonScreen)
            body = screen.query_one("#body", Markdown)
            await pilot.pause()
            assert body.query(MarkdownBlock), f"{lesson.id} rendered nothing"
            await pilot.press("escape")
            await pilot.pause()


async def test_a_wrapped_objective_goes_on_under_its_text_not_under_its_bullet():
    from textual.geometry import Region
    from textual.widgets import Static

    def lines(widget: Static) -> list[str]:
        w, h = widget.size
        return [strip.text.rstrip() for strip in widget.render_lines(Region(0, 0, w, h))]

    app = make_app(store=Store.open())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        # The outline's first lesson: its first objective is wider than the detail pane.
        for shown in (
            lines(app.screen.query_one("#detail-body", Static)),
            await _objectives_of_first_lesson(app, pilot, lines),
        ):
            at = next(i for i, line in enumerate(shown) if "• Name the four layers" in line)
            bullet = shown[at].index("•")
            follow = shown[at + 1]  # what is left of the bullet (a border) stays
            assert follow.startswith(shown[at][:bullet]), shown
            assert follow[bullet : bullet + 2].strip() == "" and follow[bullet + 2 :].strip(), shown


async def _objectives_of_first_lesson(app, pilot, lines):  # type: ignore[no-untyped-def]
    from textual.widgets import Static

    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(app.screen, LessonScreen)
    await pilot.resize_terminal(70, 36)
    await pilot.pause()
    return lines(app.screen.query_one("#objectives", Static))
