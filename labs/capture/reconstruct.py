"""Rebuilding IP/TCP/UDP packets from what was recorded at the socket.

When a lab cannot capture (no root or CAP_NET_RAW), `labs.capture.recorder` keeps the
exact bytes each side sent and when; this module turns them into the packets
Linux would have put on the wire, built with scapy so every checksum and
length is right and a pcap of them opens in Wireshark:

- TCP: SYN / SYN-ACK / ACK with realistic initial sequence numbers and the
  options Linux sends (MSS, SACK permitted, timestamps, window scale); data
  cut into segments at the MSS with correct seq/ack and PSH on the last
  segment of each burst; an ACK for each burst unless the answer carries it;
  FIN exchange, or RST when a side reset or closed with unread data; a SYN
  answered by RST for a refused connection; SYN retransmissions for a
  connection that timed out.
- UDP: one datagram per send.
- Plaintext recorded inside TLS (origin "inside-tls"): data segments only,
  cut at 16 KiB (the most a TLS record carries), never a handshake.

Payload bytes are exact; headers, segment boundaries and timings are rebuilt.

`Capture` is that reconstructed capture, as `labs.capture.core.open_capture`
returns it (the contract is there), and the base of `labs.capture.live`'s.
"""

from __future__ import annotations

import ipaddress
import random
import socket
from collections.abc import Iterable
from typing import Any

from labs.capture.recorder import Address, ConversationLog, Event, Recorder
from labs.capture.recording_socket import RecordingSocket
from labs.core.base import LabContext, RawPacket

#: Linux's initial retransmission timeout, doubled after each try.
SYN_RTO = 1.0
#: Seconds between packets that one event produces (SYN-ACK then ACK...).
TICK = 1e-5
#: Plaintext per TLS record.
TLS_RECORD = 16384


def _is_loopback(addr: Address) -> bool:
    return ipaddress.ip_address(addr[0]).is_loopback


class _End:
    """One end of a rebuilt TCP connection: its next sequence number, its
    timestamp clock and IP id counter."""

    def __init__(self, addr: Address, rng: random.Random, loopback: bool) -> None:
        self.addr = addr
        self.isn = rng.getrandbits(32)
        self.seq = self.isn
        self.ts_base = rng.getrandbits(32)
        self.ts_start: float | None = None
        self.ip_id = rng.getrandbits(16)
        self.last_ts = 0
        self.syn_window = 65495 if loopback else 64240
        self.window = 512 if loopback else 502  # scaled by 2**7

    def tsval(self, t: float) -> int:
        if self.ts_start is None:
            self.ts_start = t
        return (self.ts_base + int((t - self.ts_start) * 1000)) & 0xFFFFFFFF


