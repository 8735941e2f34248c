"""The tls lab's embedded HTTPS server: a real TLS handshake on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import ssl

import pytest
from cryptography import x509

from labs.catalog.tls.server import DEFAULT_PATH, SERVER_NAME, https_server
from labs.core.hostport import port_is_closed


def _get(port: int, ca_pem: bytes | None, name: str, path: str) -> tuple[bytes, bytes]:
    """(the server's certificate, DER; the raw HTTP response)"""
    context = ssl.create_default_context(cadata=ca_pem.decode() if ca_pem else None)
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    with context.wrap_socket(raw, server_hostname=name) as tls:
        cert = tls.getpeercert(binary_form=True)
        tls.sendall(f"GET {path} HTTP/1.1\r\nHost: {name}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := tls.recv(4096):
            data += chunk
    return cert, data


def test_serves_json_with_a_certificate_for_the_shop_name():
    with https_server() as server:
        der, data = _get(server.port, server.ca_pem, SERVER_NAME, DEFAULT_PATH)
        cert = x509.load_der_x509_certificate(der)
    head, body = data.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200")
    assert json.loads(body)["id"] == 42
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert SERVER_NAME in names.get_values_for_type(x509.DNSName)
    days = (cert.not_valid_after_utc - cert.not_valid_before_utc).days
    assert days == 91  # yesterday + 90 days, like a typical public certificate


def test_unknown_path_is_404_and_untrusted_ca_fails_verification():
    with https_server() as server:
        _cert, data = _get(server.port, server.ca_pem, "localhost", "/nope")
        assert data.startswith(b"HTTP/1.1 404")
        with pytest.raises(ssl.SSLCertVerificationError):
            _get(server.port, None, SERVER_NAME, DEFAULT_PATH)
        # the server survives a client that rejected it
        _cert, data = _get(server.port, server.ca_pem, SERVER_NAME, DEFAULT_PATH)
        assert data.startswith(b"HTTP/1.1 200")
    assert port_is_closed("127.0.0.1", server.port)


def test_each_server_has_its_own_ca():
    with https_server() as one, https_server(organization="Other") as two:
        with pytest.raises(ssl.SSLCertVerificationError):
            _get(two.port, one.ca_pem, SERVER_NAME, DEFAULT_PATH)
