"""FTP data connections whose addresses are not the control connection's,
read as tshark 4.0.17 reads them, in three real captures
(tests/make_ftp_addresses.sh; tests/test_dissect_programs.py
compares every field with tshark's):

- ftp-lo2: control 127.0.0.1 to 127.0.0.1, the client offers 127.0.0.2 with
  EPRT, then PORT: both plain data in tshark (ftp.active.nat on the PORT);
- ftp-samehost: one host on 192.0.2.1 offers its own address: EPRT is
  FTP-DATA (one address for client, server and EPRT), PORT plain data;
- ftp-nat: PASV behind DNAT, recorded on the server's side: the reply names
  203.0.113.1 (ftp.passive.nat), the data goes to 198.51.100.2: plain data.

Where tshark shows plain data, tutor's own words still say it is FTP data
and why Wireshark does not link it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from labs.dissect.core import dissect_all
from labs.dissect.proto.ftp_ports import address_fields, eprt_fields, linked_ports
from labs.files.pcapio import read_capture
from labs.model.trace import Field

PROGRAMS = Path(__file__).parent / "data" / "programs"
#: capture -> (the command that offered each data connection, tshark's protocol), in order
CASES = {
    "ftp-lo2": [("EPRT", "Data"), ("PORT", "Data")],
    "ftp-samehost": [("EPRT", "FTP-DATA"), ("PORT", "Data")],
    "ftp-nat": [("PASV", "Data")],
}
NAT = {"ftp-lo2": ["ftp.active.nat"], "ftp-samehost": [], "ftp-nat": ["ftp.passive.nat"]}


@pytest.mark.parametrize("name", sorted(CASES))
def test_data_connections_read_as_tshark_reads_them(name: str) -> None:
    raws, _link = read_capture(PROGRAMS / f"{name}.pcapng")
    packets = dissect_all(raws)
    data = [p for p in packets if p.layers[-1].name in ("Data", "FTP-DATA")]
    assert [p.layers[-1].name for p in data] == [want for _c, want in CASES[name]]
    for packet, (command, want) in zip(data, CASES[name], strict=True):
        if want == "FTP-DATA":
            assert packet.summary == "FTP-DATA 16 bytes"
            continue
        assert packet.summary.endswith("(16 bytes of FTP data)"), packet.summary
        who = "server" if command == "PASV" else "client"
        assert f"FTP data on the connection the {who} offered with {command}" in packet.explain
        assert "Wireshark 4.0 shows these bytes as plain data" in packet.explain
    nat = [f.filter for p in packets for lay in p.layers for f in lay.fields]
    assert [n for n in nat if n and n.endswith(".nat")] == NAT[name]


def _pasv(announced: str) -> list[Field]:
    arg = b"Entering passive mode (%s,195,80)." % announced.replace(".", ",").encode()
    return address_fields(arg, 0, "ftp.passive.ip", "ftp.passive.port", "")


def test_which_ports_are_linked_by_the_addresses() -> None:
    # PASV: linked when the reply names the address it comes from.
    assert linked_ports(_pasv("192.0.2.1"), ("192.0.2.1", "192.0.2.2")) == [50000]
    assert linked_ports(_pasv("203.0.113.1"), ("198.51.100.2", "203.0.113.2")) == []
    # EPRT: linked when client, server and EPRT share one address, however spelled.
    eprt = eprt_fields(b"|2|::1|50001|", 0)
    assert linked_ports(eprt, ("0:0:0:0:0:0:0:1", "::1")) == [50001]
    assert linked_ports(eprt, ("::1", "::2")) == []
    lo2 = eprt_fields(b"|1|127.0.0.2|50002|", 0)
    assert linked_ports(lo2, ("127.0.0.1", "127.0.0.1")) == []
    # Addresses unknown (a payload read alone): a loopback EPRT address stands for one host.
    assert linked_ports(lo2, None) == [50002]
    assert linked_ports(_pasv("203.0.113.1"), None) == [50000]
