"""The trace: what a lab saw on the wire, as plain frozen data.

Labs produce a `Trace`; the CLI and the TUI only render it. Nothing here knows
about scapy or Textual, so a trace can cross into the UI, be written as the
JSON of trace format (`to_json`, docs/trace-format.md) and be read back (`from_json`).

Byte positions (`offset`, `length`) always count within the packet's `hex`,
whose first byte is given by the trace's `link` (``raw-ip``: the IP header;
``ethernet``: the Ethernet header; ``linux-sll``/``linux-sll2``: Linux cooked v1/v2).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from typing import Any, Protocol, get_args, get_origin

from labs.model.frozen import quick_init, type_hints

#: How the packets of a trace were obtained.
#: live: captured from a network interface;
#: reconstructed: payload bytes recorded at the socket, headers rebuilt by us;
#: simulated: computed from a model of the network, nothing was sent;
#: file: read from a capture file the learner gave (`tutor explain`).
CAPTURE_KINDS = ("live", "reconstructed", "simulated", "file")

#: Where a packet's bytes came from.
#: wire: on the wire (captured, or reconstructed from socket bytes);
#: inside-tls: plaintext as the client saw it inside an encrypted tunnel, never
#: visible on the wire (such packets are never written to a pcap).
ORIGINS = ("wire", "inside-tls")

TRACE_VERSION = 1

#: What renderers show instead of a secret (a credential, cookie or API key).
MASK = "••••"


@dataclass(frozen=True)
class Field:
    """One protocol field, with the bytes it occupies, so the UI can highlight them.

    `filter` is the Wireshark display-filter name (``tcp.flags``) or None when
    Wireshark has none; `value` is the value as Wireshark prints it; `show` is
    the short human reading ("SYN"). `secret` marks credentials that renderers
    mask unless the learner asks to see them.
    """

    name: str
    filter: str | None
    value: str
    show: str
    offset: int
    length: int
    explain: str = ""
    secret: bool = False


@dataclass(frozen=True)
class Layer:
    """A protocol layer inside a packet (Ethernet, IP, TCP, HTTP, ...)."""

    name: str
    offset: int
    length: int
    fields: tuple[Field, ...] = ()

    def field(self, name: str) -> Field | None:
        """This layer's first field with the Wireshark filter name `name`."""
        return next((f for f in self.fields if f.filter == name), None)


@dataclass(frozen=True)
class Packet:
    """One packet as seen at one point, with its bytes, layers and a plain sentence."""

    index: int
    time: float
    src: str
    dst: str
    summary: str
    hex: str
    explain: str
    layers: tuple[Layer, ...] = ()
    origin: str = "wire"
    #: A short name for the conversation the packet belongs to ("control", "data 1").
    conversation: str = ""
    #: Where it was captured when a lab captures at several points ("LAN side").
    interface: str = ""

    @property
    def data(self) -> bytes:
        return bytes.fromhex(self.hex)

    # Labs read dissected packets through these (one parser: never the bytes again).
    # Linear scans: a few dozen fields cost less than an index for every packet.

    def layer(self, name: str) -> Layer | None:
        """The first layer called `name` ("TCP", "DNS"; a header quoted inside
        an ICMP error is "TCP (quoted)", so never mistaken for the packet's own)."""
        return next((layer for layer in self.layers if layer.name == name), None)

    def field(self, name: str) -> Field | None:
        """The first field with the Wireshark filter name `name` (``tcp.flags``)."""
        return next((f for layer in self.layers for f in layer.fields if f.filter == name), None)

    def fields(self, name: str) -> tuple[Field, ...]:
        """Every field with the filter name `name`, in packet order (each ``dns.resp.ttl``)."""
        return tuple(f for layer in self.layers for f in layer.fields if f.filter == name)

    def number(self, name: str) -> int | None:
        """The first `name` field's value as a number ("300", "0x8180"), or None
        when there is no such field or its value is not a number."""
        f = self.field(name)
        try:
            return int(f.value, 0) if f is not None else None
        except ValueError:
            return None


quick_init(Field, Layer, Packet)  # made by the hundred thousand in `tutor explain`


class Timed(Protocol):
    """Anything with a packet index and a capture time (a Packet, a light view of one)."""

    @property
    def index(self) -> int: ...

    @property
    def time(self) -> float: ...


