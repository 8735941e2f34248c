"""TLS's goodbye: the encrypted alert each side sends when it is done
(close_notify) is neither a request nor part of the handshake. In TLS 1.3
only its size shows it (19 bytes with a 16-byte tag), so tutor says what
the size shows and no more; in TLS 1.2 its type (21, Alert) is readable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from explain_runs import parallel, serial
from fresh_python import python
from scapy.layers.inet import TCP
from scapy.layers.l2 import Ether

from labs.core.base import RawPacket
from labs.files import explain
from labs.files.explain import explain_file
from labs.files.pcapio import read_capture, write_pcap

PROGRAMS = Path(__file__).parent / "data" / "programs"
HTTPS = PROGRAMS / "https.pcapng"  # curl to openssl s_server, TLS 1.3
HTTPS12 = PROGRAMS / "https-tls12.pcapng"


@pytest.fixture(autouse=True)
def forking(monkeypatch):
    monkeypatch.setattr(explain, "_can_fork", lambda: True)


def _steps(path: Path) -> dict[int, tuple[str, str]]:
    """Each packet's step: (name, title)."""
    trace = explain_file(path)
    return {i: (s.name, s.title) for s in trace.steps for i in s.packets}


def _exchanges(path: Path) -> set[int]:
    return {phase.exchange for phase in explain_file(path).waterfall}


def test_a_tls13_record_of_an_alerts_size_before_the_close_is_no_request():
    steps = _steps(HTTPS)
    # #13 (server) and #14 (client): 19 encrypted bytes each, then only FINs and ACKs.
    assert steps[13] == steps[14] == ("goodbye", "Say goodbye, most likely (TLS)")
    assert [i for i, (name, _t) in steps.items() if name == "request"] == [8]
    assert steps[15][0] == "close"
    # The waterfall draws one exchange: the request, the wait, the download.
    assert _exchanges(HTTPS) == {0}
    download = next(p for p in explain_file(HTTPS).waterfall if p.name == "download")
    assert download.packets == (9, 10, 11)


def test_the_words_say_what_the_size_shows_and_no_more():
    trace = explain_file(HTTPS)
    p = trace.packets[14]
    assert "exactly the size of an encrypted TLS alert" in p.explain
    assert "16-byte tag" in p.explain and "hides whether it is one" in p.explain
    assert "request" not in p.explain
    tls = next(layer for layer in p.layers if layer.name.startswith("TLS"))
    fields = {f.filter: f.value for f in tls.fields if f.filter}
    # Wireshark's fields keep tshark's values.
    assert fields["tls.record.opaque_type"] == "23"
    assert fields["tls.record.length"] == "19"
    # The reading is tutor's own: no Wireshark filter name.
    mine = [f for f in tls.fields if f.filter is None]
    assert len(mine) == 1 and mine[0].value == "19" and "no Wireshark field" in mine[0].explain
    step = next(s for s in trace.steps if s.name == "goodbye")
    assert "192.0.2.1:443 and 192.0.2.2:46510 each send one encrypted record of 19 bytes" in (
        step.explain
    )
    assert "close_notify, RFC 8446 §6.1" in step.explain
    # A record of another size (the request) says nothing of alerts.
    assert "alert" not in trace.packets[8].explain


def test_a_tls12_encrypted_alert_is_the_goodbye_not_the_handshake():
    steps = _steps(HTTPS12)
    assert steps[12] == steps[13] == ("goodbye", "Say goodbye, most likely (TLS)")
    assert [i for i, (name, _t) in steps.items() if name == "tls"] == [3, 4, 5, 6, 7, 8]
    assert _exchanges(HTTPS12) == {0}
    trace = explain_file(HTTPS12)
    assert "its type, 21 (Alert), is readable" in trace.packets[12].explain
    step = next(s for s in trace.steps if s.name == "goodbye")
    assert "each send an encrypted TLS alert" in step.explain


def _with_data_after_the_alert(tmp_path: Path) -> Path:
    """https.pcapng with one more request record from the client right
    after its 19-byte record: that record was not its side's last."""
    raws = read_capture(HTTPS)[0]
    extra = bytes(Ether(raws[8].data)[TCP].payload)  # the request's record, 98 bytes
    out: list[RawPacket] = []
    for i, r in enumerate(raws):
        frame = Ether(r.data)
        tcp = frame[TCP]
        if i >= 15 and tcp.sport == 46510:  # the client's FIN comes after the new bytes
            tcp.seq += len(extra)
        elif i == 17:  # and the server's last ACK acknowledges them
            tcp.ack += len(extra)
        del frame["IP"].chksum, tcp.chksum
        out.append(RawPacket(r.time, bytes(frame), r.link))
        if i == 14:  # right after the client's 19-byte record (24 bytes with its header)
            more = frame.copy()
            more[TCP].seq += 24
            more[TCP].remove_payload()
            more = more / extra
            del more["IP"].len
            out.append(RawPacket(r.time + 0.0001, bytes(more), r.link))
    path = tmp_path / "more.pcap"
    write_pcap(out, path)
    return path


def test_more_data_from_that_side_takes_the_goodbye_back(tmp_path):
    path = _with_data_after_the_alert(tmp_path)
    steps = _steps(path)
    assert steps[13][0] == "goodbye"  # the server sent nothing after its own
    assert steps[14][0] == steps[15][0] == "request"
    assert _exchanges(path) == {0, 1}
    assert parallel(path) == serial(path)


@pytest.mark.parametrize("name", ["https.pcapng", "https-tls12.pcapng", "tls13-resume.pcapng"])
def test_one_process_and_two_say_the_same(name):
    path = PROGRAMS / name
    text = parallel(path)
    assert text == serial(path)
    steps = json.loads(text)["steps"]
    assert "request" not in [s["name"] for s in steps[-3:]]


def test_a_capture_without_tls_does_not_load_the_tls_reader():
    # The goodbye step reads what the TLS reader marked; telling it must not
    # cost a capture without TLS the reader's import (start-up time).
    loaded = python(
        """
        import contextlib, io, json, sys
        from tutor.cli import main

        with contextlib.redirect_stdout(io.StringIO()):
            assert main(["explain", "--json", "tests/data/pcaps/http.pcap"]) == 0
        print(json.dumps(sorted(m for m in sys.modules if m.startswith("labs.dissect.proto.tls"))))
        """
    )
    assert loaded == []
