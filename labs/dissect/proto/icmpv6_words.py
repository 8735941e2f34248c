"""The sentences of two ICMPv6 messages a machine sends on its own as its
link comes up, which a learner meets at the top of many captures and which
their names alone do not explain: an MLDv2 report (RFC 3810), which groups
of multicast traffic it wants, and a router solicitation (RFC 4861 section
4.1), asking the routers to announce themselves. Each is read from the
packet's fields: its records and groups, its addresses and options."""

from __future__ import annotations

import ipaddress

from labs.model.trace import Field, Layer

#: Where MLDv2 reports go (RFC 3810 5.2.14) and router solicitations (RFC 4861 4.1).
_MLD_ROUTERS = "ff02::16"
_ALL_ROUTERS = "ff02::2"
#: Records named at most in a report's sentence.
_LISTED = 5


def sentence(layers: tuple[Layer, ...], fields: dict[str, Field], a: str, b: str) -> str:
    """The sentence of an MLDv2 report (type 143) or a router solicitation
    (type 133) from `a` to `b`; "" for other ICMPv6 messages."""
    kind = fields["icmpv6.type"].value
    if kind == "143":
        return _report(layers, fields, a, b)
    if kind == "133":
        return _solicitation(fields, a, b)
    return ""


def _to(fields: dict[str, Field], b: str, group: str, who: str) -> str:
    dst = fields.get("ipv6.dst")
    return f"to {b}, {who}" if dst is not None and dst.value == group else f"to {b}"


def _report(layers: tuple[Layer, ...], fields: dict[str, Field], a: str, b: str) -> str:
    records = _records(layers)
    src = fields.get("ipv6.src")
    said = [
        _record(kind, sources, group, src.value if src else "") for kind, sources, group in records
    ]
    count = fields.get("icmpv6.mldr.nb_mcast_records")
    n = int(count.value) if count is not None else len(records)
    listed = "; ".join(said[:_LISTED])
    if len(said) > _LISTED:
        listed += f"; and {len(said) - _LISTED} more"
    if said and len(said) < n:
        listed += "; the others are not in the bytes captured"
    out = (
        f"{a} tells the routers on its link which multicast groups (addresses many machines "
        "listen on at once) it wants traffic for: an MLDv2 report (RFC 3810) "
        f"{_to(fields, b, _MLD_ROUTERS, 'where those routers listen')}."
    )
    if n == 0:
        return f"{out} It holds no record: no group changes."
    return f"{out} {n} record{'s' if n != 1 else ''}: {listed or 'not in the bytes captured'}."


def _records(layers: tuple[Layer, ...]) -> list[tuple[int, int, str]]:
    """(record type, number of sources, group) of each record, in order."""
    out: list[tuple[int, int, str]] = []
    kind = sources = 0
    for layer in layers:
        if layer.name != "ICMPv6":
            continue
        for f in layer.fields:
            if f.filter == "icmpv6.mldr.mar.record_type":
                kind = int(f.value)
            elif f.filter == "icmpv6.mldr.mar.nb_sources":
                sources = int(f.value)
            elif f.filter == "icmpv6.mldr.mar.multicast_address":
                out.append((kind, sources, f.value))
    return out


def _record(kind: int, sources: int, group: str, src: str) -> str:
    """One record (RFC 3810 5.2.12) in words: with no sources listed, "change
    to exclude" is joining the group and "change to include" leaving it."""
    of = f"{sources} source{'s' if sources != 1 else ''}"
    named = group + _solicited(group, src)
    if kind == 4:
        return f"it joins {named}" + (f", except from {of}" if sources else "")
    if kind == 3:
        return f"it leaves {named}" if not sources else f"it now takes {named} from {of} only"
    if kind == 2:
        return f"it listens to {named}" + (f", except from {of}" if sources else "")
    if kind == 1:
        return (
            f"it listens to {named} from {of} only" if sources else f"it does not listen to {named}"
        )
    if kind == 5:
        return f"it adds {of} to those it takes {named} from"
    if kind == 6:
        return f"it stops taking {named} from {of}"
    return f"a record of type {kind} about {named}"


def _solicited(group: str, src: str) -> str:
    """What a solicited-node group (ff02::1:ffXX:XXXX, RFC 4291 2.7.1) is for,
    named as the sender's own when its address ends in the group's last 24
    bits; "" for other groups."""
    try:
        g = int(ipaddress.IPv6Address(group))
        mine = int(ipaddress.IPv6Address(src)) if src else -1
    except ValueError:
        return ""
    if g >> 24 != int(ipaddress.IPv6Address("ff02::1:ff00:0")) >> 24:
        return ""
    if mine >= 0 and mine & 0xFFFFFF == g & 0xFFFFFF:
        return (
            ", the solicited-node group of its address, where Neighbor Discovery asks who "
            "has that address"
        )
    return ", a solicited-node group, where Neighbor Discovery asks who has an address"


def _solicitation(fields: dict[str, Field], a: str, b: str) -> str:
    src = fields.get("ipv6.src")
    unnamed = src is not None and src.value == "::"
    out = (
        f"{'A machine' if unnamed else a} asks the routers on its link to announce themselves now, not at their next "
        "regular announcement: a router solicitation (RFC 4861 section 4.1) "
        f"{_to(fields, b, _ALL_ROUTERS, 'where every router on the link listens')}; "
        "each answers with a router advertisement."
    )
    if unnamed:
        out += " It sends from the unspecified address ::, as it has no address yet."
    mine = fields.get("icmpv6.opt.src_linkaddr")
    if mine is not None:
        out += (
            f" It gives its own hardware address, {mine.value} (source link-layer address "
            "option), so the answer needs no asking back."
        )
    return out


__all__ = ["sentence"]
