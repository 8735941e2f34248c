"""A capture's trace JSON written as one process writes it and as two do,
and the children this test process has: for the tests of
labs.files.parallel and labs.files.firstpass."""

from __future__ import annotations

import io
import os
from pathlib import Path

from labs.files.explain import explain_file, write_explain_json
from labs.files.tracejson import write_json


def children() -> set[str]:
    return set(Path(f"/proc/self/task/{os.getpid()}/children").read_text().split())


def serial(path: Path, **kw: object) -> str:
    out = io.StringIO()
    write_json(explain_file(path, **kw), out)  # type: ignore[arg-type]
    return out.getvalue()


def parallel(path: Path, **kw: object) -> str:
    out = io.StringIO()
    write_explain_json(path, out, parallel_from=1, **kw)  # type: ignore[arg-type]
    return out.getvalue()
