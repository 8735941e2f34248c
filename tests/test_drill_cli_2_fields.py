"""A command-line learner sees every field a hint or a grade points at:
`-v`/`--verbose` wherever a user types it on `tutor drill probe` prints each
captured packet's fields and where it was captured (lan0 or wan0), and each
hint that names a field says which command shows it."""

from __future__ import annotations

import re
import shlex

import pytest
from drill_cli import drill

from labs.drills import registry


@pytest.fixture(autouse=True)
def simulate(monkeypatch, tutor_home):
    monkeypatch.setenv("TUTOR_SIMULATE", "1")
    monkeypatch.setenv("COLUMNS", "80")


def _main(capsys, *args: str) -> str:
    return drill(capsys, *args, joined=True)


HOST = registry.get("firewall-reject").variant(1).url.split("/")[2]
WHERE = f"{HOST}:443"


def _packet(out: str, n: int) -> str:
    """Packet #n's block of the full (explained) packet list."""
    listed = out.split("\nPackets\n", 1)[1]
    return re.split(r"\n  #\d", listed.split(f"  #{n} ", 1)[1], maxsplit=1)[0]


@pytest.mark.parametrize(
    "words",
    [
        ("-v", "capture", "--", "connect", WHERE),
        ("capture", "-v", "--", "connect", WHERE),
        ("capture", "--verbose", "--", "connect", WHERE),
        ("capture", "--", "connect", WHERE, "-v"),
        ("capture", "connect", WHERE, "--verbose"),
        ("connect", WHERE, "-v"),
        ("--verbose", "connect", WHERE),
    ],
)
def test_verbose_shows_every_field_wherever_it_is_typed(words, capsys):
    _main(capsys, "start", "2", "--seed", "1")
    out = _main(capsys, "probe", *words)
    # Packet 5: the reset on the Internet side, made by the ISP router (TTL 64).
    reset = _packet(out, 5)
    assert "RST" in reset and "ip.ttl = 64" in reset, reset
    assert "ip.src = " in reset and "tcp.flags.reset = " in reset
    # Which side of the gateway each packet was captured on: the hint says wan0.
    assert re.search(r"^\s+5\s.*\(wan0\)", out, re.M), out
    assert re.search(r"^\s+3\s.*\(lan0\)", out, re.M), out


def test_without_verbose_a_probe_says_how_to_see_every_field(capsys):
    _main(capsys, "start", "2", "--seed", "1")
    out = _main(capsys, "probe", "connect", WHERE)
    assert "ip.ttl = " not in out
    assert f"tutor drill probe capture -v -- connect {WHERE}" in out


#: A Wireshark field's filter name as hints write them (ip.ttl, dns.flags.rcode).
FIELD = re.compile(r"\b(?:ip|tcp|udp|dns|http|tls|arp|icmp)\.[a-z_.]*[a-z_]\b")


@pytest.mark.parametrize("drill", [d.id for d in registry.drills()])
def test_a_hint_that_names_a_field_names_a_command_that_shows_it(drill, capsys):
    number = str(registry.number(drill))
    _main(capsys, "start", number, "--seed", "1")
    for _ in range(3):
        hint = _main(capsys, "hint")
        fields = set(FIELD.findall(hint.split("\n  tutor drill probe")[0]))
        if not fields:
            continue
        commands = re.findall(r"^\s+(tutor drill probe .+)$", hint, re.M)
        assert commands, hint
        shown = "".join(_main(capsys, *shlex.split(c)[2:]) for c in commands)
        for field in fields:
            assert f" {field} = " in shown, (hint, field)
