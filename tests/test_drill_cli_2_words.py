"""`tutor drill` read by a new user: a probe by name says the name was looked
up first and what the lookup gave, then what the probe itself did; a
simulated start does not claim to build anything; the README starts a
drill by its number and never names a drill's id (the ids name the fault)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from labs.drills import registry


@pytest.fixture(autouse=True)
def simulate(monkeypatch, tutor_home):
    monkeypatch.setenv("TUTOR_SIMULATE", "1")
    monkeypatch.setenv("COLUMNS", "80")


def _main(capsys, *args: str) -> tuple[str, str]:
    from tutor.cli import main

    code = main(["drill", *args])
    out, err = capsys.readouterr()
    assert code == 0, (args, err)
    return out, err


V = registry.get("firewall-reject").variant(1)
HOST = V.url.split("/")[2]
ADDRESS = V.world.records[0].address


def _head(out: str) -> list[str]:
    """The probe's words and details: the lines before its packet list."""
    return out.split("\nPackets")[0].splitlines()


def test_a_probe_by_name_says_the_lookup_came_first_then_the_connect(capsys):
    _main(capsys, "start", "2", "--seed", "1")
    lines = _head(_main(capsys, "probe", "connect", f"{HOST}:443")[0])
    text = "\n".join(lines)
    lookup = next(i for i, line in enumerate(lines) if "looked up" in line.lower())
    assert HOST in lines[lookup] and "DNS" in lines[lookup], text
    server = next(i for i, line in enumerate(lines) if line.split()[:1] == ["server"])
    answer = next(i for i, line in enumerate(lines) if line.split()[:1] == ["answer"])
    refused = next(i for i, line in enumerate(lines) if "refused the connection" in line)
    then = next(i for i, line in enumerate(lines) if line.lstrip().startswith("Then"))
    assert lookup < server < then and lookup < answer < then < refused, text
    assert f"{ADDRESS}:443" in "\n".join(lines[then : refused + 1]), text
    # The DNS rows sit under their heading, indented more than it.
    indent = len(lines[lookup]) - len(lines[lookup].lstrip())
    assert lines[server].startswith(" " * (indent + 2)), text


def test_a_failed_lookup_says_no_connection_was_tried(capsys):
    _main(capsys, "start", "1", "--seed", "1")  # the name has no record
    host = registry.get("dns-nxdomain").variant(1).url.split("/")[2]
    text = "\n".join(_head(_main(capsys, "probe", "connect", f"{host}:443")[0]))
    assert "looked up" in text.lower() and "NXDOMAIN" in text
    assert "no connection was tried" in " ".join(text.split()).lower(), text


def test_a_probe_by_address_has_no_lookup(capsys):
    _main(capsys, "start", "2", "--seed", "1")
    text = "\n".join(_head(_main(capsys, "probe", "connect", f"{ADDRESS}:80")[0]))
    assert "looked up" not in text.lower() and "accepted the connection" in text, text


def test_a_simulated_start_does_not_say_it_builds_a_network(capsys):
    out, err = _main(capsys, "start", "2", "--simulate", "--seed", "1")
    assert "Building" not in err + out
    assert "nothing is built" in " ".join(err.split()).lower(), err


def test_the_readme_starts_a_drill_by_number_and_names_no_drill_id():
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Drills", 1)[1].split("\n## ", 1)[0]
    assert re.search(r"tutor drill start \d+", section), section
    assert "tutor drill list" in section
    faults = {f for d in registry.drills() for f in (d.id,)}
    faults |= {c.key for d in registry.drills() for c in d.variant(1).faults}
    named = sorted(f for f in faults if re.search(rf"(?<![\w-]){re.escape(f)}(?![\w-])", section))
    assert not named, named
