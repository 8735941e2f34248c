"""Wi-Fi (IEEE 802.11) as a capture in monitor mode shows it: the radiotap
header the capturing card adds (channel, signal strength, rate), the 802.11
MAC header (frame type, up to four addresses, sequence number), management
frames (beacons that announce a network, probe requests that look for one,
authentication) with their tagged parameters (SSID, rates, channel), and
the LLC/SNAP header before the IP packet of a data frame. Fields as
Wireshark names them (radiotap.*, wlan.*, llc.*, Wireshark 4.0).

Read from the bytes by hand (scapy finds the layers): scapy's field names
and byte orders differ from Wireshark's (radiotap is little-endian, the
802.11 addresses change meaning with the frame's to-DS/from-DS bits)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from labs.dissect.proto.base import HeaderMapper, header
from labs.dissect.proto.walk import layout
from labs.model.trace import Field, Layer

TYPES = {0: "Management", 1: "Control", 2: "Data", 3: "Extension"}
SUBTYPES = {
    (0, 0): "Association Request", (0, 1): "Association Response", (0, 4): "Probe Request",
    (0, 5): "Probe Response", (0, 8): "Beacon frame", (0, 10): "Disassociate", (0, 11): "Authentication",
    (0, 12): "Deauthentication", (1, 11): "Request-to-send", (1, 12): "Clear-to-send", (1, 13): "Acknowledgement",
    (2, 0): "Data", (2, 4): "Null function (No data)", (2, 8): "QoS Data", (2, 12): "QoS Null function (No data)",
}  # fmt: skip
SAYS = {
    (0, 8): "an access point announces its network (about ten times a second)",
    (0, 4): "a device looks for networks (or for one network by name)",
    (0, 5): "an access point answers a device's probe with its network's details",
    (0, 11): "a device and an access point start joining (authentication)",
    (0, 0): "a device asks to join the network",
    (0, 1): "the access point lets the device join",
    (0, 12): "one side ends the connection (deauthentication)",
    (
        1,
        13,
    ): "the receiver confirms the previous frame arrived (radio frames are acknowledged one by one)",
    (2, 8): "data: a packet travelling over the radio",
    (2, 0): "data: a packet travelling over the radio",
}


def told(fields: Mapping[str, Field], a: str, b: str) -> tuple[str, str]:
    """A frame's summary and sentence from its fields (`a`, `b`: its addresses)."""
    kind, ssid = fields["wlan.fc.type_subtype"], fields.get("wlan.ssid")
    named = ""
    if ssid and ssid.length:
        asks = kind.value == "0x0004"  # a probe request names the network it looks for
        named = f' It asks for the network "{ssid.show}".' if asks else ""
        named = named or f' The network\'s name (SSID) is "{ssid.show}".'
    # A control frame (an acknowledgement, clear-to-send) names only its receiver.
    who = f"{a} → {b}" if a else f"To {b}"
    alone = " Frames like this carry only the receiver's address." if not a else ""
    return (
        f"802.11 {kind.show}" + (f', SSID="{ssid.show}"' if ssid is not None else ""),
        f"{who}: {kind.explain}{named}{alone} A Wi-Fi frame seen over the air "
        "(a card in monitor mode), before any IP packet.",
    )


def _f(
    label: str, name: str | None, value: str, at: int, n: int, explain: str = "", show: str = ""
) -> Field:
    return Field(label, name, value, show or value, at, n, explain)


def _scapy_sized(fn: HeaderMapper) -> HeaderMapper:
    """The layer as long as scapy read it (the next layer starts there), with
    only the fields inside it: a damaged or unusual frame (an extension
    frame, a cut header) never reaches past what scapy consumed."""

    def mapper(layer: Any, start: int, packet: bytes) -> tuple[Layer, int]:
        lay, _size = fn(layer, start, packet)
        _found, size = layout(layer, start, packet)
        end = start + size
        fields = tuple(
            f for f in lay.fields if f.offset + f.length <= end and f.offset < len(packet)
        )
        return replace(lay, length=size, fields=fields), size

    return mapper


def _le(b: bytes) -> int:
    return int.from_bytes(b, "little")


