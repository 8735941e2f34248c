"""L2TP version 3 (RFC 3931): the same tunnel as version 2, grown to carry
any layer 2 (Ethernet, PPP, Frame Relay...) as a "pseudowire", on UDP port
1701 or straight on IP (protocol 115). Its control messages are L2TPv2's
(flags, length, AVPs) with a 32-bit control connection ID; a data message
names only its 32-bit session. What a data message carries (its pseudowire
type, a cookie, a sublayer) was agreed in the control messages that set
the session up: without them Wireshark 4.0 shows the payload as plain
data, and so does tutor. Fields as Wireshark names them (l2tp.*).

`dissect` reads either version on UDP (version 2: `labs.dissect.proto.l2tp`)
and version 3 on IP."""

from __future__ import annotations

from labs.dissect.proto import l2tp
from labs.dissect.proto.ppp import Framed, field_at, u16
from labs.model.trace import Field, Layer


def dissect(data: bytes, start: int, end: int, over_ip: bool = False) -> Framed:
    """The L2TP message in data[start:end]: a UDP payload of either
    version, or (`over_ip`) the payload of an IP packet of protocol 115."""
    if not over_ip and u16(data, start) & 0xF == 2:
        return l2tp.dissect(data, start, end)
    fields: list[Field] = []
    at = start
    if over_ip:
        if end - start < 4:
            raise ValueError("short L2TPv3 header")
        session = data[at : at + 4]
        fields.append(_session(session, at, control=not any(session)))
        at += 4
        if any(session):
            return _data(fields, start, at, end)
    if end - at < 4 or u16(data, at) & 0xF != 3:
        raise ValueError("not L2TP version 3")
    flags = u16(data, at)
    control = bool(flags & 0x8000)
    kind = "control message" if control else "data message"
    fields.append(
        field_at("Flags", "l2tp.flags", f"0x{flags:04x}", at, 2, f"An L2TPv3 {kind}.", kind)
    )
    fields += [
        field_at(
            "Type",
            "l2tp.type",
            "1" if control else "0",
            at,
            2,
            "1: a control message (sets up or keeps the tunnel)."
            if control
            else "0: a data message, carrying one frame of a session.",
        ),
        field_at("Length Bit", "l2tp.length_bit", str(flags >> 14 & 1), at, 2),
        field_at("Sequence Bit", "l2tp.seq_bit", str(flags >> 11 & 1), at, 2),
        field_at("Version", "l2tp.version", "3", at, 2, "L2TP version 3 (RFC 3931)."),
    ]
    at += 2
    if not control:  # on UDP only: two reserved bytes, then the session
        fields.append(field_at("Reserved", "l2tp.res", f"0x{u16(data, at):04x}", at, 2))
        fields.append(_session(data[at + 2 : at + 6], at + 2, control=False))
        return _data(fields, start, at + 6, end)
    if flags & 0x4000:
        size = u16(data, at)
        fields.append(l2tp.length_field(size, at, "control message"))
        end = min(end, at - 2 + size) if size >= 12 else end
        at += 2
    ccid = data[at : at + 4]
    fields.append(
        field_at(
            "Control Connection ID",
            "l2tp.ccid",
            f"0x{ccid.hex()}",
            at,
            4,
            "Which control connection (tunnel) this is, by the number the receiving end gave it "
            "(0: none given yet).",
        )
    )
    at += 4
    if flags & 0x0800:
        fields += l2tp.sequence_fields(data, at)
        at += 4
    fields += l2tp.avps(data, at, end)
    return Framed([Layer("L2TPv3", start, end - start, tuple(fields))])


def _session(session: bytes, at: int, control: bool) -> Field:
    return field_at(
        "Session ID",
        "l2tp.sid",
        f"0x{session.hex()}",
        at,
        4,
        "0: a control message follows (L2TPv3 on IP marks them so)."
        if control
        else "Which session (one pseudowire) inside the tunnel this frame belongs to.",
    )


def _data(fields: list[Field], start: int, at: int, end: int) -> Framed:
    """A data message: its header; what it carries stays plain data (the
    session's pseudowire type is only known from its control messages)."""
    return Framed([Layer("L2TPv3", start, at - start, tuple(fields))], at, "")
