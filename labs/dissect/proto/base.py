"""The pieces every protocol module uses: field rules (scapy field ->
Wireshark name, value formatting, plain explanation), value formatters, and
the two registries (`HEADERS` for scapy layers, `APPS` for what rides on
TCP/UDP). See `labs.dissect.proto` for how a protocol module plugs in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from labs.dissect.proto.planread import generate
from labs.dissect.proto.walk import Layout, Spot, layout
from labs.model.trace import Field, Layer

Explain = str | Callable[[Any, Any], str]


@dataclass(frozen=True, slots=True)
class Rule:
    """How one scapy field reads in Wireshark and for a learner.

    `value(v)` formats the scapy value as Wireshark prints it; `show(v)` is
    the short human reading (defaults to the value); `explain` is a string, or
    a function of (value, scapy layer) so the text can quote this packet.
    """

    label: str
    filter: str | None
    value: Callable[[Any], str] = str
    show: Callable[[Any], str] | None = None
    explain: Explain = ""
    secret: bool = False
    #: The explanation reads other fields of the layer (not only this value),
    #: so the Field cannot be reused for another packet with the same value...
    uses_layer: bool = False
    #: ...unless it reads the layer only through `layer_key(layer)` (the TCP
    #: flags a window's explanation depends on): then it is reused for equal
    #: (value, layer_key(layer)).
    layer_key: Callable[[Any], Any] | None = None
    #: False for values that (almost) never repeat (sequence numbers,
    #: checksums): the Field is made each time, never looked for.
    repeats: bool = True


#: (rule, value, offset, length) -> Field. Most header fields repeat from
#: packet to packet (version, ports, flags, addresses); reusing the frozen
#: Field saves building it, and lets the JSON writer reuse its text.
_MEMO: dict[tuple[int, Any, int, int], Field] = {}
#: Bounded so memory does not grow with a capture: values that never repeat
#: (DNS IDs, client ports) would fill it; the ones that do refill it at once.
#: Small, so a capture fills it early (in a few thousand packets): filled
#: only between 20,000 and 200,000 packets, 20,000 entries (~6 MB) made the
#: peak memory of `tutor explain --json` grow with the capture.
_MEMO_MAX = 1024


def dec(v: Any) -> str:
    return str(int(v))


def hex2(v: Any) -> str:
    return f"0x{int(v):02x}"


def hex4(v: Any) -> str:
    return f"0x{int(v):04x}"


def colons(b: bytes) -> str:
    """Bytes the way Wireshark prints a byte string (02:04:ff:d7)."""
    return b.hex(":")


def text(v: Any) -> str:
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    return str(v)


def make_field(rule: Rule, value: Any, offset: int, length: int, layer: Any = None) -> Field:
    if (rule.uses_layer and rule.layer_key is None) or not rule.repeats:
        return _make_field(rule, value, offset, length, layer)
    try:
        key: tuple[Any, ...] = (id(rule), value, offset, length)
        if rule.layer_key is not None:
            key += (rule.layer_key(layer),)
        hit = _MEMO.get(key)
    except TypeError:  # an unhashable value (a list)
        return _make_field(rule, value, offset, length, layer)
    if hit is None:
        if len(_MEMO) > _MEMO_MAX:
            _MEMO.clear()
        hit = _MEMO[key] = _make_field(rule, value, offset, length, layer)
    return hit


def _make_field(rule: Rule, value: Any, offset: int, length: int, layer: Any) -> Field:
    shown = rule.value(value)
    explain = rule.explain if isinstance(rule.explain, str) else rule.explain(value, layer)
    show = rule.show(value) if rule.show else shown
    return Field(rule.label, rule.filter, shown, show, offset, length, explain, rule.secret)


def plain_field(layer: Any, spot: Spot) -> Field:
    """A field no rule names (no Wireshark filter: a tutor-only reading),
    shown as scapy prints it, but never as a Python repr: bytes in hex,
    nested packets by their size."""
    value = spot.value
    if isinstance(value, bytes | bytearray):
        shown = bytes(value).hex(":")
    elif hasattr(value, "fields_desc") or (
        isinstance(value, list) and value and hasattr(value[0], "fields_desc")
    ):
        shown = f"{spot.length} bytes"
    else:
        try:
            shown = str(layer.get_field(spot.name).i2repr(layer, value))
        except Exception:
            shown = str(value)
        if shown.startswith(("b'", 'b"', "[<", "<")):
            shown = f"{spot.length} bytes"
    return Field(spot.name, None, shown, shown, spot.offset, spot.length)


#: What a header mapper gets and returns: the scapy layer, its first byte in
#: the packet and the packet's bytes; returns the Layer and its header length.
HeaderMapper = Callable[[Any, int, bytes], tuple[Layer, int]]

#: scapy layer class name -> mapper. Filled by the protocol modules.
HEADERS: dict[str, HeaderMapper] = {}


def header(*class_names: str) -> Callable[[HeaderMapper], HeaderMapper]:
    """Register a mapper for scapy layers with these class names."""

    def register(fn: HeaderMapper) -> HeaderMapper:
        for name in class_names:
            HEADERS[name] = fn
        return fn

    return register


_PLANS_MAX = 4096
#: Fields remembered per planned field, then forgotten all at once (the
#: recent ones are what repeats: a connection's ports, the flags, the
#: addresses); sequence numbers and checksums never do. Few, for the same
#: reason as `_MEMO_MAX`: 2,048 a field, kept for good, filled with the
#: ports of short connections only after ~20,000 packets.
_STEP_MEMO_MAX = 256

#: One planned field: scapy name, absolute offset, length, rule, the Fields
#: already made for it by value (None: not reusable), and what else of the
#: layer that key needs (`Rule.layer_key`).
_Step = tuple[str, int, int, Rule | None, dict[Any, Field] | None, Callable[[Any], Any] | None]


#: Uses of a plan before it gets generated code (`labs.dissect.proto.planread`):
#: the layouts of a capture's ordinary headers reach it at once; a damaged
#: header's own layout never does, and costs no compilation.
_GENERATE_AFTER = 16


class Planned:
    """Fields of one kind of header by its `rules`, planned once per layout
    (which rule applies at which offset) because the same layouts recur in
    every packet of a capture. `skip` names fields the caller handles.

    Each planned field remembers the Fields it made by value, so a port or
    an address seen before costs one dict lookup."""

    def __init__(self, rules: dict[str, Rule], skip: tuple[str, ...] = ()):
        self.rules = rules
        self.skip = skip
        #: (id(layout), start) -> [layout, steps, uses, generated code or None]
        self.plans: dict[tuple[int, int], list[Any]] = {}

    def _plan(self, found: Layout, start: int) -> list[Any]:
        if len(self.plans) >= _PLANS_MAX:
            self.plans.clear()  # layouts that are not shared (damaged headers)
        steps: list[_Step] = []
        for n, off, ln in found:
            if n in self.skip:
                continue
            rule = self.rules.get(n)
            keyed = (
                rule is not None
                and rule.repeats
                and (not rule.uses_layer or rule.layer_key is not None)
            )
            memo: dict[Any, Field] | None = {} if keyed else None
            steps.append((n, start + off, ln, rule, memo, rule.layer_key if rule else None))
        plan = self.plans[(id(found), start)] = [found, steps, 0, None]
        return plan

    def __call__(self, layer: Any, start: int, packet: bytes) -> tuple[list[Field], Layout, int]:
        found, length = layout(layer, start, packet)
        plan = self.plans.get((id(found), start))
        if plan is None or plan[0] is not found:
            plan = self._plan(found, start)
        code = plan[3]
        if code is not None:
            try:
                return code(layer, layer.fields.get), found, length
            except (TypeError, ValueError):
                pass  # the loop below takes the slow paths
        else:
            plan[2] += 1
            if plan[2] >= _GENERATE_AFTER:
                plan[3] = generate(plan[1], _one, Field)
        values = layer.fields
        return [_one(step, layer, values.get(step[0])) for step in plan[1]], found, length


def _one(step: _Step, layer: Any, value: Any) -> Field:
    """The Field of one planned field (`Planned`) of `layer`, whose value is `value`."""
    _name, at, ln, rule, memo, layer_key = step
    if memo is not None:
        key = value if layer_key is None else (value, layer_key(layer))
        try:
            hit = memo.get(key)
        except TypeError:  # an unhashable value (a list)
            hit = None
        if hit is not None:
            return hit
    if rule is not None:
        try:
            made = _make_field(rule, value, at, ln, layer)
        except (TypeError, ValueError):
            pass
        else:
            if memo is not None:
                if len(memo) >= _STEP_MEMO_MAX:
                    memo.clear()  # in place: generated code holds this dict
                try:
                    memo[key] = made
                except TypeError:
                    pass
            return made
    return plain_field(layer, Spot(_name, value, at, ln))


def rules_mapper(name: str, rules: dict[str, Rule]) -> HeaderMapper:
    """A header mapper that only applies `rules` (most headers need nothing more)."""
    planned = Planned(rules)

    def mapper(layer: Any, start: int, packet: bytes) -> tuple[Layer, int]:
        fields, _found, length = planned(layer, start, packet)
        return Layer(name, start, length, tuple(fields)), length

    return mapper


def reassembly_fields(parts: int, size: int, first: int) -> list[Field]:
    """Wireshark's "N reassembled TCP segments" of a message read where it
    completes (`tcp.segment.count`, `tcp.reassembled.length`): generated
    fields, at this payload's start with no bytes of their own."""
    return [
        Field(
            "Reassembled TCP segments",
            "tcp.segment.count",
            str(parts),
            f"{parts} reassembled TCP segments",
            first,
            0,
            "TCP is a stream of bytes: this message was cut into several segments "
            "on the way, and is read here, in the segment that completes it.",
        ),
        Field(
            "Reassembled length",
            "tcp.reassembled.length",
            str(size),
            f"{size} bytes",
            first,
            0,
            "The length of the whole message put back together.",
        ),
    ]