def _mac(b: bytes) -> str:
    return b.hex(":")


@header("RadioTap")
@_scapy_sized
def radiotap(layer: Any, start: int, packet: bytes) -> tuple[Layer, int]:
    data = packet[start:]
    length = _le(data[2:4])
    present = _le(data[4:8])
    fields = [
        _f("Header revision", "radiotap.version", str(data[0]), start, 1,
           "Radiotap: what the capturing Wi-Fi card adds about the radio (not sent over the air)."),
        _f("Header pad", "radiotap.pad", str(data[1]), start + 1, 1),
        _f("Header length", "radiotap.length", str(length), start + 2, 2),
        _f("Present flags word", "radiotap.present.word", f"0x{present:08x}", start + 4, 4,
           "Which radio facts follow, one bit each."),
    ]  # fmt: skip
    pos = 8
    while present & 0x80000000 and pos + 4 <= length:  # more present words
        present_more = _le(data[pos : pos + 4])
        pos += 4
        if not present_more & 0x80000000:
            break
    if present & 0x80000000:
        return Layer(
            "Radiotap", start, length, tuple(fields)
        ), length  # extended bitmaps: header only
    if present & 1:  # TSFT, 8 bytes aligned to 8
        pos = (pos + 7) & ~7
        pos += 8
    if present & 2:
        fields.append(_f("Flags", "radiotap.flags", f"0x{data[pos]:02x}", start + pos, 1))
        pos += 1
    if present & 4:
        rate = data[pos]
        fields.append(
            _f(
                "Data Rate",
                "radiotap.datarate",
                f"{rate / 2:g}",  # in Mb/s (the byte counts 500 kb/s)
                start + pos,
                1,
                "",
                f"{rate / 2:g} Mb/s",
            )
        )
        pos += 1
    if present & 8:
        pos = (pos + 1) & ~1
        freq = _le(data[pos : pos + 2])
        fields += [
            _f("Channel frequency", "radiotap.channel.freq", str(freq), start + pos, 2,
               "The radio channel, in MHz: 2412-2484 is the 2.4 GHz band, 5xxx the 5 GHz band.", f"{freq} MHz"),
            _f("Channel flags", "radiotap.channel.flags", f"0x{_le(data[pos + 2 : pos + 4]):04x}", start + pos + 2, 2),
        ]  # fmt: skip
        pos += 4
    if present & 0x10:  # FHSS
        pos += 2
    if present & 0x20:
        dbm = data[pos] - 256 if data[pos] > 127 else data[pos]
        fields.append(_f("Antenna signal", "radiotap.dbm_antsignal", str(dbm), start + pos, 1,
                         "How strong the signal arrived: -30 dBm is excellent, -67 fine for calls, "
                         "below -80 barely usable.", f"{dbm} dBm"))  # fmt: skip
    return Layer("Radiotap", start, length, tuple(fields)), length


def _addresses(
    kind: int, sub: int, tods: int, fromds: int, data: bytes, start: int
) -> tuple[list[Field], int]:
    """The addresses in the header and what each one is, as Wireshark names them."""
    a = [data[i : i + 6] for i in (4, 10, 16)]
    if kind == 1:  # control frames: a receiver, and for some a transmitter
        out = [_f("Receiver address", "wlan.ra", _mac(a[0]), start + 4, 6)]
        if sub in (8, 9, 10, 11, 14, 15):
            out.append(_f("Transmitter address", "wlan.ta", _mac(a[1]), start + 10, 6))
            return out, 16
        return out, 10
    roles = {(0, 0): ("da", "sa", "bssid"), (1, 0): ("bssid", "sa", "da"),
             (0, 1): ("da", "bssid", "sa"), (1, 1): ("ra", "ta", "da")}[(tods, fromds)]  # fmt: skip
    names = {"da": "Destination address", "sa": "Source address", "bssid": "BSS Id",
             "ra": "Receiver address", "ta": "Transmitter address"}  # fmt: skip
    out = [
        _f(
            "Receiver address",
            "wlan.ra",
            _mac(a[0]),
            start + 4,
            6,
            "The radio that must take this frame.",
        ),
        _f("Transmitter address", "wlan.ta", _mac(a[1]), start + 10, 6, "The radio that sent it."),
    ]
    out += [
        _f(names[r], f"wlan.{r}", _mac(a[i]), start + 4 + 6 * i, 6)
        for i, r in enumerate(roles)
        if r not in ("ra", "ta")
    ]
    seq = _le(data[22:24])
    out += [
        _f("Fragment number", "wlan.frag", str(seq & 15), start + 22, 2),
        _f("Sequence number", "wlan.seq", str(seq >> 4), start + 22, 2),
    ]
    size = 24
    if tods and fromds:
        out.append(_f("Source address", "wlan.sa", _mac(data[24:30]), start + 24, 6))
        size = 30
    return out, size


