"""Which FTP data connections read as FTP-DATA, as tshark 4.0 decides it.

tshark links a passive-mode port (PASV, EPSV) to the client; an active-mode
one only as its dissector notes it: PORT as a connection from the server's
port 20 (which the port alone makes FTP-DATA), EPRT between the client's own
address and the EPRT address, so only a server on the client's own address
matches. The other data connections are plain data (data.len), and tutor's
narration says whose bytes they are. One made-up capture holds every case,
each on its own ports, read by tutor and (when installed) by tshark.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from labs.dissect.core import dissect_all
from labs.files.pcapio import read_capture

C4, S4 = "192.0.2.2", "192.0.2.1"
#: (command, client, server, server's data port, tutor's protocol, same as tshark)
CASES = [
    ("PASV", C4, S4, 50001, "FTP-DATA", True),
    ("EPSV", C4, S4, 50002, "FTP-DATA", True),
    ("PORT", C4, S4, 57003, "Data", True),
    ("PORT", C4, S4, 20, "FTP-DATA", True),
    ("PORT", "127.0.0.1", "127.0.0.1", 57005, "Data", True),
    ("EPRT", C4, S4, 57006, "Data", True),
    ("EPRT", C4, S4, 20, "FTP-DATA", True),
    ("EPRT", "127.0.0.1", "127.0.0.1", 57008, "FTP-DATA", True),
    ("EPRT", "::1", "::1", 57009, "FTP-DATA", True),
    # One host on loopback but another address on each end; one host on a
    # non-loopback address (real captures: tests/data/programs/ftp-lo2, ftp-samehost).
    ("EPRT", "127.0.0.1", "127.0.0.2", 57010, "Data", True),
    ("EPRT", S4, S4, 57011, "FTP-DATA", True),
]
BODY = b"hello ftp data\n"


def _command(kind: str, client: str, port: int) -> bytes:
    if kind == "PASV":
        return b"227 Entering Passive Mode (192,0,2,1,%d,%d).\r\n" % divmod(port, 256)
    if kind == "EPSV":
        return b"229 Entering Extended Passive Mode (|||%d|).\r\n" % port
    if kind == "PORT":
        numbers = client.split(".") + [str(n) for n in divmod(port, 256)]
        return b"PORT " + ",".join(numbers).encode() + b"\r\n"
    family = b"2" if ":" in client else b"1"
    return b"EPRT |%s|%s|%d|\r\n" % (family, client.encode(), port)


def _conversation(
    client: str, server: str, cport: int, sport: int, lines: list[tuple[bool, bytes]]
):  # type: ignore[no-untyped-def]
    from scapy.layers.inet import IP, TCP
    from scapy.layers.inet6 import IPv6

    ip = IPv6 if ":" in client else IP
    seq = {True: 1000, False: 5000}

    def seg(from_client: bool, flags: str, data: bytes = b""):  # type: ignore[no-untyped-def]
        ends = (client, server, cport, sport) if from_client else (server, client, sport, cport)
        tcp = TCP(sport=ends[2], dport=ends[3], flags=flags, seq=seq[from_client])
        tcp.ack = seq[not from_client]
        seq[from_client] += len(data) + (1 if "S" in flags else 0)
        return ip(src=ends[0], dst=ends[1]) / tcp / data

    out = [seg(True, "S"), seg(False, "SA"), seg(True, "A")]
    return out + [seg(c, "PA", data) for c, data in lines]


def _capture(path: Path) -> list[int]:
    """The capture of every case; the index of each case's data packet."""
    from scapy.utils import wrpcap

    frames, data_at = [], []
    for i, (kind, client, server, sport, _want, _same) in enumerate(CASES):
        passive = kind in ("PASV", "EPSV")
        dport = 45000 + i  # the client's data port (active) or the server's (passive)
        line = _command(kind, client, sport if passive else dport)
        frames += _conversation(client, server, 40000 + i, 21, [(not passive, line)])
        if passive:
            frames += _conversation(client, server, 46000 + i, sport, [(False, BODY)])
        else:
            frames += _conversation(server, client, sport, dport, [(True, BODY)])
        data_at.append(len(frames) - 1)
    wrpcap(str(path), frames, linktype=101)  # raw IP: IPv4 and IPv6 alike
    return data_at


def test_tutor_links_the_data_connections_tshark_links(tmp_path: Path) -> None:
    path = tmp_path / "ftp-cases.pcap"
    data_at = _capture(path)
    raws, _link = read_capture(path)
    packets = dissect_all(raws)
    for (kind, _c, _s, sport, want, _same), i in zip(CASES, data_at, strict=True):
        layer = packets[i].layers[-1]
        assert layer.name == want, (kind, sport, layer.name)
        lengths = [f.value for f in layer.fields if f.filter == "data.len"]
        assert lengths == ([] if want == "FTP-DATA" else [str(len(BODY))]), (kind, sport)
        if want == "Data" and kind in ("PORT", "EPRT"):
            # Tutor's words say whose bytes these are; no field says more than tshark's.
            assert (
                f"FTP data on the connection the client offered with {kind}" in packets[i].explain
            )
            assert packets[i].summary.endswith(f"({len(BODY)} bytes of FTP data)")


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
def test_the_cases_are_what_tshark_says(tmp_path: Path) -> None:
    path = tmp_path / "ftp-cases.pcap"
    data_at = _capture(path)
    args = ["tshark", "-r", str(path), "-T", "fields", "-e", "frame.protocols"]
    rows = subprocess.run(args, capture_output=True, text=True, check=True, timeout=60).stdout
    protocols = rows.splitlines()
    for (kind, _c, _s, sport, want, same), i in zip(CASES, data_at, strict=True):
        theirs = "FTP-DATA" if ":ftp-data" in protocols[i] else "Data"
        assert theirs == "FTP-DATA" or protocols[i].endswith(":tcp:data"), protocols[i]
        assert (theirs == want) is same, (kind, sport, theirs)
