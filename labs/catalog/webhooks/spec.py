"""The webhooks lab as declared: a receiver URL on this machine, and the
signing secret to use with it (see labs.core.spec)."""

from __future__ import annotations

import base64
import binascii

from labs.core.spec import LabSpec, Option, Target
from labs.model.errors import BadInput

PREFIX = "whsec_"


def secret(text: str) -> str:
    """A Standard Webhooks signing secret: "whsec_" and base64 of the key bytes."""
    body = text.removeprefix(PREFIX)
    try:
        key = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if not 16 <= len(key) <= 64:
        raise BadInput(
            "--secret must be whsec_ followed by base64 of 16 to 64 random bytes.",
            "For example: whsec_" + base64.b64encode(bytes(range(24))).decode(),
        )
    return PREFIX + body


SPEC = LabSpec(
    id="webhooks",
    title="Webhooks: the API calls you",
    module=6,
    summary="Roles reversed: the API sends signed events to a receiver (HMAC checked step by "
    "step), retries a 500 with backoff, and the receiver ignores a duplicate by its id.",
    package=__package__ or "",
    target=Target("url", "http://127.0.0.1:PORT/PATH of your webhook receiver"),
    options=(
        Option(
            "secret",
            "--secret",
            "signing secret",
            "text",
            "the signing secret your receiver checks (default: a new one each run)",
            metavar="whsec_...",
            placeholder="signing secret (whsec_...)",
            parse=secret,
        ),
    ),
)
