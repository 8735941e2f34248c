"""A capture imports only the protocol modules its packets need (issue 10:
start-up on a small file no slower than tshark's), and the protocol each
packet is handed to is the one it was when every module was imported."""

from __future__ import annotations

from fresh_python import python


def _loaded_after_explaining(capture: str) -> list[str]:
    loaded = python(
        f"""
        import contextlib, io, json, sys
        from tutor.cli import main

        with contextlib.redirect_stdout(io.StringIO()):
            assert main(["explain", "--json", {capture!r}]) == 0
        print(json.dumps(sorted(m for m in sys.modules if m.startswith("labs.dissect.proto."))))
        """
    )
    assert isinstance(loaded, list)
    return [m.rsplit(".", 1)[1] for m in loaded]


def test_a_plain_http_capture_imports_no_other_protocol_module():
    loaded = _loaded_after_explaining("tests/data/pcaps/http.pcap")
    assert "http" in loaded
    others = ("tls", "pgsql", "quic", "http2", "ftp", "dns", "smtp", "mail", "wifi", "inet6")
    others += ("ppp", "l2tp", "l2tp3", "tunnel")  # no PPPoE or L2TP tunnel in it either
    assert [m for m in others if m in loaded] == []


def test_a_tls_capture_imports_tls_but_not_postgresql():
    loaded = _loaded_after_explaining("tests/data/pcaps/tls.pcap")
    assert "tls" in loaded
    assert [m for m in ("pgsql", "ftp", "wifi") if m in loaded] == []


def test_the_directory_names_what_the_modules_register():
    """What picks a protocol before its module is imported (its port, its
    detect heuristic, in order) is what the module registers; a header
    mapper comes from a module imported before any packet, or from one
    scapy's packets import."""
    found = python(
        """
        import json
        from labs.dissect import proto
        from labs.dissect.layers import dissect_layers
        from labs.dissect.proto.base import APPS, HEADERS

        proto.load_headers()
        headers = dict(HEADERS)
        proto.load()
        print(json.dumps({
            "registered": [
                [a.name, a.dissect.__module__.rsplit(".", 1)[1], *a.transport, a.ports,
                 a.detect is not None]
                for a in APPS.values()
            ],
            "directory": proto.DIRECTORY,
            "late headers": sorted(k for k, v in HEADERS.items() if headers.get(k) is not v),
        }))
        """
    )
    assert isinstance(found, dict)
    assert found["registered"] == found["directory"]
    assert found["late headers"] == []
