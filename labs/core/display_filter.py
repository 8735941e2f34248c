"""Wireshark display filters over a trace: `dns`, `tcp.flags.syn == 1`,
`http.response.code >= 400`, `ip.addr == 192.0.2.1 && tcp.port == 443`, `!arp`.

The field names are the ones the trace carries (`Field.filter`, Wireshark's
own), so a filter typed here selects the same packets as `tshark -Y` on the
same capture (tests/test_display_filter.py checks it). Covered: protocol and
field tests, == != ~= < <= > >= (and eq ne gt ge lt le), contains, matches,
`in {...}` with ranges, && || ! (and or not), parentheses; values as numbers,
strings, IPv4/IPv6 addresses and CIDR blocks, MAC addresses and bytes.
Anything else (slices, functions, arithmetic) is a one-line `BadInput`.

Written by hand: no maintained Python library parses Wireshark's filter
language (pyshark and the like hand the filter to tshark, which would put a
Wireshark install and a process per keystroke on the lab screen's path).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import NoReturn

from labs.core.filter_values import Value as _Value
from labs.core.filter_values import compare as _compare
from labs.model.errors import BadInput
from labs.model.numbers import ALL_WIRE, Numbering, keep, numbering_of
from labs.model.trace import Packet, Trace

#: Wireshark's fields that stand for either of two real ones ("either end").
ALIASES = {
    "ip.addr": ("ip.src", "ip.dst"),
    "ip.host": ("ip.src", "ip.dst"),
    "ipv6.addr": ("ipv6.src", "ipv6.dst"),
    "ipv6.host": ("ipv6.src", "ipv6.dst"),
    "tcp.port": ("tcp.srcport", "tcp.dstport"),
    "udp.port": ("udp.srcport", "udp.dstport"),
    "eth.addr": ("eth.src", "eth.dst"),
}
#: Protocols whose layer name differs from their filter name.
_LAYER_PROTOCOLS = {"ipv4": "ip", "ethernet": "eth", "linux": "sll"}

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>"(?:[^"\\]|\\.)*")
    | (?P<op>===|!==|==|!=|~=|>=|<=|&&|\|\||[<>!~(){},\[\]])
    | (?P<word>[A-Za-z0-9_.:/\-]+)
    )""",
    re.VERBOSE,
)
_KEYWORD_OPS = {"eq": "==", "ne": "!=", "gt": ">", "lt": "<", "ge": ">=", "le": "<="}
_COMPARE = ("==", "!=", "===", "!==", "~=", ">", "<", ">=", "<=", "contains", "matches")
_FIELD = re.compile(r"[A-Za-z][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*")

#: A packet test: True when the packet matches.
Test = Callable[[Packet], bool]

#: How the trace being filtered numbers its packets (`DisplayFilter.select`):
#: Wireshark's frame.number counts only the frames that crossed the wire.
_NUMBERING: ContextVar[Numbering] = ContextVar("numbering", default=ALL_WIRE)


@dataclass(frozen=True)
class DisplayFilter:
    """A compiled filter: `select(packets)`, and the names it tests (so a
    screen can say which of them this trace never shows)."""

    text: str
    test: Test
    names: tuple[str, ...]

    def select(
        self, packets: Sequence[Packet], numbering: Numbering | None = None
    ) -> tuple[Packet, ...]:
        """The packets of a trace (`packets`, numbered as `numbering`, by
        default as they are) that pass: `frame.number == N` selects the
        packet shown as #N and what was read inside TLS from it (#Na)."""
        token = _NUMBERING.set(Numbering(packets) if numbering is None else numbering)
        try:
            return tuple(p for p in packets if self.test(p))
        finally:
            _NUMBERING.reset(token)


def compile_filter(text: str) -> DisplayFilter:
    """Parse `text`, or raise BadInput saying where it went wrong, in one line."""
    parser = _Parser(text)
    test = parser.parse()
    return DisplayFilter(text.strip(), test, tuple(dict.fromkeys(parser.names)))


