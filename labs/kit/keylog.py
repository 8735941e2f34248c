"""Where a TLS lab writes its session keys: the learner's SSLKEYLOGFILE
(appended to, as browsers and curl do), else a temporary file of the lab's
own that the run removes (tshark decrypts the capture with it)."""

from __future__ import annotations

import os
import tempfile
from contextlib import ExitStack, suppress

from labs.capture.leftovers import temp_prefix
from labs.kit.run import signals_held

KEYLOG_ENV = "SSLKEYLOGFILE"


def keylog_file(stack: ExitStack, lab: str) -> tuple[str, bool]:
    """(path, ours): the learner's SSLKEYLOGFILE, else a temporary file we
    remove when `stack` closes (named for `lab`, so a cleanup finds it)."""
    given = os.environ.get(KEYLOG_ENV, "").strip()
    if given:
        return given, False
    with signals_held():  # made and owned at once
        handle, path = tempfile.mkstemp(prefix=temp_prefix(lab), suffix=".keys")
        os.close(handle)
        stack.callback(_remove, path)
    return path, True


def _remove(path: str) -> None:
    with suppress(FileNotFoundError):
        os.remove(path)
