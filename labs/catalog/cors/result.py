"""What a run of the cors lab knows besides the packets: what the page's
script saw for each call (the browser's verdict), what the server received,
and whether a real browser was there at all."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    """One fetch() the page made, and what the script got back."""

    name: str
    method: str
    url: str
    #: The request's Content-Type ("" for none).
    content_type: str
    #: What the script saw: "allowed" (it read the status) or "blocked" (a TypeError).
    verdict: str
    #: The status the script could read (0 when blocked).
    status: int
    #: Why, in one line (the browser's rule that applied).
    why: str


@dataclass(frozen=True)
class Received:
    """One request as the lab's API received it (whatever the browser did next)."""

    method: str
    path: str
    origin: str
    status: int


@dataclass(frozen=True)
class CorsResult:
    cases: tuple[Case, ...]
    received: tuple[Received, ...]
    page_origin: str
    api_port: int
    #: "chromium 1xx ..." when a real browser ran, "" when tutor stood in for one.
    browser: str
    #: The API is the lab's own (scripted policy), not the learner's.
    embedded: bool
