"""The webhooks, oauth and cors labs on the lab screen, as a learner runs
them: the screen's run action, the lab's own servers, the trace's facts."""

from __future__ import annotations

import pytest

from tutor.app import make_app
from tutor.content import load_course
from tutor.progress import Store
from tutor.screens.lab import LabScreen


@pytest.mark.parametrize(
    "lab, fact, value",
    [
        ("webhooks", "paid_attempts", "3"),
        ("oauth", "wrong_verifier_status", "400"),
        ("cors", "blocked_but_received", "yes"),
    ],
)
async def test_runs_on_the_lab_screen(lab, fact, value, reconstructed):
    app = make_app(load_course(), Store.memory())
    async with app.run_test(size=(120, 36)) as pilot:
        screen = LabScreen(lab)
        app.push_screen(screen)
        await pilot.pause()
        screen.action_run()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.trace is not None, lab
        assert screen.trace.fact(fact).value == value
