"""L2TP version 2 (RFC 2661) on UDP port 1701: a tunnel that carries PPP
frames between two routers across an IP network, as a provider hands a
subscriber's PPP session to another network. Control messages (with the
T bit) set the tunnel up and keep it alive, each made of AVPs (attribute,
value); data messages carry one PPP frame each. Fields as Wireshark names
them (l2tp.*, Wireshark 4.0).

Read by hand, as `labs.dissect.proto.ppp` is: what the PPP frame carries is
handed back to the IP reader (`labs.dissect.layers`). Version 3 is read by
`labs.dissect.proto.l2tp3`, which shares the AVPs read here."""

from __future__ import annotations

from labs.dissect.proto.ppp import Framed, field_at, ppp, u16
from labs.model.trace import Field, Layer

MESSAGE_TYPES = {
    1: "Start_Control_Request",
    2: "Start_Control_Reply",
    3: "Start_Control_Connected",
    4: "Stop_Control_Notification",
    6: "Hello",
    7: "Outgoing_Call_Request",
    8: "Outgoing_Call_Reply",
    9: "Outgoing_Call_Connected",
    10: "Incoming_Call_Request",
    11: "Incoming_Call_Reply",
    12: "Incoming_Call_Connected",
    14: "Call_Disconnect_Notify",
    15: "WAN_Error_Notify",
    16: "Set_Link_Info",
}
_MESSAGE_WORDS = {
    1: "asks to open a tunnel",
    2: "agrees to open the tunnel",
    3: "confirms the tunnel is open",
    4: "closes the tunnel",
    6: "a keepalive: the tunnel is idle but up",
    10: "announces a subscriber's call to carry in the tunnel",
    11: "accepts that call",
    12: "confirms the call is up",
    14: "ends a call",
}


def dissect(data: bytes, start: int, end: int) -> Framed:
    """The L2TP message in data[start:end] (a UDP payload), and for a data
    message the PPP frame inside."""
    flags = u16(data, start)
    if flags & 0xF != 2 or end - start < 6:
        raise ValueError("not L2TP version 2")
    control = bool(flags & 0x8000)
    bits = (
        (
            "Type",
            "l2tp.type",
            0x8000,
            "1: a control message (sets up or keeps the tunnel)."
            if control
            else "0: a data message, carrying one PPP frame.",
        ),
        ("Length bit", "l2tp.length_bit", 0x4000, "1: a length field follows."),
        ("Sequence bit", "l2tp.seq_bit", 0x0800, "1: Ns and Nr (sequence numbers) follow."),
        ("Offset bit", "l2tp.offset_bit", 0x0200, "1: an offset size follows."),
        ("Priority", "l2tp.priority", 0x0100, "1: deliver this data message first."),
    )
    kind = "control message" if control else "data message"
    fields = [
        field_at("Flags", "l2tp.flags", f"0x{flags:04x}", start, 2, f"An L2TP {kind}.", kind),
        *(
            field_at(
                label,
                name,
                "1" if flags & bit else "0",
                start,
                2,
                words if flags & bit or name == "l2tp.type" else "",
            )
            for label, name, bit, words in bits
        ),
        field_at("Version", "l2tp.version", "2", start, 2, "L2TP version 2 (RFC 2661)."),
    ]
    at = start + 2
    if flags & 0x4000:
        size = u16(data, at)
        fields.append(length_field(size, at, "L2TP message"))
        end = min(end, start + size) if size >= 6 else end
        at += 2
    tunnel, session = u16(data, at), u16(data, at + 2)
    fields += [
        field_at(
            "Tunnel ID",
            "l2tp.tunnel",
            str(tunnel),
            at,
            2,
            "Which tunnel this is, by the number the receiving end gave it.",
        ),
        field_at(
            "Session ID",
            "l2tp.session",
            str(session),
            at + 2,
            2,
            "Which call (one subscriber's PPP session) inside the tunnel; 0: the tunnel itself.",
        ),
    ]
    at += 4
    if flags & 0x0800:
        fields += sequence_fields(data, at)
        at += 4
    if flags & 0x0200:
        pad = u16(data, at)
        fields.append(
            field_at(
                "Offset",
                "l2tp.offset",
                str(pad),
                at,
                2,
                f"{pad} bytes of padding before the PPP frame.",
            )
        )
        at += 2 + pad
    if control:
        fields += avps(data, at, end)
        return Framed([Layer("L2TP", start, end - start, tuple(fields))])
    head = Layer("L2TP", start, at - start, tuple(fields))
    if at >= end:
        return Framed([head])
    framed = ppp(data, at, end)
    return Framed([head, *framed.layers], framed.inner_at, framed.kind)


def length_field(size: int, at: int, what: str) -> Field:
    """The Length of an L2TP message (v2) or control message (v3)."""
    return field_at(
        "Length",
        "l2tp.length",
        str(size),
        at,
        2,
        f"The whole {what} is {size} bytes.",
        f"{size} bytes",
    )


def sequence_fields(data: bytes, at: int) -> list[Field]:
    """Ns and Nr, the sequence numbers of a control message (L2TPv2 and v3)."""
    return [
        field_at(
            "Ns",
            "l2tp.Ns",
            str(u16(data, at)),
            at,
            2,
            "This message's sequence number, so the receiver notices a lost one.",
        ),
        field_at(
            "Nr",
            "l2tp.Nr",
            str(u16(data, at + 2)),
            at + 2,
            2,
            "The next sequence number expected from the other end: an acknowledgement.",
        ),
    ]


def avps(data: bytes, at: int, end: int) -> list[Field]:
    """The AVPs of a control message in data[at:end] (both versions), or
    the mark of a message with none (a ZLB: an acknowledgement only)."""
    if at >= end:
        return [
            field_at(
                "Zero Length Body message",
                "l2tp.zero_length_body_message",
                "",
                at,
                0,
                "A control message with no AVPs: it only acknowledges (see Nr).",
            )
        ]
    out: list[Field] = []
    while at + 6 <= end:
        head = u16(data, at)
        size = head & 0x03FF
        if size < 6:
            break
        vendor, kind = u16(data, at + 2), u16(data, at + 4)
        out += [
            field_at(
                "Mandatory",
                "l2tp.avp.mandatory",
                str(head >> 15),
                at,
                2,
                "1: a receiver that does not know this AVP must drop the tunnel or call.",
            ),
            field_at(
                "Hidden",
                "l2tp.avp.hidden",
                str(head >> 14 & 1),
                at,
                2,
                "1: the value is encrypted with the tunnel's shared secret.",
            ),
            field_at("Length", "l2tp.avp.length", str(size), at, 2),
            field_at("Vendor ID", "l2tp.avp.vendor_id", str(vendor), at + 2, 2),
            field_at("AVP Type", "l2tp.avp.type", str(kind), at + 4, 2),
        ]
        if vendor == 0 and kind == 0 and size >= 8:
            msg = u16(data, at + 6)
            name = MESSAGE_TYPES.get(msg, str(msg))
            words = _MESSAGE_WORDS.get(msg)
            out.append(
                field_at(
                    "Message Type",
                    "l2tp.avp.message_type",
                    str(msg),
                    at + 6,
                    2,
                    f"{name}: {words}." if words else name,
                    name,
                )
            )
        at += size
    return out
