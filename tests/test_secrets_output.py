"""Secrets stay masked in every output unless asked for (issue 16, item 7):
`--json` too (values, sentences, the curl line, the packet bytes), and the
one-line error that quotes a URL with a password in it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from labs.trace import MASK, loads, masked


def _tutor(*args: str, tmp) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tutor", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "TUTOR_CAPTURE": "reconstructed", "TUTOR_HOME": str(tmp)},
    )


@pytest.mark.parametrize("lab", ["http-api", "ftp"])
def test_json_masks_unless_show_secrets(lab, tmp_path):
    shown = _tutor("lab", "run", lab, "--json", "--show-secrets", tmp=tmp_path)
    assert shown.returncode == 0, shown.stderr
    full = loads(shown.stdout)
    secrets = full.secret_values()
    assert secrets, "the lab's run carries credentials"
    hidden = _tutor("lab", "run", lab, "--json", tmp=tmp_path)
    assert hidden.returncode == 0, hidden.stderr
    text = hidden.stdout
    trace = loads(text)
    # (each run has its own ports and times; the credentials are the same)
    for value in secrets:
        assert value not in text, value
        for p in trace.packets:
            assert value.encode() not in p.data, (p.summary, value)
    flagged = [f for p in trace.packets for layer in p.layers for f in layer.fields if f.secret]
    assert flagged and all(f.value == f.show == MASK for f in flagged)
    assert json.loads(text)["packets"]  # still a whole trace


def test_masked_keeps_every_offset_and_length(tmp_path):
    shown = _tutor("lab", "run", "http-api", "--json", "--show-secrets", tmp=tmp_path)
    full = loads(shown.stdout)
    hidden = masked(full)
    assert len(hidden.packets) == len(full.packets)
    for a, b in zip(full.packets, hidden.packets, strict=True):
        assert len(a.hex) == len(b.hex)
        assert [(f.offset, f.length) for x in a.layers for f in x.fields] == [
            (f.offset, f.length) for x in b.layers for f in x.fields
        ]
    assert masked(hidden) == hidden  # nothing left to mask
    assert hidden.keylog == ""


def test_a_password_in_a_url_never_reaches_the_error_line(tmp_path):
    proc = _tutor(
        "lab", "run", "http-api", "--target", "http://bob:S3CRETPW@127.0.0.1:1/x", tmp=tmp_path
    )
    assert proc.returncode == 1
    assert "S3CRETPW" not in proc.stderr and "bob:••••@" in proc.stderr
