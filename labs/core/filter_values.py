"""How a display filter compares a field's value with a literal (numbers,
addresses and networks, bytes, strings), as Wireshark 4 does: the half of
`labs.core.display_filter` that knows nothing of packets."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass

_BYTES = re.compile(r"[0-9A-Fa-f]{2}(?:[:.\-][0-9A-Fa-f]{2})+")


@dataclass(frozen=True)
class Value:
    """A literal from the filter, read every way a field might compare to it."""

    text: str
    quoted: bool

    def number(self) -> int | float | None:
        return None if self.quoted else _number(self.text)

    def network(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
        if self.quoted:
            return None
        try:
            return ipaddress.ip_network(self.text, strict=False)
        except ValueError:
            return None

    def raw(self) -> bytes | None:
        if self.quoted:
            return self.text.encode()
        return _field_bytes(self.text)


def _number(text: str) -> int | float | None:
    low = text.lower()
    if low in ("true", "false"):
        return int(low == "true")
    try:
        return int(text, 0)
    except ValueError:
        pass
    try:
        return int(text, 10) if text.isdigit() else float(text)
    except ValueError:
        return None


def _field_bytes(value: str) -> bytes | None:
    if _BYTES.fullmatch(value):
        return bytes.fromhex(re.sub(r"[:.\-]", "", value))
    return None


_ORDER: dict[str, Callable[[int], bool]] = {
    "==": lambda c: c == 0,
    ">": lambda c: c > 0,
    "<": lambda c: c < 0,
    ">=": lambda c: c >= 0,
    "<=": lambda c: c <= 0,
}


def _cmp(a: object, b: object) -> int:
    return (a > b) - (a < b)  # type: ignore[operator]


def compare(value: str, op: str, lit: Value) -> bool:
    """One field value against one literal; `op` is ==, <, >, <=, >=,
    contains or matches (the negations are built from these)."""
    if op == "contains":
        raw = lit.raw()
        data = _field_bytes(value)
        if data is not None and raw is not None:
            return raw in data
        return lit.text in value
    if op == "matches":
        # Wireshark's `matches` is a case-insensitive PCRE search.
        return re.search(lit.text, value, re.IGNORECASE) is not None
    check = _ORDER[op]
    number, mine = lit.number(), _number(value)
    if number is not None and mine is not None:
        return check(_cmp(mine, number))
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        address = None
    if address is not None:
        net = lit.network()
        if net is None or net.version != address.version:
            return False
        if op == "==" and net.num_addresses > 1:
            return address in net
        return check(_cmp(int(address), int(net.network_address)))
    data, raw = _field_bytes(value), lit.raw()
    if data is not None and raw is not None:
        return check(_cmp(data, raw))
    return check(_cmp(value, lit.text))


__all__ = ["Value", "compare"]
