"""`tutor doctor`: what this machine allows, read without sending anything
beyond loopback."""

from __future__ import annotations

import json
import os

import pytest

from tutor.cli import main
from tutor.commands.doctor import default_route, loopback


def test_report_lists_every_check(capsys, monkeypatch):
    monkeypatch.setenv("TUTOR_CAPTURE", "reconstructed")
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    for name in ("live capture", "namespaces", "libpcap", "tshark", "loopback", "network beyond"):
        assert name in out
    assert "live capture    no   TUTOR_CAPTURE=reconstructed" in out


def test_json(capsys):
    assert main(["doctor", "--json"]) == 0
    checks = {c["name"]: c for c in json.loads(capsys.readouterr().out)["checks"]}
    assert checks["loopback"]["ok"] is True
    assert checks["live capture"]["ok"] is (os.geteuid() == 0)


def test_loopback_really_connects():
    check = loopback()
    assert check.ok and "a connection and a byte each way" in check.detail


def test_default_route_matches_proc():
    with open("/proc/net/route", encoding="ascii") as fh:
        has_default = any(line.split()[1] == "00000000" for line in list(fh)[1:])
    check = default_route()
    if has_default:
        assert check.ok and "nothing was sent" in check.detail
    else:
        assert not check.ok or "IPv6" in check.detail


@pytest.mark.needs_root
def test_cleanup_reports(capsys):
    assert main(["doctor", "--cleanup"]) == 0
    out = capsys.readouterr().out
    assert (
        "Nothing left behind by earlier runs." in out or "leftover(s) of runs that are gone" in out
    )