def filter_trace(trace: Trace, text: str) -> Trace:
    """The trace with only the packets `text` selects (steps, facts and
    sections are kept: they describe the whole run)."""
    numbering = numbering_of(trace)
    chosen = replace(trace, packets=compile_filter(text).select(trace.packets, numbering))
    keep(chosen, trace)  # still numbered, and its ladder sided, as the whole trace
    return chosen


def field_names(trace: Trace) -> list[str]:
    """Every protocol and field name this trace shows, sorted: what completes."""
    names: set[str] = set()
    for packet in trace.packets:
        for layer in packet.layers:
            for f in layer.fields:
                if f.filter:
                    names.add(f.filter)
                    names.add(f.filter.split(".")[0])
    for alias, (a, _) in ALIASES.items():
        if a in names:
            names.add(alias)
    return sorted(names)


def unknown_names(flt: DisplayFilter, trace: Trace) -> list[str]:
    """The names in `flt` that no packet of `trace` has (a likely typo)."""
    known = set(field_names(trace)) | {"frame", "frame.number", "frame.len"}
    return [n for n in flt.names if n not in known]


def _values(packet: Packet, name: str) -> list[str]:
    if name == "frame.number":
        # A packet read inside TLS is in the frame that carried it, as
        # Wireshark shows decrypted data: that frame's number selects it.
        return [str(_NUMBERING.get().frame(packet.index))]
    if name == "frame.len":
        return [str(len(packet.hex) // 2)]
    wanted = ALIASES.get(name, (name,))
    return [f.value for layer in packet.layers for f in layer.fields if f.filter in wanted]


def _present(packet: Packet, name: str) -> bool:
    if name == "frame" or name.startswith("frame."):
        return True
    wanted = ALIASES.get(name, (name,))
    prefix = name + "."
    for layer in packet.layers:
        first = layer.name.split()[0].lower()
        if "." not in name and _LAYER_PROTOCOLS.get(first, first) == name:
            return True
        for f in layer.fields:
            if f.filter and (f.filter in wanted or f.filter.startswith(prefix)):
                return True
    return False


class _Parser:
    """Recursive descent over Wireshark's precedence: ! binds tighter than
    &&, which binds tighter than ||."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = self._lex(text)
        self.at = 0
        self.names: list[str] = []

    def _lex(self, text: str) -> list[tuple[str, str, int]]:
        tokens: list[tuple[str, str, int]] = []
        pos = 0
        while text[pos:].strip():
            m = _TOKEN.match(text, pos)
            if m is None or m.end() == pos:
                col = len(text) - len(text[pos:].lstrip()) + 1
                self._fail(f"cannot read {text[col - 1 :][:12]!r}", col)
            kind = m.lastgroup or ""
            tokens.append((kind, m.group(kind), m.start(kind) + 1))
            pos = m.end()
        return tokens

    def _fail(self, what: str, column: int | None = None) -> NoReturn:
        where = f" at column {column}" if column else ""
        raise BadInput(
            f"filter {self.text.strip()!r}: {what}{where}.",
            "Use Wireshark's syntax, e.g. dns, tcp.flags.syn == 1, "
            "ip.addr == 192.0.2.1 && tcp.port == 443, !arp.",
        )

    def _peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def _word(self) -> str | None:
        tok = self._peek()
        word = tok[1].lower() if tok else None
        return "matches" if word == "~" else _KEYWORD_OPS.get(word or "", word)

    def parse(self) -> Test:
        if not self.tokens:
            self._fail("it is empty")
        test = self._or()
        tok = self._peek()
        if tok is not None:
            self._fail(f"unexpected {tok[1]!r}", tok[2])
        return test

    def _or(self) -> Test:
        parts = [self._and()]
        while self._word() in ("||", "or"):
            self.at += 1
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else _any_of(parts)

    def _and(self) -> Test:
        parts = [self._not()]
        while self._word() in ("&&", "and"):
            self.at += 1
            parts.append(self._not())
        return parts[0] if len(parts) == 1 else _all_of(parts)

    def _not(self) -> Test:
        if self._word() in ("!", "not"):
            self.at += 1
            inner = self._not()
            return lambda p: not inner(p)
        return self._primary()

    def _primary(self) -> Test:
        tok = self._peek()
        if tok is None:
            self._fail("it ends where a field or protocol name should be")
        if tok[1] == "(":
            self.at += 1
            inner = self._or()
            close = self._peek()
            if close is None or close[1] != ")":
                self._fail("a '(' is never closed", tok[2])
            self.at += 1
            return inner
        kind, name, col = tok
        if kind != "word" or not _FIELD.fullmatch(name):
            self._fail(f"expected a field or protocol name, not {name!r}", col)
        self.at += 1
        self.names.append(name)
        nxt = self._peek()
        if nxt is not None and nxt[1] in ("[", "("):
            self._fail("slices and functions are not supported here", nxt[2])
        op = self._word()
        if op == "in":
            self.at += 1
            return self._member(name)
        if op not in _COMPARE:
            return lambda p: _present(p, name)
        self.at += 1
        lit = self._literal(op or "")
        return _comparison(name, op or "", lit)

    def _literal(self, op: str) -> _Value:
        tok = self._peek()
        if tok is None or tok[0] == "op":
            col = tok[2] if tok else len(self.text) + 1
            self._fail(f"expected a value after {op!r}", col)
        self.at += 1
        kind, text, _ = tok
        if kind == "string":
            return _Value(_unquote(text), True)
        return _Value(text, False)

    def _member(self, name: str) -> Test:
        tok = self._peek()
        if tok is None or tok[1] != "{":
            self._fail("expected '{' after 'in'", tok[2] if tok else None)
        self.at += 1
        tests: list[Test] = []
        while True:
            nxt = self._peek()
            if nxt is None:
                self._fail("a '{' is never closed", tok[2])
            if nxt[1] == "}":
                self.at += 1
                break
            if nxt[1] == ",":
                self.at += 1
                continue
            lit = self._literal("{")
            low, dots, high = lit.text.partition("..")
            if dots and not lit.quoted:
                tests.append(_between(name, _Value(low, False), _Value(high, False)))
            else:
                tests.append(_comparison(name, "==", lit))
        if not tests:
            self._fail("an empty set '{}' matches nothing", tok[2])
        return _any_of(tests)


def _unquote(text: str) -> str:
    def one(m: re.Match[str]) -> str:
        return chr(int(m.group(1)[1:], 16)) if m.group(1)[0] == "x" else m.group(1)

    return re.sub(r"\\(x[0-9A-Fa-f]{2}|.)", one, text[1:-1])


def _any_of(tests: list[Test]) -> Test:
    return lambda p: any(t(p) for t in tests)


def _all_of(tests: list[Test]) -> Test:
    return lambda p: all(t(p) for t in tests)


def _between(name: str, low: _Value, high: _Value) -> Test:
    return lambda p: any(
        _compare(v, ">=", low) and _compare(v, "<=", high) for v in _values(p, name)
    )


def _comparison(name: str, op: str, lit: _Value) -> Test:
    # Wireshark 4: a comparison with an absent field is false, whatever the
    # operator; `a != b` holds when no occurrence equals b, `a ~= b` when some
    # occurrence differs, `a === b` when all equal; the rest hold for any occurrence.
    if op in ("!=", "!=="):
        return lambda p: (
            bool(vs := _values(p, name)) and not any(_compare(v, "==", lit) for v in vs)
        )
    if op == "~=":
        return lambda p: any(not _compare(v, "==", lit) for v in _values(p, name))
    if op == "===":
        return lambda p: bool(vs := _values(p, name)) and all(_compare(v, "==", lit) for v in vs)
    return lambda p: any(_compare(v, op, lit) for v in _values(p, name))


__all__ = [
    "ALIASES",
    "DisplayFilter",
    "compile_filter",
    "field_names",
    "filter_trace",
    "unknown_names",
]
