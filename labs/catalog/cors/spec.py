"""The cors lab as declared: an API on this machine, and whether to use the
browser (see labs.core.spec)."""

from __future__ import annotations

from labs.core.spec import LabSpec, Option, Target

SPEC = LabSpec(
    id="cors",
    title="CORS: why the browser blocks it",
    module=6,
    summary="A page on one origin calls an API on another in headless Chromium: the preflight "
    "OPTIONS and its Access-Control-* answer, a blocked request the server still received.",
    package=__package__ or "",
    target=Target("url", "http://127.0.0.1:PORT/PATH of your API"),
    options=(
        Option(
            "no_browser",
            "--no-browser",
            "without a browser",
            "flag",
            "do not start Chromium: tutor sends the requests a browser would send",
        ),
    ),
)
