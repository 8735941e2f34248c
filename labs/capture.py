"""Capturing a lab's own traffic: live with scapy when privileged, otherwise
recorded at the socket and reconstructed.

CONTRACT (implemented by the wire-engine work; labs code against this):

    from labs.capture import open_capture

    with open_capture(ctx, ports=[server_port], proto="tcp", iface="lo") as cap:
        sock = cap.wrap(socket.create_connection(addr))   # records when reconstructing
        ...                                                # the lab's real traffic
        cap.settle()            # wait (bounded) until closing exchange seen
    raws = cap.packets()        # list[RawPacket], time-ordered, IP first ("raw-ip")
    cap.kind                    # "live" | "reconstructed"
    cap.note                    # one plain sentence for Trace.capture_note

- Live (root/CAP_NET_RAW and libpcap, `labs.system.live_capture()`):
  scapy AsyncSniffer on `iface` with a BPF filter built from `ports`/`proto`
  (and `host`), outgoing duplicates on `lo` dropped (LAB-ENV.md), started
  with `started_callback` and waited on before the lab sends anything.
  Ethernet headers captured on `lo` are stripped so packets start at IP.
  `wrap()` returns the socket unchanged.
- Reconstructed: `wrap(sock, conversation="")` returns a proxy that records
  connect/accept endpoints, every byte sent and received (send, sendall,
  sendto, recv, recv_into, recvfrom), shutdown and close, with timestamps;
  `record_refused(client, server)` notes a connection attempt answered with
  RST; `packets()` rebuilds IP/TCP (handshake, data segments with correct
  seq/ack, FIN exchange) or IP/UDP packets from those events.
  `requests_adapter()` returns an `HTTPAdapter` whose connections are wrapped
  (for labs that use a requests Session); it is a plain adapter when live.
- `add_ports(*ports)`: more ports belong to the lab (FTP data connections).
  Live capture cannot change its BPF, so labs that will need more ports pass
  `port_range=(lo, hi)` to open_capture up front.
- Leaving the `with` block always stops the sniffer, also on error or
  Ctrl-C; `ctx.check()` is honoured while settling.
"""

from __future__ import annotations