@header("Dot11", "Dot11FCS")
@_scapy_sized
def dot11(layer: Any, start: int, packet: bytes) -> tuple[Layer, int]:
    _register_tags()
    data = packet[start:]
    fc0, flags = data[0], data[1]
    kind, sub = (fc0 >> 2) & 3, fc0 >> 4
    tods, fromds = flags & 1, (flags >> 1) & 1
    what = SUBTYPES.get((kind, sub), f"{TYPES[kind]} subtype {sub}")
    fields = [
        _f("Type/Subtype", "wlan.fc.type_subtype", f"0x{(kind << 4 | sub):04x}", start, 1,
           f"{what}: {SAYS.get((kind, sub), 'an 802.11 frame')}.", what),
        _f("Version", "wlan.fc.version", str(fc0 & 3), start, 1),
        _f("Type", "wlan.fc.type", str(kind), start, 1, "", TYPES[kind]),
        _f("Subtype", "wlan.fc.subtype", str(sub), start, 1),
        _f("Flags", "wlan.flags", f"0x{flags:02x}", start + 1, 1),
        _f("DS status", "wlan.fc.ds", f"0x{flags & 3:02x}", start + 1, 1,
           "To DS / From DS: whether the frame goes to or comes from the wired side (the distribution system)."),
        _f("To DS", "wlan.fc.tods", str(tods), start + 1, 1),
        _f("From DS", "wlan.fc.fromds", str(fromds), start + 1, 1),
        _f("Retry", "wlan.fc.retry", str((flags >> 3) & 1), start + 1, 1,
           "1: this frame is sent again because its acknowledgement did not come (radio loss)."),
        _f("Protected", "wlan.fc.protected", str((flags >> 6) & 1), start + 1, 1,
           "1: the body is encrypted (WPA2/WPA3); only the header can be read."),
        _f("Duration", "wlan.duration", str(_le(data[2:4]) & 0x7FFF), start + 2, 2, "", f"{_le(data[2:4]) & 0x7FFF} µs"),
    ]  # fmt: skip
    addrs, size = _addresses(kind, sub, tods, fromds, data, start)
    return Layer("IEEE 802.11", start, size, tuple(fields + addrs)), size


@header("Dot11Beacon", "Dot11ProbeResp")
@_scapy_sized
def fixed_beacon(layer: Any, start: int, packet: bytes) -> tuple[Layer, int]:
    d = packet[start : start + 12]
    fields = (
        _f("Timestamp", "wlan.fixed.timestamp", str(_le(d[:8])), start, 8),
        _f("Beacon Interval", "wlan.fixed.beacon", str(_le(d[8:10])), start + 8, 2,
           "How often the access point announces itself, in units of 1.024 ms (100: about ten times a second)."),
        _f("Capabilities Information", "wlan.fixed.capabilities", f"0x{_le(d[10:12]):04x}", start + 10, 2),
    )  # fmt: skip
    return Layer("802.11 Fixed parameters", start, 12, fields), 12


@header("Dot11Auth")
@_scapy_sized
def fixed_auth(layer: Any, start: int, packet: bytes) -> tuple[Layer, int]:
    d = packet[start : start + 6]
    fields = (
        _f(
            "Authentication Algorithm",
            "wlan.fixed.auth.alg",
            str(_le(d[:2])),
            start,
            2,
            "0: open system.",
        ),
        _f("Authentication SEQ", "wlan.fixed.auth_seq", f"0x{_le(d[2:4]):04x}", start + 2, 2),
        _f(
            "Status code",
            "wlan.fixed.status_code",
            f"0x{_le(d[4:6]):04x}",
            start + 4,
            2,
            "0: successful.",
        ),
    )
    return Layer("802.11 Fixed parameters", start, 6, fields), 6


