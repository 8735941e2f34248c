"""Bytes -> layers -> fields -> plain language, using scapy's own dissection.

CONTRACT (implemented by the wire-engine work; labs code against this):

    from labs.dissect import build_trace, dissect_packet

    packet = dissect_packet(raw, index=0, t0=raws[0].time, decode_as={8053: "dns"})
    trace = build_trace(
        lab="dns", target="127.0.0.1:8053", capture=cap.kind, raws=raws,
        capture_note=cap.note, decode_as={8053: "dns"},
        steps=None,            # None: default grouping (dns, tcp-connect, tls,
                               # request, response, close); or a callable
                               # (packets: tuple[Packet, ...]) -> tuple[Step, ...]
        sections=(), facts=(), started=iso_time, duration=seconds,
    )

- Each Packet has layers with fields: byte offset/length within the packet,
  Wireshark display-filter name, value as Wireshark prints it, a short
  reading, and an `explain` for fields that matter to a learner; a plain
  sentence for the packet derived from its bytes (flags, ports, direction).
- `decode_as` maps a port to a protocol name ("http", "dns", "ftp",
  "ftp-data", "tls") for servers on non-standard ports; well-known ports and
  simple heuristics (an HTTP request line, a TLS record header) work without.
- Unknown protocols become a "Data" layer of bytes, never an exception.
"""

from __future__ import annotations
