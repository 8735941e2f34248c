"""The learner's own database as a target: postgresql://USER[:PASSWORD]@HOST:PORT/DB.

Only this machine is accepted (127.0.0.0/8 or ::1, or "localhost" taken as
127.0.0.1 without asking a resolver): the lab watches a local database, it
does not reach out. The password may be in the URL or in PGPASSWORD (as
libpq reads it); it is never shown: the trace's target masks it.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from labs.kit import BadInput

PASSWORD_ENV = "PGPASSWORD"
HINT = "Give postgresql://USER@127.0.0.1:PORT/DB (a database on this machine)."


@dataclass(frozen=True)
class Target:
    """Where to connect and as whom; `shown` is the URL without the password."""

    user: str
    password: str
    host: str
    port: int
    database: str
    shown: str


def parse_target(text: str) -> Target:
    try:
        url = urlsplit(text.strip())
        port = url.port or 5432
    except ValueError as exc:
        raise BadInput(f"--target {_masked(text)!r}: {exc}.", HINT) from None
    if url.scheme not in ("postgresql", "postgres"):
        raise BadInput(f"--target {_masked(text)!r} is not a postgresql:// URL.", HINT)
    host = url.hostname or ""
    if host == "localhost":
        host = "127.0.0.1"
    try:
        local = ipaddress.ip_address(host).is_loopback
    except ValueError:
        local = False
    if not local:
        raise BadInput(
            f"--target host {host or '(none)'!r}: only a database on this machine is watched "
            "(127.0.0.1 or ::1).",
            HINT,
        )
    user = unquote(url.username or "")
    if not user:
        raise BadInput("--target names no user (postgresql://USER@...).", HINT)
    database = unquote(url.path.lstrip("/")) or user
    where = f"[{host}]" if ":" in host else host
    shown = f"postgresql://{user}{':***' if url.password else ''}@{where}:{port}/{database}"
    return Target(user, unquote(url.password or ""), host, port, database, shown)


def _masked(text: str) -> str:
    """The URL as typed, with any password replaced (it goes into error messages)."""
    head, at, tail = text.rpartition("@")
    if not at or ":" not in head.split("//", 1)[-1]:
        return text
    scheme, _, userinfo = head.rpartition("//")
    user = userinfo.split(":", 1)[0]
    return f"{scheme}//{user}:***@{tail}"
