"""The webhook signature recomputed by hand, step by step, beside the one
the `standardwebhooks` library made for the sender: the same bytes, so the
learner sees there is nothing more to it than one HMAC."""

from __future__ import annotations

import base64
import hashlib
import hmac

from labs.kit import Section

from .result import Attempt


def recompute(secret: str, attempt: Attempt) -> tuple[bytes, bytes, str]:
    """(the key, the signed content, the header value) per Standard Webhooks."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    content = f"{attempt.webhook_id}.{attempt.timestamp}.".encode() + attempt.body
    mac = hmac.new(key, content, hashlib.sha256).digest()
    return key, content, "v1," + base64.b64encode(mac).decode()


def signature_section(attempt: Attempt, secret: str, given: bool) -> Section:
    key, content, value = recompute(secret, attempt)
    mac = base64.b64decode(value[3:])
    same = hmac.compare_digest(value, attempt.signature)
    origin = "the one you gave with --secret" if given else "made by the API when you registered"
    lines = [
        f"The signing secret: {secret} ({origin}; it crossed the wire once, in the answer "
        "to POST /webhooks, and never again).",
        "",
        f"1. The key: the part after whsec_, decoded from base64: {len(key)} bytes.",
        "2. The content signed: webhook-id, a dot, webhook-timestamp, a dot, the body "
        "exactly as sent:",
        f"   {content.decode('utf-8', 'replace')}",
        f"3. HMAC-SHA256(key, content) = {mac.hex()}",
        f"4. In base64, after the version tag: {value}",
        f"5. The webhook-signature header the sender sent: {attempt.signature}",
        f"   The same: {'yes' if same else 'NO'}.",
        "",
        "The receiver does steps 1-4 itself with its copy of the secret and compares in "
        "constant time; it also refuses a webhook-timestamp more than 5 minutes away from "
        "its clock, so a captured event cannot be replayed next week. Because the timestamp "
        "and the id are inside the signed content, neither can be changed either.",
        "",
        "By hand in a shell (the body in body.json, exactly as received):",
        f"  SECRET='{secret}'",
        "  KEY=$(printf %s \"${SECRET#whsec_}\" | base64 -d | od -An -tx1 | tr -d ' \\n')",
        f"  {{ printf %s '{attempt.webhook_id}.{attempt.timestamp}.'; cat body.json; }} |",
        "    openssl dgst -sha256 -mac HMAC -macopt hexkey:$KEY -binary | base64",
    ]
    return Section("The signature, step by step", "\n".join(lines), "code")
