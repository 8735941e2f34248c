"""What `tutor explain` pays for before its first packet (issue 10: start-up
on a small file no slower than tshark's): the parser has only the command
asked for, scapy reads neither the routing tables nor the interface list
(a lab run later in the same process still gets both), and the output is the
same bytes."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
from pathlib import Path

import pytest
from fresh_python import python

from tutor.cli import COMMANDS, build_parser

ROOT = Path(__file__).parent.parent


def test_explain_loads_no_routes_interfaces_labs_or_wifi():
    found = python(
        """
        import contextlib, io, json, sys
        from tutor.cli import main

        with contextlib.redirect_stdout(io.StringIO()) as out:
            code = main(["explain", "--json", "tests/data/pcaps/http.pcap"])
        from scapy.config import conf

        print(json.dumps({
            "code": code, "packets": len(json.loads(out.getvalue())["packets"]),
            "routes": len(conf.route.routes), "routes6": len(conf.route6.routes),
            "interfaces": len(conf.ifaces),
            "loaded": sorted(m for m in sys.modules if m.startswith(("labs.", "tutor.", "scapy."))),
        }))
        """
    )
    assert found["code"] == 0 and found["packets"] == 22
    assert (found["routes"], found["routes6"], found["interfaces"]) == (0, 0, 0)
    assert "scapy.layers.inet" in found["loaded"]  # scapy did read the packets
    unneeded = ("labs.registry", "labs.drills.spec", "labs.kit", "tutor.content")
    assert [m for m in found["loaded"] if m.startswith(unneeded)] == []
    assert "scapy.layers.dot11" not in found["loaded"]  # no Wi-Fi in this capture


def test_a_lab_run_after_explain_reads_the_interfaces_and_routes():
    found = python(
        """
        import contextlib, io, json
        import labs.registry
        from labs import api
        from tutor.cli import main

        with contextlib.redirect_stdout(io.StringIO()):
            main(["explain", "--json", "tests/data/pcaps/http.pcap"])
        from scapy.arch import read_routes, read_routes6
        from scapy.config import conf
        from scapy.interfaces import get_if_list

        seen = {}

        def record(request, progress, cancel):
            seen.update(routes=len(conf.route.routes), routes6=len(conf.route6.routes),
                        interfaces=sorted(conf.ifaces), iface=str(conf.iface))

        labs.registry.run_lab = record  # what the lab would see when it starts
        api.run_lab(None)
        print(json.dumps({**seen, "want": {
            "routes": len(read_routes()), "routes6": len(read_routes6()),
            "interfaces": sorted(get_if_list()),
        }}))
        """
    )
    want = found.pop("want")
    assert "lo" in want["interfaces"]
    assert found.pop("iface") != "None"
    assert found == want


def test_explain_writes_the_same_bytes_from_the_command_line():
    """Every stored capture through `main` in a fresh interpreter (so scapy
    is imported the way the command imports it), against the goldens
    (tests/test_golden_explain.py writes them through the library)."""
    found = python(
        """
        import contextlib, io, json, pathlib
        from tutor.cli import main

        same = {}
        for path in sorted(pathlib.Path("tests/data/pcaps").iterdir()):
            with contextlib.redirect_stdout(io.StringIO()) as out:
                main(["explain", "--json", "--show-secrets", str(path)])
            golden = pathlib.Path("tests/data/golden/explain", path.name + ".json")
            same[path.name] = out.getvalue() == golden.read_text()
        print(json.dumps(same))
        """
    )
    assert "wifi.pcap" in found and "http.pcap" in found
    assert [name for name, same in found.items() if not same] == []


def test_the_program_flushes_everything_before_it_ends_early():
    """`tutor explain` ends without Python's tear-down (`tutor.cli.end_now`):
    all of its output still arrives, with its exit code."""
    name = "lossy-http.pcapng"  # the largest: several writes' worth of JSON
    cmd = [sys.executable, "-m", "tutor", "explain", "--json", "--show-secrets"]
    done = subprocess.run([*cmd, f"tests/data/pcaps/{name}"], capture_output=True, cwd=ROOT)
    assert (done.returncode, done.stderr) == (0, b"")
    assert done.stdout == (ROOT / "tests/data/golden/explain" / f"{name}.json").read_bytes()
    bad = subprocess.run([*cmd, "tests/data/pcaps/none.pcap"], capture_output=True, cwd=ROOT)
    assert bad.returncode == 2 and bad.stdout == b"" and len(bad.stderr.splitlines()) == 1


def _parsed(commands: tuple[str, ...], argv: list[str]) -> tuple[int | None, dict, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            return None, vars(build_parser(commands).parse_args(argv)), out.getvalue()
        except SystemExit as stop:
            return stop.code if isinstance(stop.code, int) else 1, {}, out.getvalue()


@pytest.mark.parametrize(
    "argv",
    [
        ["explain", "x.pcap", "--json", "--limit", "3", "--decode-as", "8053=dns"],
        ["explain", "--help"],
        ["explain"],
        ["explain", "x.pcap", "--nope"],
        ["explain", "x.pcap", "--version"],
        ["lab", "run", "http-api", "--json"],
        ["diff", "a.json", "b.json", "--json"],
    ],
)
def test_one_command_registered_parses_as_all_of_them(argv):
    assert _parsed((argv[0],), argv) == _parsed(COMMANDS, argv)
