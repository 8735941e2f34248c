"""The ftp lab as declared: its target and options (see labs.core.spec)."""

from __future__ import annotations

from labs.core.spec import LabSpec, Option, Target

SPEC = LabSpec(
    id="ftp",
    title="Fetch a file over FTP",
    module=8,
    summary="Log in, list a folder and download a file, all readable by anyone on the path; "
    "commands and files travel on separate connections (USER, PASS, LIST, RETR).",
    package=__package__ or "",
    target=Target("url", "ftp://[user@]HOST[:PORT][/PATH]"),
    options=(
        Option(
            "mode",
            "--mode",
            "mode",
            "choice",
            "who opens the data connections: passive (the client) or active (the server)",
            choices=("passive", "active"),
            default="passive",
            metavar="M",
        ),
    ),
)
