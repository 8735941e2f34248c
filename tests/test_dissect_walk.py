"""Where each field sits: the layout walker and what it may remember.

A layout (field name, offset, length) may be reused for another packet only
when the layer's length decides it; text lines of equal length split at
other places must each get their own."""

from __future__ import annotations

import gc

from labs.dissect.proto import walk


def test_text_lines_of_equal_length_split_differently():
    from labs.dissect.proto.ftp import FTPRequest

    lines = [b"LIST ab\r\n", b"CWD abc\r\n", b"NOOP\r\nXY\r\n"[:9]]
    assert len({len(line) for line in lines}) == 1
    for line in lines:
        packet = b"\0" * 40 + line
        layer = FTPRequest(line)
        found, _length = walk.layout(layer, 40, packet)
        for name, off, n in found:
            assert packet[40 + off : 40 + off + n] == bytes(layer.getfieldval(name)), (line, name)


def test_only_layers_whose_length_decides_the_layout_are_cached():
    from scapy.layers.dns import DNSQR, DNSRR
    from scapy.layers.inet import IP, TCP, UDP
    from scapy.layers.l2 import ARP

    from labs.dissect.proto.ftp import FTPRequest

    for cls in (IP, TCP, UDP, DNSQR):  # at most one field sized by the bytes
        assert walk._fixed(cls, cls()), cls
    for cls in (FTPRequest, DNSRR, ARP):  # two or more
        assert not walk._fixed(cls, cls()), cls


def test_equal_layouts_are_one_object_also_when_walked_every_time():
    """Callers (labs.dissect.proto.base.Planned) key their plans on the layout's
    identity: each ICMP echo must not leave a plan of its own behind."""
    from scapy.layers.inet import ICMP, IP

    from labs.core.base import RawPacket
    from labs.dissect.core import dissect_all
    from labs.dissect.proto.base import Planned

    pings = [bytes(IP(dst="127.0.0.1") / ICMP(id=n, seq=n)) for n in range(300)]
    found = [walk.layout(ICMP(p[20:]), 20, p)[0] for p in pings]
    assert all(f is found[0] for f in found)
    dissect_all(RawPacket(float(n), p) for n, p in enumerate(pings))
    planned = [o for o in gc.get_objects() if isinstance(o, Planned)]
    assert planned and max(len(p.plans) for p in planned) < 100
