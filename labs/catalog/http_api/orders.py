"""The orders the embedded API serves, and the rules an order must follow;
kept apart from the HTTP that carries them (`labs.catalog.http_api.server`)."""

from __future__ import annotations

import threading
from typing import Any

SEED_ORDERS: tuple[dict[str, Any], ...] = (
    {"id": 36, "item": "espresso beans", "quantity": 2, "status": "delivered"},
    {"id": 37, "item": "paper filters", "quantity": 5, "status": "delivered"},
    {"id": 38, "item": "milk jug", "quantity": 1, "status": "shipped"},
    {"id": 39, "item": "grinder", "quantity": 1, "status": "shipped"},
    {"id": 40, "item": "tamper", "quantity": 1, "status": "open"},
    {"id": 41, "item": "descaler", "quantity": 3, "status": "open"},
    {"id": 42, "item": "espresso cups", "quantity": 6, "status": "open"},
)
FIELDS = {"item": str, "quantity": int, "status": str}
STATUSES = ("open", "shipped", "delivered", "cancelled")


class Store:
    """The orders and the rate-limit windows, shared by the handler threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.orders = {o["id"]: dict(o) for o in SEED_ORDERS}
        self.next_id = max(self.orders) + 1
        self.report_calls: dict[str, list[float]] = {}
        self.requests = 0


def order_problems(body: dict[str, Any], partial: bool) -> list[str]:
    """What is wrong with an order sent by a client (empty: nothing).
    `partial`: a PATCH, where every field is optional."""
    problems = [
        f"{name} must be a {kind.__name__}"
        for name, kind in FIELDS.items()
        if name in body and not (isinstance(body[name], kind) and not isinstance(body[name], bool))
    ]
    if not partial:
        problems += [f"{name} is required" for name in ("item", "quantity") if name not in body]
    if "status" in body and body["status"] not in STATUSES:
        problems.append(f"status must be one of {', '.join(STATUSES)}")
    if isinstance(body.get("quantity"), int) and body["quantity"] < 1:
        problems.append("quantity must be at least 1")
    return problems


def order_fields(body: dict[str, Any]) -> dict[str, Any]:
    """The fields of an order a client may set, from a checked body."""
    return {k: body[k] for k in FIELDS if k in body}