def resent_layer(payload: bytes, offset: int) -> Layer:
    """The payload of a retransmitted segment: the same bytes as before."""
    n = len(payload)
    return Layer(
        "TCP payload",
        offset,
        n,
        (
            Field(
                "TCP payload",
                "tcp.payload",
                payload.hex(":"),
                f"{n} bytes",
                offset,
                n,
                "Bytes this conversation already carried in an earlier segment (see the "
                "analysis in the TCP layer); they are read where they first appeared.",
            ),
        ),
    )


@dataclass
class Stream:
    """What a protocol module may remember about one direction of a TCP
    conversation between packets (bytes left in a TLS record, an HTTP body
    still arriving). `state` is free for the module that owns the stream;
    `shared` is the same dict for both directions of the conversation (the
    TLS version the server chose governs the client's records too)."""

    proto: str = ""
    state: dict[str, Any] = field(default_factory=dict)
    shared: dict[str, Any] = field(default_factory=dict)
    #: port -> protocol of a connection a module announced (FTP's data
    #: connection, from a 227/229 reply, or a PORT/EPRT as tshark 4.0 links them); one dict for the
    #: whole capture
    expect: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class App:
    """A protocol that rides on TCP or UDP (DNS, HTTP, TLS, FTP, ...).

    - `ports`: well-known ports that select it without `decode_as`;
    - `detect(payload)`: an optional cheap heuristic (a request line, a TLS
      record header) for other ports;
    - `dissect(payload, offset, stream)`: layers for the payload, which starts
      at `offset` in the packet; `stream` is this direction's Stream;
    - `describe(layers)`: a phrase for the narration ("asks for GET /orders"),
      built from the fields, or "" to let the transport speak;
    - `summarize(layers)`: the packet-list line ("HTTP GET /orders").

    Layers it returns are matched back to it by name: a layer named "HTTP"
    or "HTTP body" belongs to the App named "http".
    """

    name: str
    transport: tuple[str, ...]
    ports: tuple[int, ...]
    dissect: Callable[[bytes, int, Stream], list[Layer]]
    describe: Callable[[tuple[Layer, ...]], str] = lambda layers: ""
    detect: Callable[[bytes], bool] | None = None
    #: a short packet-list line ("HTTP GET /orders"); "" lets the transport speak
    summarize: Callable[[tuple[Layer, ...]], str] = lambda layers: ""
    #: the server answers from a new port (TFTP): the conversation is the
    #: client's endpoint from its first message to a well-known port on, and
    #: one Stream (both directions, any server port) holds its state
    follows_client: bool = False
    #: once found on a UDP conversation (by port or `detect`), the rest of it
    #: is this protocol too (QUIC's short headers cannot be recognised alone)
    sticky: bool = False
    #: it puts TCP bytes in sequence itself (`Stream.state["tcp.seq"]`): it is
    #: handed retransmitted segments too, whose bytes may fill a gap
    reorders: bool = False


def first_field(
    layers: tuple[Layer, ...], names: tuple[str, ...], filter_name: str
) -> Field | None:
    """The first field called `filter_name` in the layers named `names`
    (what a protocol's describe/summarize reads back from its own layers)."""
    for layer in layers:
        if layer.name in names:
            found = layer.field(filter_name)
            if found is not None:
                return found
    return None


#: Application protocol name -> App. Filled by the protocol modules.
APPS: dict[str, App] = {}


def app(proto: App) -> App:
    APPS[proto.name] = proto
    return proto
