"""tcp.analysis.rto is tshark's value to the capture's precision: a
nanosecond capture's retransmission timeout to the nanosecond (tshark 4.0
says 0.030277646 for frame 28 of lossy-http.pcapng, whose packets are in
2026, where an epoch float is only ~0.24 µs fine)."""

from __future__ import annotations

from pathlib import Path

from labs.dissect.tcp_analysis import Analyzer, Segment

#: lossy-http.pcapng's first packet, in nanoseconds since the epoch
T0 = 1_796_242_052_226_600_320
C, S = "192.0.2.2:40608", "192.0.2.1:8080"


def _rto(sent_ns: int, again_ns: int) -> tuple[str, str]:
    """tcp.analysis.rto and its shown text for a segment sent at `sent_ns`
    and again, unacknowledged, at `again_ns` (after a handshake)."""
    shake = [
        (C, S, 1000, 0, 0x02, 0, 0),
        (S, C, 5000, 1001, 0x12, 0, 17_281),
        (C, S, 1001, 5001, 0x10, 0, 30_225),
        (C, S, 1001, 5001, 0x18, 100, sent_ns),
        (C, S, 1001, 5001, 0x18, 100, again_ns),
    ]
    analyzer = Analyzer()
    found = None
    for i, (src, dst, seq, ack, flags, size, ns) in enumerate(shake):
        t = (T0 + ns) / 1e9
        found = analyzer.analyze(
            Segment(src, dst, seq, ack, flags, size, 500, None, t, i, ns=T0 + ns), 34
        )
    assert found is not None
    (rto,) = (f for f in found.fields if f.filter == "tcp.analysis.rto")
    return rto.value, rto.show


def test_a_nanosecond_rto_is_tshark_s_to_the_nanosecond():
    # The two times of frames 18 and 28 of lossy-http.pcapng.
    value, show = _rto(30_000_000, 30_000_000 + 30_277_646)
    assert (value, show) == ("0.030277646", "0.030 s")


def test_a_microsecond_rto_keeps_its_zeros():
    value, _ = _rto(1_000_000, 1_000_000 + 200_123_000)
    assert value == "0.200123000"


def test_a_nanosecond_capture_gives_tsharks_rto_end_to_end() -> None:
    """lossy-http.pcapng has nanosecond stamps: the reader keeps them exact
    (`RawPacket.ns`) and every tcp.analysis.rto is tshark 4.0's
    (`tshark -T fields -e frame.number -e tcp.analysis.rto -Y tcp.analysis.rto`)."""
    from labs.files.explain import explain_file

    capture = Path(__file__).parent / "data" / "pcaps" / "lossy-http.pcapng"
    got = {
        p.index + 1: f.value
        for p in explain_file(capture).packets
        for layer in p.layers
        for f in layer.fields
        if f.filter == "tcp.analysis.rto"
    }
    assert got == {
        28: "0.030277646", 34: "0.018176429", 50: "0.018170703", 52: "0.030286042",
        54: "0.042757368", 56: "0.060926221", 66: "0.238618802", 68: "0.238654563",
    }  # fmt: skip
