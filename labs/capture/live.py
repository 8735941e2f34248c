"""Live capture: a scapy AsyncSniffer on the lab's ports (see `labs.capture.core`
for the contract), plus the socket recording every capture keeps for what
the wire cannot show (plaintext inside TLS) and for explaining exchanges."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

from labs.capture.merge import Frame, place_inside
from labs.capture.own_sockets import own_ports
from labs.capture.reconstruct import Capture, rebuild
from labs.capture.recorder import Address
from labs.capture.sniff import Conn, frame_socket, pair_of, parse
from labs.capture.stamps import stamps_on
from labs.core.base import RawPacket
from labs.model.errors import LabError

#: Bytes of packets kept from a live capture; past it packets are counted, not kept.
MAX_CAPTURE_BYTES = 64 * 1024 * 1024
_MARKER = b"tutor-capture-marker"


class LiveCapture(Capture):
    """A scapy AsyncSniffer on the lab's ports only, plus socket recording for
    what the wire cannot show (plaintext inside TLS)."""

    def __init__(self, *args: Any, insist: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.insist = insist
        self.strip = self.iface == "lo"
        self.link = "raw-ip" if self.strip else "ethernet"
        self._cond = threading.Condition()
        #: (arrival number, time, bytes): the arrival number keeps the kernel's
        #: order when frames kept at once and frames kept once their connection
        #: proved to be the lab's are put back together.
        self._frames: list[tuple[int, float, bytes]] = []
        self._arrived = 0
        #: The program's clock when the sniffer read each frame kept (by arrival number).
        self._reads: dict[int, float] = {}
        #: Holds the kernel's receive stamps on (`labs.capture.stamps`).
        self._stamps: socket.socket | None = None
        self._kept = 0
        self._dropped = 0
        self._tcp: dict[frozenset[Address], Conn] = {}
        self._last = time.monotonic()
        self._names: dict[frozenset[Address], str] = {}
        self._marker: socket.socket | None = None
        self._marker_port = -1
        #: Each flow's verdict: "yes" the lab's, "no", or "maybe" (addressed to a
        #: lab port, but not opened by one of our sockets when first seen).
        self._flows: dict[frozenset[Address], str] = {}
        #: Frames of "maybe" flows, with the ports of the end that opened
        #: them and of the end that answered.
        self._maybe: list[tuple[int, float, bytes, tuple[int, int]]] = []
        self._openers: dict[frozenset[Address], tuple[int, int]] = {}
        #: Local ports of the sockets the lab handed to the capture (wrap,
        #: create_connection): a "maybe" flow opened from one of them is the lab's.
        self._registered: set[int] = set()
        self._markers_seen = 0
        self._sniffer: Any = None
        self._fallback: Capture | None = None

    # -- starting and stopping ------------------------------------------------

    def lab_filter(self) -> str:
        """The BPF expression for the lab's traffic (shown to the learner)."""
        parts = [f"port {p}" for p in sorted(self.ports)]
        if self.port_range:
            low, high = self.port_range
            # "portrange 53-53" is "port 53" said the long way.
            parts.append(f"port {low}" if low == high else f"portrange {low}-{high}")
        protos = {"tcp": "tcp", "udp": "udp", "any": "(tcp or udp)"}[self.proto]
        expr = f"{protos} and ({' or '.join(parts)})" if parts else protos
        if self.host:
            expr += f" and host {self.host}"
        return expr

    def _filter(self) -> str:
        expr = self.lab_filter()
        if self._marker is not None:
            m = self._marker.getsockname()[1]
            expr = f"({expr}) or (udp and src port {m} and dst port {m} and src host 127.0.0.1)"
        return expr

    def __enter__(self) -> Capture:
        # lazy: scapy is slow to import; a capture that falls back never needs it
        from scapy.sendrecv import AsyncSniffer

        self._stamps = stamps_on()  # before any traffic: frames dated on arrival, not on reading
        if self.strip:
            self._marker = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self._marker.bind(("127.0.0.1", 0))
            self._marker_port = self._marker.getsockname()[1]
        started = threading.Event()
        self._sniffer = AsyncSniffer(
            iface=self.iface,
            filter=self._filter(),
            L2socket=frame_socket(drop_outgoing=self.strip),
            prn=self._on_frame,
            store=False,
            started_callback=started.set,
        )
        try:
            self._sniffer.start()
            deadline = time.monotonic() + 5.0
            while not started.wait(0.02):
                thread = self._sniffer.thread
                if time.monotonic() > deadline or thread is None or not thread.is_alive():
                    raise OSError(str(self._sniffer.exception or "the sniffer did not start"))
        except Exception as exc:
            self.close()
            if self.insist:
                raise LabError(f"Live capture could not start: {exc}.") from exc
            self._fallback = Capture(
                self.ctx,
                self.ports,
                self.proto,
                self.iface,
                self.host,
                self.port_range,
                self.grace,
                cause=f"live capture could not start: {exc}",
            )
            self._fallback.recorder = self.recorder
        return self

    def close(self) -> None:
        sniffer, self._sniffer = self._sniffer, None
        if sniffer is not None:
            try:
                if sniffer.running:
                    sniffer.stop()
            except Exception:
                pass  # a sniffer that died already left nothing to stop
        if self._marker is not None:
            self._marker.close()
        if self._stamps is not None:
            self._stamps.close()

    @property
    def kind(self) -> str:  # type: ignore[override]
        return "reconstructed" if self._fallback else "live"

    @property
    def note(self) -> str:
        if self._fallback is not None:
            return self._fallback.note
        where = (
            "the loopback interface (lo), the machine talking to itself"
            if self.iface == "lo"
            else f"the network interface {self.iface}"
        )
        note = (
            f"Captured live on {where}, keeping only this lab's own traffic (capture filter "
            f"for tcpdump or Wireshark: {self.lab_filter()}): every header and byte "
            "is exactly what crossed the interface"
        )
        if self._dropped:
            note += f" (after {self._kept} bytes, {self._dropped} more were seen but not kept)"
        with self._cond:
            mine = self._lab_ports()
            others = {f for _n, _t, _d, f in self._maybe if not self._ours(f, mine)}
        if others:
            note += (
                f"; {len(others)} connection{'s' if len(others) != 1 else ''} other programs "
                "made to the same port at the same time were left out"
            )
        return note + "."

    # -- the sniffer thread ---------------------------------------------------

    def _on_frame(self, pkt: Any) -> None:
        frame, t, read = bytes(pkt), float(pkt.time), time.time()
        data = frame
        if self.strip:
            if frame[12:14] not in (b"\x08\x00", b"\x86\xdd"):
                return
            data = frame[14:]
        info = parse(data if self.strip else frame[14:])
        with self._cond:
            self._last = time.monotonic()
            self._arrived += 1
            if info is not None and info[1][1] == self._marker_port:
                self._markers_seen += 1
            else:
                verdict = "yes" if info is None else self._is_labs(info)
                if verdict != "no" and self._kept + len(data) > MAX_CAPTURE_BYTES:
                    self._dropped += len(data)
                elif verdict == "yes":
                    self._frames.append((self._arrived, t, data))
                    self._kept += len(data)
                    self._reads[self._arrived] = read
                elif verdict == "maybe" and info is not None:
                    opener = self._openers[frozenset((info[1], info[2]))]
                    self._maybe.append((self._arrived, t, data, opener))
                    self._kept += len(data)
                    self._reads[self._arrived] = read
                if verdict == "yes" and info is not None and info[0] == "tcp":
                    _, src, dst, flags = info
                    self._tcp.setdefault(frozenset((src, dst)), Conn()).see(src, flags)
            self._cond.notify_all()

    def _is_labs(self, info: tuple[str, Address, Address, int]) -> str:
        """Whether a packet's conversation is the lab's ("yes", "no", "maybe").

        It must start inside the capture, addressed *to* one of the lab's
        ports (a SYN, or a UDP datagram): the filter matches a port on either
        side, so another program whose ephemeral port equals a lab port is
        dropped here. And it must be opened by this process: the server may
        be the learner's, with other clients talking to the same port (see
        `labs.capture.own_sockets`). A flow whose opener is not among our
        sockets when first seen (one already closed: a refused connection)
        is kept aside and counted in if the lab registered that port."""
        proto, src, dst, flags = info
        key = frozenset((src, dst))
        verdict = self._flows.get(key)
        if verdict is None:
            opens = flags & 0x12 == 0x02 if proto == "tcp" else True
            if not opens or not self._covers(dst[1]):
                verdict = "no"
            else:
                verdict = "yes" if self._opened_here(proto, src[1], dst[1]) else "maybe"
                self._openers[key] = (src[1], dst[1])
            self._flows[key] = verdict
        return verdict

    def _opened_here(self, proto: str, sport: int, dport: int) -> bool:
        """The opening end is one of our sockets; or the far end is a port we
        listen on that is not the lab's server port (a server connecting
        back to the lab, as in active FTP)."""
        if sport in self._registered:
            return True
        ports = own_ports(proto)
        return sport in ports or (dport in ports and dport not in self.ports)

    # -- the lab's side -------------------------------------------------------

    def _lab_ports(self) -> set[int]:
        """The ports of every connection the lab opened through the capture:
        the sockets it wrapped, and those its recorder saw (requests')."""
        logs = self.recorder.logs()
        return self._registered | {log.client[1] for log in logs if log.recorded_by == "client"}

    def _ours(self, flow: tuple[int, int], mine: set[int]) -> bool:
        """A "maybe" flow (opener port, answering port) is the lab's after all
        (as `_opened_here`, with the ports the lab's sockets had)."""
        opener, answerer = flow
        return opener in mine or (answerer in mine and answerer not in self.ports)

    def _register(self, sock: Any) -> None:
        """Note the local port of a socket the lab uses (see `_is_labs`)."""
        try:
            port = int(sock.getsockname()[1])
        except (OSError, IndexError, TypeError, ValueError):
            return
        if port:
            with self._cond:
                self._registered.add(port)
        try:
            self.recorder.sockets.add(sock)  # so interrupt() can shut it down
        except TypeError:
            pass

    def _name(self, sock: Any, conversation: str, peer: Any = None) -> bool:
        """Remember which conversation a connected socket's packets belong to."""
        self._register(sock)
        try:
            ends = (sock.getsockname(), peer or sock.getpeername())
        except OSError:
            return False
        if conversation:
            self._names[frozenset((str(a[0]), int(a[1])) for a in ends)] = conversation
        return True

    def wrap(self, sock: Any, conversation: str = "", server_side: bool | None = None) -> Any:
        if self._fallback is not None:
            return self._fallback.wrap(sock, conversation, server_side)
        # A connected socket is named (and registered) now; one not yet
        # connected is adopted, to do both once it connects or first sends.
        if self._name(sock, conversation):
            return sock
        return _NamedSocket.adopt(sock, self, conversation)

    def create_connection(
        self, address: Address, timeout: float | None = None, conversation: str = ""
    ) -> Any:
        if self._fallback is not None:
            return self._fallback.create_connection(address, timeout, conversation)
        sock = socket.create_connection(address, timeout)
        self._register(sock)
        self._name(sock, conversation)
        return sock

    def record_refused(self, client: Address, server: Address, conversation: str = "") -> None:
        if self._fallback is not None:
            self._fallback.record_refused(client, server, conversation)

    def add_ports(self, *ports: int) -> None:
        uncovered = [p for p in ports if not self._covers(p)]
        if uncovered and self._fallback is None:
            raise ValueError(
                f"ports {uncovered} are outside the live filter; pass port_range to open_capture"
            )
        super().add_ports(*ports)

    def settle(self, grace: float | None = None) -> None:
        """Wait until the sniffer has seen everything sent so far (our marker
        datagram comes back after it) and every connection has closed."""
        self.ctx.check()
        if self._fallback is not None or self._sniffer is None:
            return
        deadline = time.monotonic() + (self.grace if grace is None else grace)
        with self._cond:
            target = self._markers_seen + 1
        if self._marker is not None:
            self._marker.sendto(_MARKER, self._marker.getsockname())
        while True:
            with self._cond:
                if self._marker is not None:
                    caught_up = self._markers_seen >= target
                else:
                    caught_up = time.monotonic() - self._last > 0.1
                if caught_up and all(c.finished for c in self._tcp.values()):
                    return
                if time.monotonic() >= deadline or not self._sniffer.running:
                    return
                self._cond.wait(0.05)
            self.ctx.check()

    def packets(self) -> list[RawPacket]:
        if self._fallback is not None:
            return self._fallback.packets()
        link = "raw-ip" if self.strip else "ethernet"
        with self._cond:
            mine = self._lab_ports()
            frames = self._frames + [(n, t, d) for n, t, d, f in self._maybe if self._ours(f, mine)]
            reads = dict(self._reads)
        frames.sort(key=lambda frame: frame[0])
        out = [
            Frame(
                RawPacket(
                    t, data, link, self.iface, self._names.get(pair_of(data, self.strip), "")
                ),
                reads[n],
            )
            for n, t, data in frames
        ]
        # Captured frames stay in the order the kernel handed them over (as a
        # pcap keeps them): on lo a reply's timestamp can precede its
        # question's by a few microseconds, and sorting by time would put the
        # answer first. Only the plaintext rebuilt from inside TLS goes in
        # among them, never before the frames that carried it.
        inside = rebuild(self.recorder.logs("inside-tls"))
        return place_inside(out, inside, self.strip)


class _NamedSocket(socket.socket):
    """Live capture's `wrap()` of a socket not yet connected: still a real
    socket (ssl, selectors and ftplib use it as ever), which tells the
    capture its two ends once it connects or first sends, to name its packets."""

    _capture: LiveCapture
    _conversation: str

    @classmethod
    def adopt(cls, sock: socket.socket, capture: LiveCapture, conversation: str) -> _NamedSocket:
        timeout = sock.gettimeout()
        new = cls(sock.family, sock.type, sock.proto, fileno=sock.detach())
        new.settimeout(timeout)
        new._capture, new._conversation = capture, conversation
        return new

    def connect(self, address: Any) -> None:
        try:
            super().connect(address)
        finally:
            self._capture._name(self, self._conversation, address)

    def connect_ex(self, address: Any) -> int:
        result = super().connect_ex(address)
        self._capture._name(self, self._conversation, address)
        return result

    def sendto(self, data: Any, *args: Any) -> int:
        sent = super().sendto(data, *args)
        self._capture._name(self, self._conversation, args[-1])
        return sent
