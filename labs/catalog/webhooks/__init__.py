"""The webhooks lab: the API calls you back (signed, retried, idempotent)."""
