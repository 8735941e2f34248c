"""--target HOST[:PORT] as the tcp-handshake and dns labs read it
(`labs.core.hostport`): the forms that work and the one-line errors for the rest.
Only IP addresses here, so nothing is looked up in DNS."""

from __future__ import annotations

import socket

import pytest

from labs.capture.where import capture_where
from labs.core.hostport import Endpoint, parse_host_port, resolve
from labs.model.errors import BadInput


@pytest.mark.parametrize(
    ("text", "default", "expected"),
    [
        ("127.0.0.1:8080", None, ("127.0.0.1", 8080)),
        (" 127.0.0.1:53 ", None, ("127.0.0.1", 53)),
        ("[::1]:8080", None, ("::1", 8080)),
        ("127.0.0.1", 53, ("127.0.0.1", 53)),
        ("::1", 53, ("::1", 53)),
        ("[::1]", 53, ("::1", 53)),
        ("localhost:5353", 53, ("localhost", 5353)),
    ],
)
def test_good_forms(text, default, expected):
    assert parse_host_port(text, default, "hint") == expected


@pytest.mark.parametrize(
    ("text", "default"),
    [
        ("127.0.0.1", None),
        ("[::1]", None),
        ("ftp://127.0.0.1:21", None),
        ("127.0.0.1:65536", 53),
        ("1:2:3:x", 53),
        ("user@127.0.0.1:21", None),
        ("", 53),
    ],
)
def test_bad_forms_are_one_line(text, default):
    with pytest.raises(BadInput) as info:
        parse_host_port(text, default, "Give HOST:PORT.")
    assert "\n" not in str(info.value) and info.value.exit_code == 2


def test_resolve_and_where_for_loopback():
    server = resolve("127.0.0.1", 53, socket.SOCK_DGRAM)
    assert server == Endpoint(socket.AF_INET, "127.0.0.1", 53)
    assert server.shown == "127.0.0.1:53" and server.loopback
    assert capture_where(server) == ("lo", None)
    v6 = Endpoint(socket.AF_INET6, "::1", 53)
    assert v6.shown == "[::1]:53" and capture_where(v6) == ("lo", None)