@dataclass(frozen=True)
class Step:
    """A phase of the exchange (dns, tcp-connect, tls, request, response, close, ...)."""

    name: str
    packets: tuple[int, ...]
    explain: str
    title: str = ""
    #: Seconds from the first packet of the trace to the first packet of the step.
    start: float = 0.0
    #: Seconds from the step's first packet to its last.
    duration: float = 0.0

    @classmethod
    def over(
        cls, name: str, members: Sequence[Timed], explain: str, title: str = "", t0: float = 0.0
    ) -> Step:
        """The step made of `members` (packets, in time order), timed from `t0`,
        the time of the trace's first packet: the one way steps are timed."""
        return cls(
            name=name,
            packets=tuple(m.index for m in members),
            explain=explain,
            title=title,
            start=round(members[0].time - t0, 6) if members else 0.0,
            duration=round(members[-1].time - members[0].time, 6) if members else 0.0,
        )


@dataclass(frozen=True)
class Section:
    """Lab-specific explanation that is not one packet: an HTTP exchange read
    for a learner, the equivalent curl command, a routing table, "visible vs
    hidden". `kind` tells renderers how to lay out `body`: text | code | table
    (tab-separated rows, the first row a header)."""

    title: str
    body: str
    kind: str = "text"


@dataclass(frozen=True)
class Phase:
    """One bar of the timing waterfall (`labs.model.waterfall`): a phase of one
    exchange (dns, connect, tls, request, wait, download, answer), timed from
    packet timestamps, so a renderer draws bars without reading packets."""

    #: Which exchange (0, 1, ...: in the order they started).
    exchange: int
    #: What the exchange was, in a few words ("GET /orders", "DNS A api.example").
    label: str
    name: str
    #: Seconds from the trace's first packet.
    start: float
    end: float
    packets: tuple[int, ...] = ()


@dataclass(frozen=True)
class Fact:
    """Something the trace proves, with evidence, for predict-then-observe questions: a learner
    reads `label` and `value` with its `unit` ("65495 bytes"); `name` is the key to look it up."""

    name: str
    value: str
    explain: str
    packets: tuple[int, ...] = ()
    filter: str | None = None
    label: str = ""
    unit: str = ""

    def reads(self) -> tuple[str, str]:
        """(what it is, its value with its unit); predictions compare `value` alone."""
        return self.label or self.name.replace("_", " "), f"{self.value} {self.unit}".strip()


