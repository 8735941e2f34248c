"""Secrets stay masked in every output unless asked for (issue 16, item 7):
`--json` too (values, sentences, the curl line, the packet bytes), and the
one-line error that quotes a URL with a password in it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from labs.model.trace import MASK, Field, loads, mask_secrets, mask_value, masked, secret_parts


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
    assert flagged and all(f.value == f.show == mask_value(f.name, f.value) for f in flagged)
    assert all(MASK in f.value for f in flagged)
    if lab == "http-api":
        # Only the credential is masked: the scheme word stays, in fields and bytes.
        auth = [f for f in flagged if f.name.lower() == "authorization"]
        assert auth and all(f.value == f"Bearer {MASK}" for f in auth)
        assert any(b"Authorization: Bearer ****" in p.data for p in trace.packets)
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


@pytest.mark.parametrize(
    ("name", "value", "shown"),
    [
        ("Authorization", "Bearer sk-live-123", f"Bearer {MASK}"),
        ("authorization", "Basic Ym9iOmh1bnRlcjI=", f"Basic {MASK}"),
        ("Proxy-Authorization", "Basic Ym9iOmh1bnRlcjI=", f"Basic {MASK}"),
        ("Authorization", "sk-live-123", MASK),  # no scheme word: all of it
        ("Cookie", "session=abc123; theme=dark", f"session={MASK}; theme={MASK}"),
        ("Set-Cookie", "sid=abc123; Path=/; HttpOnly", f"sid={MASK}; Path=/; HttpOnly"),
        ("X-API-Key", "k-123456", MASK),
        ("PASS", "hunter2", MASK),
    ],
)
def test_only_the_credential_is_masked(name, value, shown):
    assert mask_value(name, value) == shown
    parts = secret_parts(name, value)
    assert all(p in value for p in parts)
    assert mask_secrets(f"{name}: {value}", parts) == f"{name}: {shown}"


def test_the_tui_hides_only_the_credentials_bytes():
    from tutor.screens.trace_view import MASKED, field_label, masked_ranges

    line = b"Authorization: Bearer sk-live-123\r\n"
    f = Field(
        "Authorization",
        "http.authorization",
        "Bearer sk-live-123",
        "Bearer sk-live-123",
        15,
        18,
        "",
        True,
    )
    from labs.model.trace import Layer, Packet

    packet = Packet(0, 0.0, "a", "b", "HTTP", line.hex(), "", (Layer("HTTP", 0, len(line), (f,)),))
    assert field_label(f, False).startswith(f"Authorization: Bearer {MASK} {MASKED}")
    assert masked_ranges(packet) == [(22, 11)]  # "sk-live-123", not "Bearer "
