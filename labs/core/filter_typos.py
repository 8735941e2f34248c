"""Misspelt names in a display filter: `tcp.prot == 21` selects nothing, where
Wireshark would refuse the unknown field. tutor does not know every Wireshark
field, so it only calls a name a typo when no packet of the capture has it and
it is one or two keystrokes from a name the capture does have (`tcp.port`), or
its protocol is one keystroke from a protocol tutor decodes (`tpc.port`) and
is no real Wireshark protocol. Anything else is left to the caller's note that
no packet has that name."""

from __future__ import annotations

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
    longer or shorter (tcp.flags.res and tcp.flags.reset are both real)."""
    parent, _dot, last = name.rpartition(".")
    if not parent or len(last) < 3:
        return None
    room = 2 if len(last) >= 7 else 1
    best: tuple[int, str] | None = None
    for other in known:
        o_parent, _dot, o_last = other.rpartition(".")
        if o_parent != parent or o_last.startswith(last) or last.startswith(o_last):
            continue
        d = distance(last, o_last)
        if d <= room and (best is None or d < best[0]):
            best = (d, other)
    return best[1] if best else None


def _near_protocol(name: str, present: set[str]) -> str | None:
    """`name` with its protocol spelt right, when that protocol is no real one."""
    proto, dot, rest = name.partition(".")
    if len(proto) < 3 or proto in PROTOCOLS or proto in REAL_NEIGHBOURS or proto in present:
        return None
    for right in [*sorted(present), *sorted(PROTOCOLS - present)]:  # this capture's first
        if distance(proto, right) == 1:
            return right + dot + rest
    return None


def filter_typo(flt: DisplayFilter, trace: Trace) -> tuple[str, str] | None:
    """(name, what was likely meant) for the first name of `flt` that no packet
    of `trace` has and that looks misspelt, or None."""
    missing = unknown_names(flt, trace)
    if not missing:
        return None
    known = [*field_names(trace), "frame.number", "frame.len"]
    present = {n for n in known if "." not in n}
    for name in missing:
        meant = _near_field(name, known) or _near_protocol(name, present)
        if meant:
            return name, meant
    return None


__all__ = ["PROTOCOLS", "REAL_NEIGHBOURS", "distance", "filter_typo"]
