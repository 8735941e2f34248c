"""Capturing a lab's own traffic: live with scapy when privileged, otherwise
recorded at the socket and reconstructed.

CONTRACT (labs reach it through `labs.kit.capture_run`):

    with open_capture(ctx, ports=[server_port], proto="tcp", iface="lo") as cap:
        sock = cap.wrap(socket.create_connection(addr))   # records when reconstructing
        ...                                                # the lab's real traffic
        cap.settle()            # wait (bounded) until closing exchange seen
    raws = cap.packets()        # list[RawPacket], time-ordered, IP first ("raw-ip")
    cap.kind                    # "live" | "reconstructed"
    cap.note                    # one plain sentence for Trace.capture_note

open_capture(ctx, ports=(), proto="tcp", iface="lo", host=None,
             port_range=None, mode=None, grace=2.0) -> Capture
    ports: the lab's server ports (TCP or UDP per `proto`: "tcp" | "udp" |
    "any"); host: narrows the live filter to one address; port_range=(lo, hi):
    more ports the lab will use (FTP passive data ports), fixed up front
    because a live filter cannot change; mode: "live" | "reconstructed" to
    force one (default: `labs.core.system.live_capture()`, TUTOR_CAPTURE honoured);
    grace: the most `settle()` waits, in seconds.

Capture methods:
    wrap(sock, conversation="", server_side=None) -> socket-like
        Reconstructed: a `labs.capture.recording_socket.RecordingSocket` proxy that records
        connect/accept endpoints, every byte sent and received (send, sendall,
        sendto, recv, recv_into, recvfrom, makefile), shutdown and close, with
        timestamps. Wrap sockets before connect() to record the SYN's time and
        refusals. Live: a real socket, so ssl/selectors work as ever — the
        socket itself if connected, else the same descriptor in a
        socket.socket subclass that notes its ends on connect/sendto (for
        packet names). Use the returned object, not the one passed in.
        `server_side` says which end a connected socket is (default: the end
        whose port is one of `ports`).
    create_connection(address, timeout=None, conversation="") -> socket-like
        `socket.create_connection`, wrapped before connecting.
    wrap_tls(sock, context, server_hostname=None, conversation="") -> TLS socket-like
        TLS over `sock` (wrapped or not) that also records the plaintext as
        conversation origin "inside-tls" (in both modes). When `sock` is a
        recording proxy the TLS records themselves are recorded as wire bytes.
    record_refused(client, server, conversation="")
        Note a connection attempt answered with RST (reconstructed only).
    requests_adapter() -> requests.adapters.HTTPAdapter
        For labs that use a requests Session: its connections record every
        exchange in both modes (the TCP bytes, and for https the plaintext
        inside TLS), so `conversations()` has them even when live; live
        packets still come from the sniffer. Mount it on "http://" and "https://".
    add_ports(*ports)
        More server ports. Live capture cannot change its filter: ports outside
        `ports`/`port_range` raise ValueError there.
    settle(grace=None)
        Live: waits until every packet sent so far has been seen and every
        established TCP connection has closed (FIN both ways + ACK, or RST),
        at most `grace` seconds; honours `ctx.check()`. Reconstructed: returns.
    packets() -> list[RawPacket]      time-ordered; link "raw-ip" on lo
    conversations(origin=None) -> list[ConversationLog]
        What the recording sockets saw (transcripts for explaining exchanges).
    lab_filter() -> str                the BPF expression (live), for notes
    kind, note, link, recorder

Live capture keeps a conversation only if it starts inside the capture by
addressing a lab port (a SYN, or a first UDP datagram, to one of `ports` or
`port_range`): the BPF filter matches a port on either side, and on a busy
machine another program's ephemeral port can equal a lab port. ICMP is not
captured. `settle()` on `lo` sends one UDP datagram from a port it owns to
itself and waits for it to come back through the sniffer: that proves every
earlier packet has been seen, without a fixed sleep.

Leaving the `with` block always stops the sniffer, also on error or Ctrl-C.
Live capture runs on `lo` with `L2Socket` (outgoing duplicates dropped, see
LAB-ENV.md) and strips the loopback Ethernet header so packets start at IP;
on other interfaces both directions are kept with their Ethernet header
(link "ethernet").
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from labs.capture.live import LiveCapture
from labs.capture.reconstruct import Capture
from labs.core import system
from labs.core.base import LabContext
from labs.model.errors import LabError

GRACE = 2.0


def open_capture(
    ctx: LabContext,
    ports: Iterable[int] = (),
    proto: str = "tcp",
    iface: str = "lo",
    host: str | None = None,
    port_range: tuple[int, int] | None = None,
    mode: str | None = None,
    grace: float = GRACE,
) -> Capture:
    """Choose live or reconstructed capture for a lab (see the module docstring)."""
    if proto not in ("tcp", "udp", "any"):
        raise ValueError(f"proto must be tcp, udp or any, not {proto!r}")
    forced = os.environ.get(system.CAPTURE_ENV, "").strip().lower()
    live = system.live_capture()
    want = mode or ("live" if forced == "live" or live.ok else "reconstructed")
    if want == "live" and not live.ok:
        raise LabError(
            f"Live capture is not possible here: {live.reason}",
            f"Unset {system.CAPTURE_ENV} to let the lab reconstruct the packets instead.",
        )
    if want == "reconstructed":
        cause = live.reason if not live.ok else "reconstruction was asked for"
        return Capture(ctx, ports, proto, iface, host, port_range, grace, cause=_short(cause))
    return LiveCapture(
        ctx, ports, proto, iface, host, port_range, grace, insist=bool(mode) or forced == "live"
    )


def _short(reason: str) -> str:
    """The cause of reconstruction, short enough for the middle of a sentence."""
    low = reason.lower()
    if "reconstructed asks" in low or "was asked" in low:
        return f"{system.CAPTURE_ENV}=reconstructed asked for it"
    if "libpcap" in low:
        return "live capture needs libpcap"
    if "root or cap_net_raw" in low:
        return "live capture needs root or CAP_NET_RAW"
    return reason.rstrip(".")


__all__ = ["GRACE", "Capture", "LiveCapture", "open_capture"]