@header("Dot11ProbeReq")
@_scapy_sized
def fixed_none(layer: Any, start: int, packet: bytes) -> tuple[Layer, int]:
    return Layer("802.11 Probe Request", start, 0, ()), 0


def _tag(layer: Any, start: int, packet: bytes) -> tuple[Layer, int]:
    number, n = packet[start], packet[start + 1]
    body = packet[start + 2 : start + 2 + n]
    fields = [
        _f("Tag Number", "wlan.tag.number", str(number), start, 1),
        _f("Tag length", "wlan.tag.length", str(n), start + 1, 1),
    ]
    if number == 0:
        name = body.decode("utf-8", "replace")
        fields.append(_f("SSID", "wlan.ssid", body.hex(":"), start + 2, n,
                         "The network's name, as people pick it from a list.", name or "(hidden)"))  # fmt: skip
    elif number in (1, 50):
        for i, rate in enumerate(body):
            fields.append(_f("Supported Rates", "wlan.supported_rates", f"0x{rate:02x}", start + 2 + i, 1, "",
                             f"{(rate & 0x7F) / 2:g} Mb/s" + (" (basic)" if rate & 0x80 else "")))  # fmt: skip
    elif number == 3 and n:
        fields.append(_f("Current Channel", "wlan.ds.current_channel", str(body[0]), start + 2, 1))
    return Layer("802.11 Tagged parameter", start, 2 + n, tuple(fields)), 2 + n


_tags_registered = False


def _register_tags() -> None:
    """The mapper for every tagged parameter scapy knows (Dot11Elt...), found
    in scapy's 802.11 module. Called by `dot11`, which maps the header before
    any tagged parameter: scapy has imported that module to find the header,
    and a capture without Wi-Fi never needs it (~0.02 s, and once it pulled
    in scapy's routing tables)."""
    global _tags_registered
    if _tags_registered:
        return
    import scapy.layers.dot11 as dot11_layers

    names = [n for n in dir(dot11_layers) if n.startswith("Dot11Elt") and "Triplet" not in n]
    header(*names)(_scapy_sized(_tag))
    _tags_registered = True


@header("Dot11QoS")
@_scapy_sized
def qos(layer: Any, start: int, packet: bytes) -> tuple[Layer, int]:
    v = _le(packet[start : start + 2])
    fields = (
        _f(
            "QoS Control",
            "wlan.qos",
            f"0x{v:04x}",
            start,
            2,
            "Quality of service: which queue (voice, video, ...).",
        ),
        _f("TID", "wlan.qos.tid", str(v & 15), start, 1),
    )
    return Layer("802.11 QoS", start, 2, fields), 2


@header("LLC")
@_scapy_sized
def llc(layer: Any, start: int, packet: bytes) -> tuple[Layer, int]:
    d = packet[start : start + 3]
    fields = (
        _f("DSAP", "llc.dsap", f"0x{d[0]:02x}", start, 1,
           "0xaa: a SNAP header follows, which names the protocol inside (IP, ARP) the way Ethernet's type does."),
        _f("SSAP", "llc.ssap", f"0x{d[1]:02x}", start + 1, 1),
        _f("Control field", "llc.control", f"0x{d[2]:04x}", start + 2, 1),
    )  # fmt: skip
    return Layer("Logical-Link Control", start, 3, fields), 3


@header("SNAP")
@_scapy_sized
def snap(layer: Any, start: int, packet: bytes) -> tuple[Layer, int]:
    d = packet[start : start + 5]
    fields = (
        _f("Organization Code", "llc.oui", str(int.from_bytes(d[:3], "big")), start, 3),
        _f(
            "Type", "llc.type", f"0x{d[3:5].hex()}", start + 3, 2, "0x0800: an IPv4 packet follows."
        ),
    )
    return Layer("SNAP", start, 5, fields), 5