@dataclass(frozen=True)
class Trace:
    """Everything one run of a lab (or one capture file) showed."""

    lab: str
    target: str
    capture: str
    steps: tuple[Step, ...]
    packets: tuple[Packet, ...]
    #: One plain sentence saying how the packets were obtained and what that means.
    capture_note: str = ""
    link: str = "raw-ip"
    sections: tuple[Section, ...] = ()
    facts: tuple[Fact, ...] = ()
    #: ISO 8601 time the lab started.
    started: str = ""
    duration: float = 0.0
    version: int = TRACE_VERSION
    #: The timing waterfall: every exchange's phases from packet timestamps
    #: (`labs.model.waterfall`), and which clock stamped them, where.
    waterfall: tuple[Phase, ...] = ()
    clock: str = ""
    #: TLS session keys (NSS key log format) a pcap's reader needs to decrypt
    #: it; written beside a saved pcap, never part of the JSON (it is a secret).
    keylog: str = field(default="", repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.capture not in CAPTURE_KINDS:
            raise ValueError(f"capture must be one of {CAPTURE_KINDS}, not {self.capture!r}")

    def fact(self, name: str) -> Fact | None:
        return next((f for f in self.facts if f.name == name), None)

    def wire_packets(self) -> tuple[Packet, ...]:
        return tuple(p for p in self.packets if p.origin == "wire")

    def secret_values(self) -> list[str]:
        """Every secret field's value and reading, longest first, so renderers
        can mask them wherever text quotes them (a header line, a curl
        command, a sentence)."""
        values = {part for p in self.packets for part in packet_secrets(p)}
        return sorted(values, key=len, reverse=True)


#: Header fields whose value is "scheme credentials" (RFC 9110 section 11.4):
#: the scheme word (Bearer, Basic) is no secret and stays visible.
_SCHEMED = {"authorization", "proxy-authorization"}
_SCHEME = re.compile(r"([!#$%&'*+.^_`|~0-9A-Za-z-]+)( +)(\S.*)", re.DOTALL)


def packet_secrets(p: Packet) -> set[str]:
    """The secret parts of `p`'s secret fields, each of 3 characters or more
    (shorter ones would mask ordinary text)."""
    fields = [f for layer in p.layers for f in layer.fields if f.secret]
    texts = [(f.name, text) for f in fields for text in (f.value, f.show)]
    return {part for name, text in texts for part in secret_parts(name, text) if len(part) >= 3}


def secret_parts(name: str, value: str) -> list[str]:
    """The parts of a secret field's value that are the secret itself: the
    credentials after an Authorization scheme word ("Bearer abc" -> "abc"),
    the value of each cookie (never its name, nor Set-Cookie's attributes
    such as Path), otherwise the whole value."""
    key = name.strip().lower()
    if key in _SCHEMED:
        match = _SCHEME.fullmatch(value)
        return [match.group(3)] if match else [value] if value else []
    if key in ("cookie", "set-cookie"):
        pairs = value.split(";")
        if key == "set-cookie":
            pairs = pairs[:1]
        found = [pair.partition("=")[2].strip() for pair in pairs if "=" in pair]
        return [v for v in found if v] if found else [value] if value else []
    return [value] if value else []


def mask_value(name: str, value: str, mask: str = MASK) -> str:
    """A secret field's value with only its secret parts masked:
    `Bearer ••••`, `Basic ••••`, `session=••••; theme=••••`."""
    parts = secret_parts(name, value)
    if not parts or parts == [value]:
        return mask
    return mask_secrets(value, sorted(parts, key=len, reverse=True), mask)


def mask_secrets(text: str, secrets: list[str], mask: str = MASK) -> str:
    """`text` with every value of `secrets` (from `Trace.secret_values`) masked."""
    for value in secrets:
        text = text.replace(value, mask)
    return text


def masked(trace: Trace, mask: str = MASK) -> Trace:
    """The trace with its secrets masked, for output a learner did not ask to
    reveal (`--json` without `--show-secrets`): every secret field's value
    and reading become `mask`, every text that quotes one (a header line, the
    curl command, a sentence) has it masked, and in each packet's bytes the
    secret's bytes become `*` -- the same length, so every field's offset
    still points at its bytes. The stored traces stay unmasked."""
    secrets = trace.secret_values()
    if not secrets:
        return trace
    raw = sorted({v.encode("utf-8", "replace") for v in secrets}, key=len, reverse=True)

    def text(value: str) -> str:
        return mask_secrets(value, secrets, mask)

    def walk(obj: Any) -> Any:
        if isinstance(obj, Field) and obj.secret:
            return replace(
                obj,
                value=mask_value(obj.name, obj.value, mask),
                show=mask_value(obj.name, obj.show, mask),
                explain=text(obj.explain),
            )
        if isinstance(obj, Packet):
            data = obj.data
            for value in raw:
                data = data.replace(value, b"*" * len(value))
            changes = {f.name: walk(getattr(obj, f.name)) for f in fields(obj) if f.name != "hex"}
            return replace(obj, hex=data.hex(), **changes)
        if is_dataclass(obj) and not isinstance(obj, type):
            return replace(obj, **{f.name: walk(getattr(obj, f.name)) for f in fields(obj)})
        if isinstance(obj, tuple):
            return tuple(walk(v) for v in obj)
        if isinstance(obj, str):
            return text(obj)
        return obj

    result: Trace = walk(trace)
    return replace(result, keylog="")


def to_json(trace: Trace) -> dict[str, Any]:
    """The trace as JSON-ready dicts and lists (docs/trace-format.md)."""
    data = asdict(trace)
    del data["keylog"]
    return data


def dumps(trace: Trace, indent: int | None = 2) -> str:
    return json.dumps(to_json(trace), indent=indent, ensure_ascii=False)


def _build(cls: type, d: Any) -> Any:
    h = type_hints(cls)
    return cls(**{f.name: _convert(h[f.name], d[f.name]) for f in fields(cls) if f.name in d})


def _convert(tp: Any, value: Any) -> Any:
    if get_origin(tp) is tuple:
        (inner, _ellipsis) = get_args(tp)
        return tuple(_convert(inner, v) for v in value)
    if isinstance(tp, type) and is_dataclass(tp):
        return _build(tp, value)
    return value


def from_json(data: dict[str, Any]) -> Trace:
    """Read back what `to_json` wrote (unknown keys are ignored)."""
    return _build(Trace, data)


def loads(text: str) -> Trace:
    return from_json(json.loads(text))


__all__ = [
    "CAPTURE_KINDS",
    "MASK",
    "ORIGINS",
    "Fact",
    "Field",
    "Layer",
    "Packet",
    "Phase",
    "Section",
    "Step",
    "Trace",
    "dumps",
    "packet_secrets",
    "from_json",
    "loads",
    "mask_secrets",
    "mask_value",
    "masked",
    "secret_parts",
    "to_json",
]