class _TcpBuilder:
    def __init__(self, log: ConversationLog, rng: random.Random) -> None:
        loopback = _is_loopback(log.client) and _is_loopback(log.server)
        self.log = log
        self.ends = {
            "client": _End(log.client, rng, loopback),
            "server": _End(log.server, rng, loopback),
        }
        # Linux on loopback: MTU 65536, so MSS 65495; 12 bytes of timestamps per segment.
        self.mss = 65495 if loopback else 1460
        self.chunk = TLS_RECORD if log.origin == "inside-tls" else self.mss - 12
        self.out: list[RawPacket] = []
        self.t = 0.0

    def _at(self, t: float) -> float:
        self.t = max(t, self.t + TICK)
        return self.t

    def emit(
        self,
        sender: str,
        t: float,
        flags: str,
        payload: bytes = b"",
        syn: bool = False,
        seq: int | None = None,
    ) -> None:
        # lazy: scapy takes about 0.2 s to import; paid when packets are first rebuilt
        from scapy.layers.inet import IP, TCP
        from scapy.layers.inet6 import IPv6
        from scapy.packet import Raw

        me = self.ends[sender]
        other = self.ends["server" if sender == "client" else "client"]
        t = self._at(t)
        ack = other.seq if "A" in flags else 0
        options: list[tuple[str, object]] = []
        if "R" not in flags:
            ts = ("Timestamp", (me.tsval(t), other.last_ts if "A" in flags else 0))
            if syn:
                options = [("MSS", self.mss), ("SAckOK", b""), ts, ("NOP", None), ("WScale", 7)]
            else:
                options = [("NOP", None), ("NOP", None), ts]
            me.last_ts = me.tsval(t)
        window = 0 if "R" in flags else me.syn_window if syn else me.window
        tcp = TCP(
            sport=me.addr[1],
            dport=other.addr[1],
            seq=me.seq if seq is None else seq,
            ack=ack,
            flags=flags,
            window=window,
            options=options,
        )
        if ":" in me.addr[0]:
            ip: Any = IPv6(src=me.addr[0], dst=other.addr[0], hlim=64)
        else:
            me.ip_id = (me.ip_id + 1) & 0xFFFF
            ip = IP(src=me.addr[0], dst=other.addr[0], ttl=64, flags="DF", id=me.ip_id)
        packet = ip / tcp / Raw(payload) if payload else ip / tcp
        self.out.append(
            RawPacket(
                time=t, data=bytes(packet), conversation=self.log.name, origin=self.log.origin
            )
        )
        if seq is None:
            me.seq = (me.seq + len(payload) + (1 if syn or "F" in flags else 0)) & 0xFFFFFFFF

    # -- phases ---------------------------------------------------------------

    def handshake(self, t_syn: float, t_done: float) -> None:
        self.emit("client", t_syn, "S", syn=True)
        self.emit("server", max(t_syn, t_done - 2 * TICK), "SA", syn=True)
        self.emit("client", t_done, "A")

    def data(self, sender: str, chunks: list[Event], acked_by_reply: bool) -> None:
        payload = b"".join(e.data for e in chunks)
        first, last = chunks[0].time, chunks[-1].time
        pieces = [payload[i : i + self.chunk] for i in range(0, len(payload), self.chunk)]
        for n, piece in enumerate(pieces):
            t = first + (last - first) * n / max(1, len(pieces) - 1)
            self.emit(sender, t, "PA" if n == len(pieces) - 1 else "A", piece)
        if not acked_by_reply and self.log.origin == "wire":
            self.emit("server" if sender == "client" else "client", last + TICK, "A")

    def build(self) -> list[RawPacket]:
        events = list(self.log.events)
        if self.log.origin == "inside-tls":
            self._data_only(events)
            return self.out
        connect = next((e for e in events if e.kind == "connect"), None)
        first = events[0].time if events else 0.0
        failed = next((e for e in events if e.kind in ("refused", "timeout")), None)
        if failed is not None:
            self._failed(connect.time if connect else failed.time, failed)
            return self.out
        done = next((e for e in events if e.kind == "established"), None)
        if connect is not None or done is not None:
            t_done = done.time if done else first
            self.handshake(connect.time if connect else t_done - 3 * TICK, t_done)
        flow = [e for e in events if e.kind in ("data", "fin", "rst")]
        i = 0
        while i < len(flow):
            e = flow[i]
            if e.kind == "data":
                j = i
                while j < len(flow) and flow[j].kind == "data" and flow[j].sender == e.sender:
                    j += 1
                reply = j < len(flow) and flow[j].sender != e.sender and flow[j].kind != "rst"
                self.data(e.sender, flow[i:j], acked_by_reply=reply)
                i = j
                continue
            if e.kind == "rst":
                self.emit(e.sender, e.time, "RA")
                return self.out
            self.emit(e.sender, e.time, "FA")
            self._answer_fin(e, flow[i + 1] if i + 1 < len(flow) else None, flow[:i])
            i += 1
        return self.out

    def _answer_fin(self, fin: Event, nxt: Event | None, before: list[Event]) -> None:
        """What the other side sends after a FIN: a plain ACK, nothing (its own
        FIN-ACK comes next and acknowledges it), or, when the recording side
        closed and could not see what followed, the FIN-ACK a closing peer sends."""
        other = "server" if fin.sender == "client" else "client"
        if any(f.kind == "fin" and f.sender == other for f in before):
            self.emit(other, fin.time + TICK, "A")  # the last ACK of the close
        elif nxt is not None and nxt.kind == "fin" and nxt.sender == other:
            return
        elif nxt is None and fin.sender == self.log.recorded_by:
            self.emit(other, fin.time + TICK, "FA")
            self.emit(fin.sender, fin.time + 2 * TICK, "A")
        else:
            self.emit(other, fin.time + TICK, "A")

    def _failed(self, t_syn: float, failed: Event) -> None:
        self.emit("client", t_syn, "S", syn=True)
        if failed.kind == "refused":
            self.emit("server", failed.time, "RA", seq=0)
            return
        rto, t = SYN_RTO, t_syn + SYN_RTO
        while t < failed.time:
            self.emit("client", t, "S", syn=True, seq=self.ends["client"].isn)
            rto *= 2
            t += rto

    def _data_only(self, events: list[Event]) -> None:
        data = [e for e in events if e.kind == "data"]
        i = 0
        while i < len(data):
            j = i
            while j < len(data) and data[j].sender == data[i].sender:
                j += 1
            self.data(data[i].sender, data[i:j], acked_by_reply=True)
            i = j


