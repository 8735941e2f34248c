"""Misspelt names in a display filter: `tcp.prot == 21` selects nothing, where
Wireshark would refuse the unknown field. tutor knows Wireshark's field names
for most protocols it decodes (wireshark_fields.txt): a name of theirs that is
not one of them is refused, with the name it is a keystroke or two from when
there is one (`tcp.flgs.syn`: tcp.flags.syn). A real name is never a typo,
however near another (dhcp.option.ntp_server, nntp_server). Other names are
called a typo only when no packet of the capture has them and they are a
keystroke or two from a name the capture does have, or their protocol is one
keystroke from a protocol tutor decodes (`tpc.port`) and is no real Wireshark
protocol. Anything else is left to the caller's note that no packet has that name."""

from __future__ import annotations

from functools import cache
from importlib import resources

from labs.core.display_filter import DisplayFilter, field_names, unknown_names
from labs.model.trace import Trace

#: The protocols tutor decodes, by their filter names.
PROTOCOLS = frozenset(
    """eth sll arp ip ipv6 icmp icmpv6 tcp udp dns mdns nbns llmnr dhcp dhcpv6 ntp http
    http2 tls ftp ftp-data smtp imap pop telnet tftp ssdp quic websocket l2tp ppp gre""".split()
)
#: Real Wireshark protocols one keystroke from one of PROTOCOLS (from
#: `tshark -G protocols`, Wireshark 4): never taken for a typo.
REAL_NEIGHBOURS = frozenset(
    """9p aarp adp afp amp ans ardp asp ath atp bootp brp carp ccp cdp cip cmp dccp ddp dis
    dop dpp dtls dtp ecmp ecp edp esl etch eti etw fcp fdp fip fmp fmtp fp fpp gquic gtp
    hdcp hip http3 iap icap icep icp idmp idp igap igmp ilp inap ipp ipvs ipx isl ismp kdp
    kip lcp ldp lpp ltp m2tp mcp mdp mip mipv6 mp msdp mstp nbp nbss ncp ndp nntp ns nwp
    pap pcp pnp ppi pptp prp ptp rdp rip rtcp rtls rtp rudp sctp sdp sftp sip sml smp
    smpp spp srp ssh ssl ssp sss sstp stp tcap tds tfp tns tpcp tsp ttp ubdp ucp uds udt
    uftp ulp vpp vtp wcp wtls wtp xip xtp zip""".split()
)


def distance(a: str, b: str) -> int:
    """Edits (insert, delete, change, swap two neighbours) from a to b."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def _near_field(name: str, known: list[str]) -> str | None:
    """The field of the capture `name` is a slip of: same protocol and parent,
    last part one keystroke away (two from seven letters), and not merely
    longer or shorter (tcp.flags.res and tcp.flags.reset are both real) except
    by a plural "s" on a long name (tcp.analysis.reused_port); or the same
    protocol and last part with a slip in between (tcp.flgs.syn)."""
    parent, _dot, last = name.rpartition(".")
    if not parent or len(last) < 3:
        return None
    room = 2 if len(last) >= 7 else 1
    best: tuple[int, str] | None = None
    for other in known:
        o_parent, _dot, o_last = other.rpartition(".")
        if o_parent != parent:
            d = _middle_slip(parent, o_parent) if o_last == last else 9
        elif o_last in (last + "s", last[:-1]) and len(last) >= 7:
            d = 1
        elif o_last.startswith(last) or last.startswith(o_last):
            continue
        else:
            d = distance(last, o_last)
        if d <= room and (best is None or d < best[0]):
            best = (d, other)
    return best[1] if best else None


def _middle_slip(parent: str, other: str) -> int:
    """Edits between two parents of the same protocol that differ past it
    (tcp.flgs and tcp.flags), or 9: udp.port and tcp.port are both real."""
    proto, dot, middle = parent.partition(".")
    o_proto, _dot, o_middle = other.partition(".")
    if not dot or proto != o_proto or len(middle) < 3 or "." in middle or "." in o_middle:
        return 9
    return distance(middle, o_middle) if distance(middle, o_middle) == 1 else 9


def _near_protocol(name: str, present: set[str]) -> str | None:
    """`name` with its protocol spelt right, when that protocol is no real one."""
    proto, dot, rest = name.partition(".")
    if len(proto) < 3 or proto in PROTOCOLS or proto in REAL_NEIGHBOURS or proto in present:
        return None
    for right in [*sorted(present), *sorted(PROTOCOLS - present)]:  # this capture's first
        if distance(proto, right) == 1:
            return right + dot + rest
    return None


def filter_typo(flt: DisplayFilter, trace: Trace) -> tuple[str, str | None] | None:
    """(name, what was likely meant) for the first name of `flt` that no packet
    of `trace` has and that looks misspelt, or (name, None) for a name of a
    protocol tutor decodes that Wireshark does not know at all; else None."""
    missing = unknown_names(flt, trace)
    if not missing:
        return None
    known = [*field_names(trace), "frame.number", "frame.len"]
    present = {n for n in known if "." not in n}
    real, listed = wireshark_names()
    for name in missing:
        if name in real:
            continue  # a real field this capture lacks: no typo, whatever it is near
        meant = _near_field(name, known) or _near_protocol(name, present)
        if meant:
            return name, meant
        if name.partition(".")[0] in listed:
            here = name.partition(".")[0]
            return name, _near_field(name, [n for n in real if n.startswith(here + ".")])
    return None


@cache
def wireshark_names() -> tuple[frozenset[str], frozenset[str]]:
    """The field names Wireshark knows for most protocols tutor decodes, and
    those protocols (wireshark_fields.txt, from tshark 4.0.17): Wireshark
    refuses a filter on any other name of theirs, and so does tutor."""
    with resources.files("labs.core").joinpath("wireshark_fields.txt").open() as f:
        lines = f.read(1 << 20).splitlines()  # the file is 105 KB: bounded all the same
    protocols = next(ln for ln in lines if ln.startswith("# Protocols: ")).split()[2:]
    return frozenset(ln for ln in lines if ln and not ln.startswith("#")), frozenset(protocols)


__all__ = ["PROTOCOLS", "REAL_NEIGHBOURS", "distance", "filter_typo"]
