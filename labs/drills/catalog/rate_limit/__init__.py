"""The API answers 429 Too Many Requests with Retry-After once the caller
exceeds its quota (labs/drills/servers/ratelimit.py)."""