def _udp(log: ConversationLog, rng: random.Random) -> list[RawPacket]:
    # lazy: scapy is slow to import (see _TcpBuilder.emit)
    from scapy.layers.inet import IP, UDP
    from scapy.layers.inet6 import IPv6
    from scapy.packet import Raw

    out = []
    ip_id = {"client": rng.getrandbits(16), "server": rng.getrandbits(16)}
    for e in log.events:
        if e.kind != "data":
            continue
        src, dst = (log.client, log.server) if e.sender == "client" else (log.server, log.client)
        if ":" in src[0]:
            ip: Any = IPv6(src=src[0], dst=dst[0], hlim=64)
        else:
            ip_id[e.sender] = (ip_id[e.sender] + 1) & 0xFFFF
            ip = IP(src=src[0], dst=dst[0], ttl=64, flags="DF", id=ip_id[e.sender])
        packet = ip / UDP(sport=src[1], dport=dst[1]) / Raw(e.data)
        out.append(RawPacket(e.time, bytes(packet), conversation=log.name, origin=log.origin))
    return out


def rebuild(logs: Iterable[ConversationLog], seed: int | None = None) -> list[RawPacket]:
    """The packets the recorded conversations put on the wire, in time order."""
    rng = random.Random(seed)
    out: list[RawPacket] = []
    for log in logs:
        if log.proto == "udp":
            out.extend(_udp(log, rng))
        else:
            out.extend(_TcpBuilder(log, rng).build())
    out.sort(key=lambda r: r.time)
    return out


class Capture:
    """A lab's traffic recorded at the socket and rebuilt into packets
    (the base for live capture, which adds a sniffer)."""

    kind = "reconstructed"

    def __init__(
        self,
        ctx: LabContext,
        ports: Iterable[int],
        proto: str,
        iface: str,
        host: str | None,
        port_range: tuple[int, int] | None,
        grace: float,
        cause: str = "",
    ) -> None:
        self.ctx = ctx
        self.ports = set(ports)
        self.proto = proto
        self.iface = iface
        self.host = host
        self.port_range = port_range
        self.grace = grace
        self.cause = cause
        self.recorder = Recorder(RecordingSocket, self.ports)
        self.link = "raw-ip"

    def __enter__(self) -> Capture:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        pass

    def interrupt(self) -> None:
        """Shut down every socket of the lab (on cancel): a read blocked on
        one returns now instead of at its timeout."""
        for sock in list(self.recorder.sockets):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except (OSError, AttributeError, ValueError):
                pass

    @property
    def note(self) -> str:
        return (
            f"Reconstructed, not captured ({self.cause}): the payload bytes are exactly what "
            "was sent and received, recorded at the socket, but the IP, TCP and UDP headers "
            "around them (sequence numbers, flags, segment sizes, timings) were rebuilt by tutor."
        )

    def _covers(self, port: int) -> bool:
        lo, hi = self.port_range or (1, 0)
        return port in self.ports or lo <= port <= hi

    def add_ports(self, *ports: int) -> None:
        self.ports.update(ports)
        self.recorder.server_ports.update(ports)

    def wrap(self, sock: Any, conversation: str = "", server_side: bool | None = None) -> Any:
        return self.recorder.wrap(sock, conversation, server_side=server_side)

    def create_connection(
        self, address: Address, timeout: float | None = None, conversation: str = ""
    ) -> Any:
        return self.recorder.create_connection(address, timeout, name=conversation)

    def wrap_tls(
        self,
        sock: Any,
        context: Any,
        server_hostname: str | None = None,
        conversation: str = "",
    ) -> Any:
        local, peer = sock.getsockname()[:2], sock.getpeername()[:2]
        if isinstance(sock, RecordingSocket):
            # ssl cannot wrap a Python proxy; a memory-BIO transport can, and
            # sends its records through the proxy, which records them.
            # lazy: urllib3 is only needed for TLS through a recording proxy
            from urllib3.util.ssltransport import SSLTransport

            tls: Any = SSLTransport(sock, context, server_hostname)  # type: ignore[arg-type]
        else:
            tls = context.wrap_socket(sock, server_hostname=server_hostname)
        return self.recorder.wrap(
            tls, conversation, origin="inside-tls", server_side=False, addresses=(local, peer)
        )

    def record_refused(self, client: Address, server: Address, conversation: str = "") -> None:
        self.recorder.record_refused(client, server, conversation)

    def requests_adapter(self) -> Any:
        from labs.capture.http_adapter import recording_adapter  # lazy: requests is slow to import

        return recording_adapter(self)

    def settle(self, grace: float | None = None) -> None:
        self.ctx.check()

    def conversations(self, origin: str | None = None) -> list[ConversationLog]:
        return self.recorder.logs(origin)

    def packets(self) -> list[RawPacket]:
        return rebuild(self.recorder.logs())
