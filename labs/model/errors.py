"""Errors a lab reports to the learner: one line saying what went wrong and
what to do. The CLI prints `str(error)` and exits with `exit_code`."""

from __future__ import annotations


class LabError(Exception):
    """A lab could not do what was asked. Exit code 1 (the lab failed)."""

    exit_code = 1

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


class BadInput(LabError):
    """What the learner gave us is not usable (a malformed URL, an unknown
    lab, a file that is not a capture). Exit code 2."""

    exit_code = 2


class Cancelled(LabError):
    """The learner stopped the lab (Ctrl-C, or Cancel in the TUI)."""

    exit_code = 130

    def __init__(self, message: str = "The lab was stopped before it finished.") -> None:
        super().__init__(message)
