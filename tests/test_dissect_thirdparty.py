"""Captures this project did not make: sample captures shipped in Debian
packages (python3-dpkt, golang-github-google-gopacket-dev) and in pcapy-ng's
source distribution on PyPI (where each came from and its licence:
tests/data/thirdparty/README.md). Compared with tshark
exactly as tests/test_dissect_programs.py compares the captures we made:
every field, with tshark's TCP reassembly on and off, and only the
differences and undecoded packets listed here, each with its reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_dissect_programs import TSHARK, check

THIRDPARTY = Path(__file__).parent / "data" / "thirdparty"
CAPTURES = sorted(p for p in THIRDPARTY.iterdir() if p.suffix in (".pcap", ".pcapng"))

KNOWN = {
    # An HTTP body with no Content-Type: tshark hands it to its data dissector
    # (data.len), tutor shows it as the response's body (http.file_data).
    "dpkt-nb6-http": {(11, "data.len")},
}
#: Packets tutor shows only as data where tshark decodes them.
UNDECODED = {
    # PPPoE sessions (and L2TP inside them): tutor reads Ethernet, IP and ARP,
    # not PPP; the 16 frames outside PPPoE (HTTP over IPv4, ARP) are read.
    "dpkt-nb6-http": [*range(6), *range(18, 28), *range(30, 44), *range(46, 62)],
    # Dropbox's LAN sync discovery (JSON on UDP 17500), which tutor does not
    # read. (test006's DHCP, cut by the capture's snap length, is read as far
    # as it goes, as tshark reads it.)
    "gopacket-pcapng-le-test006": [1],
    "gopacket-pcapng-be-test100": [4],
}


@pytest.mark.skipif(TSHARK is None, reason="tshark is not installed")
@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_thirdparty_captures_match_tshark(path: Path) -> None:
    check(path, KNOWN, UNDECODED)


def test_every_capture_is_listed_with_its_licence() -> None:
    readme = (THIRDPARTY / "README.md").read_text()
    assert len(CAPTURES) >= 11
    for path in CAPTURES:
        rows = [line for line in readme.splitlines() if line.startswith(f"| {path.name} |")]
        assert len(rows) == 1 and ("BSD-3-Clause" in rows[0] or "Apache" in rows[0]), path.name
    assert sum(p.stat().st_size for p in CAPTURES) < 2_000_000
