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
import test_dissect_programs
from test_dissect_programs import TSHARK, check

THIRDPARTY = Path(__file__).parent / "data" / "thirdparty"
CAPTURES = sorted(p for p in THIRDPARTY.iterdir() if p.suffix in (".pcap", ".pcapng"))

KNOWN: dict[str, set[tuple[int, str]]] = {}
#: Wireshark's JSON fields (Dropbox's LAN sync discovery), compared in these captures only.
JSON_FIELDS = "json.member json.key json.path json.path_with_value json.member_with_value "
JSON_FIELDS += "json.value.string json.value.number"
#: Packets tutor shows only as data where tshark decodes them: none.
#: (test006's DHCP, cut by the capture's snap length, is read as far as it
#: goes, as tshark reads it.)
UNDECODED: dict[str, list[int]] = {}


@pytest.mark.skipif(TSHARK is None, reason="tshark is not installed")
@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_thirdparty_captures_match_tshark(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Wireshark's JSON fields are compared here, where tutor reads JSON (Dropbox's
    # LAN sync discovery), not in the program captures: tutor shows an HTTP body
    # as the body, where tshark also reads JSON in it.
    names = [*test_dissect_programs.NAMES, *JSON_FIELDS.split()]
    monkeypatch.setattr(test_dissect_programs, "NAMES", names)
    check(path, KNOWN, UNDECODED)


def test_every_capture_is_listed_with_its_licence() -> None:
    readme = (THIRDPARTY / "README.md").read_text()
    assert len(CAPTURES) >= 11
    for path in CAPTURES:
        rows = [line for line in readme.splitlines() if line.startswith(f"| {path.name} |")]
        assert len(rows) == 1 and ("BSD-3-Clause" in rows[0] or "Apache" in rows[0]), path.name
    assert sum(p.stat().st_size for p in CAPTURES) < 2_000_000
