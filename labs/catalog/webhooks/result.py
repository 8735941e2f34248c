"""What a run of the webhooks lab knows besides the packets: each delivery
attempt as the sender made it (so the signature can be recomputed step by
step), what the lab's own receiver did with each, and the calls that set it
all going."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Attempt:
    """One POST of an event to the receiver (a retry is an attempt of its own)."""

    event: str
    webhook_id: str
    #: 1 for the first try of this event.
    number: int
    #: The webhook-timestamp header (seconds since 1970, as text).
    timestamp: str
    #: The webhook-signature header.
    signature: str
    #: The JSON body exactly as sent (signed byte for byte).
    body: bytes
    #: The receiver's status, or 0 when no answer came in time.
    status: int
    #: Seconds the sender waited before this attempt (its backoff).
    waited: float
    #: "answered", "timed out" or "refused".
    outcome: str
    #: Sent by the lab posing as an attacker, with a made-up signature.
    forged: bool = False


@dataclass(frozen=True)
class Handled:
    """What the lab's own receiver did with one delivery it got."""

    webhook_id: str
    event: str
    #: "valid", or why the signature check failed.
    verdict: str
    #: This id had been seen before, so the event was not processed again.
    duplicate: bool
    status: int


@dataclass(frozen=True)
class Call:
    """One request the lab made to the API (what set the events off)."""

    why: str
    method: str
    path: str
    status: int


@dataclass(frozen=True)
class WebhookResult:
    calls: tuple[Call, ...]
    attempts: tuple[Attempt, ...]
    handled: tuple[Handled, ...]
    secret: str
    #: The learner gave the secret (--secret), so it is theirs to keep.
    secret_given: bool
    receiver_url: str
    api_port: int
    receiver_port: int
    #: The receiver is the lab's own (its answers are scripted to show retries).
    embedded: bool
    #: Seconds the sender waits for an answer before it counts as failed.
    sender_timeout: float
