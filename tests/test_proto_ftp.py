"""FTP dissection from stored bytes: fields, byte offsets, the data-port
arithmetic, the password marked secret, and agreement with Wireshark."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from labs.dissect.proto.base import APPS, Stream
from labs.dissect.proto.ftp import describe, detect, dissect, dissect_data, summarize

OFFSET = 52  # where a payload starts behind IPv4 (20) and TCP with timestamps (32)


def _fields(payload: bytes) -> dict[str, tuple[str, bytes]]:
    """filter -> (value, the bytes the field points at) for named fields."""
    packet = b"\0" * OFFSET + payload
    (layer,) = dissect(payload, OFFSET, Stream())
    assert (layer.offset, layer.length) == (OFFSET, len(payload))
    return {
        f.filter: (f.value, packet[f.offset : f.offset + f.length])
        for f in layer.fields
        if f.filter
    }


def test_request_command_and_argument_point_at_their_bytes():
    assert _fields(b"USER demo\r\n") == {
        "ftp.request.command": ("USER", b"USER"),
        "ftp.request.arg": ("demo", b"demo"),
    }
    assert _fields(b"PWD\r\n") == {"ftp.request.command": ("PWD", b"PWD")}


def test_password_argument_is_marked_secret_and_not_narrated():
    (layer,) = dissect(b"PASS demo-password\r\n", 0, Stream())
    arg = next(f for f in layer.fields if f.filter == "ftp.request.arg")
    assert arg.secret and arg.value == "demo-password"
    assert "clear text" in arg.explain
    phrase = describe((layer,))
    assert "demo-password" not in phrase and "PASS" in phrase
    user = next(f for f in dissect(b"USER demo\r\n", 0, Stream())[0].fields if f.filter)
    assert not user.secret


def test_pasv_reply_decodes_the_port_arithmetic():
    fields = _fields(b"227 Entering Passive Mode (127,0,0,1,117,56).\r\n")
    assert fields["ftp.response.code"] == ("227", b"227")
    assert fields["ftp.passive.ip"] == ("127.0.0.1", b"127,0,0,1")
    assert fields["ftp.passive.port"] == ("30008", b"117,56")
    (layer,) = dissect(b"227 Entering Passive Mode (127,0,0,1,117,56).\r\n", 0, Stream())
    port = next(f for f in layer.fields if f.filter == "ftp.passive.port")
    assert "117*256+56 = 30008" in port.show
    assert "port 30008" in describe((layer,))


def test_epsv_port_and_eprt_addresses():
    assert _fields(b"229 Entering extended passive mode (|||30005|).\r\n")["ftp.epsv.port"] == (
        "30005",
        b"30005",
    )
    fields = _fields(b"PORT 127,0,0,1,117,60\r\n")
    assert fields["ftp.active.port"] == ("30012", b"117,60")
    fields = _fields(b"EPRT |1|127.0.0.1|30012|\r\n")
    assert fields["ftp.eprt.ip"] == ("127.0.0.1", b"127.0.0.1")
    assert fields["ftp.eprt.port"] == ("30012", b"30012")


def test_only_the_first_line_of_a_segment_gets_wireshark_names():
    payload = b"150 Here comes the listing.\r\n226 Transfer complete.\r\n"
    (layer,) = dissect(payload, 0, Stream())
    codes = [(f.filter, f.value) for f in layer.fields if f.name == "Response code"]
    assert codes == [("ftp.response.code", "150"), (None, "226")]
    assert describe((layer,)).startswith("answers 150")
    assert "226" in describe((layer,))


def test_multi_line_reply_keeps_continuation_lines_as_text():
    payload = b"211-Features:\r\n UTF8\r\n211 End\r\n"
    (layer,) = dissect(payload, 0, Stream())
    assert [f.name for f in layer.fields] == [
        "Response code",
        "Response arg",
        "Text",
        "Response code",
        "Response arg",
    ]
    text = layer.fields[2]
    assert payload[text.offset : text.offset + text.length] == b" UTF8"


def test_detect_recognises_ftp_lines_only():
    assert detect(b"USER demo\r\n")
    assert detect(b"220 (vsFTPd 3.0.3)\r\n")
    assert not detect(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert not detect(b"220 mail.example ESMTP\r\n")
    assert not detect(b"\x16\x03\x01\x02\x00")


def test_data_connection_shows_lines_or_bytes():
    (layer,) = dissect_data(b"-rw-r--r-- 1 a b 3 x.txt\r\n", 10, Stream())
    assert layer.name == "FTP-DATA"
    assert layer.fields[0].value == "-rw-r--r-- 1 a b 3 x.txt"
    (layer,) = dissect_data(bytes(range(256)), 0, Stream())
    assert layer.fields[0].show == "256 bytes"


def test_ftp_and_ftp_data_are_registered():
    assert APPS["ftp"].ports == (21,)
    assert APPS["ftp-data"].ports == (20,)


LINES = [
    (b"220 tutor lab FTP server ready.\r\n", True),
    (b"USER demo\r\n", False),
    (b"331 Username ok, send password.\r\n", True),
    (b"PASS demo-password\r\n", False),
    (b"230-Welcome\r\n230 Login successful.\r\n", True),
    (b"227 Entering passive mode (127,0,0,1,117,56).\r\n", True),
    (b"229 Entering extended passive mode (|||30005|).\r\n", True),
    (b"PORT 127,0,0,1,117,60\r\n", False),
    (b"150 File status okay.\r\n226 Transfer complete.\r\n", True),
    (b"QUIT\r\n", False),
]
TSHARK_FIELDS = (
    "ftp.request.command",
    "ftp.request.arg",
    "ftp.response.code",
    "ftp.response.arg",
    "ftp.passive.ip",
    "ftp.passive.port",
    "ftp.epsv.port",
    "ftp.active.port",
)


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
def test_values_match_what_wireshark_shows(tmp_path):
    from scapy.layers.inet import IP, TCP
    from scapy.utils import wrpcap

    seq = {True: 1000, False: 5000}  # per direction, so no segment looks retransmitted
    frames = []
    for payload, reply in LINES:
        ports = (21, 40000) if reply else (40000, 21)
        tcp = TCP(sport=ports[0], dport=ports[1], flags="PA", seq=seq[reply], ack=seq[not reply])
        frames.append(IP(src="127.0.0.1", dst="127.0.0.1") / tcp / payload)
        seq[reply] += len(payload)
    pcap = tmp_path / "ftp.pcap"
    wrpcap(str(pcap), frames)
    args = ["tshark", "-r", str(pcap), "-T", "fields", "-E", "separator=\t"]
    for name in TSHARK_FIELDS:
        args += ["-e", name]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    rows = out.splitlines()
    assert len(rows) == len(LINES)
    for (payload, _reply), row in zip(LINES, rows, strict=True):
        theirs = {k: v for k, v in zip(TSHARK_FIELDS, row.split("\t"), strict=True) if v}
        ours = {k: v for k, (v, _b) in _fields(payload).items() if k in TSHARK_FIELDS}
        assert theirs and ours == theirs, payload


def test_packet_list_line_masks_the_password():
    (layer,) = dissect(b"PASS demo-password\r\n", 0, Stream())
    assert summarize((layer,)) == "FTP PASS ••••"
    (layer,) = dissect(b"150 Here.\r\n226 Done.\r\n", 0, Stream())
    assert summarize((layer,)) == "FTP 150 Here. | 226 Done."
