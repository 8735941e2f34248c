"""Who is who in a capture's conversations, as the narration tells it: the
client and the server of each (`Roles`), the learner's own side ("your
computer"), and the handshake numbers that let it count bytes from 1."""

from __future__ import annotations

import heapq
from collections.abc import Iterable

from labs.dissect import idle


class Ends:
    """Endpoints to forget once the last packet that names them is read
    (as the first pass over a capture finds it, `labs.files.survey`): who is
    a client must not grow with a capture of many short connections. Each
    endpoint has one such packet, so it is waited for once."""

    def __init__(self) -> None:
        self.heap: list[tuple[int, str]] = []
        self.waited: set[str] = set()

    def after(self, end: str, last: int) -> None:
        """No packet after `last` names `end` (-1: not known)."""
        if last >= 0 and end not in self.waited:
            self.waited.add(end)
            heapq.heappush(self.heap, (last, end))

    def gone(self, index: int) -> list[str]:
        """The endpoints no packet from `index` on names (each given once)."""
        heap = self.heap
        out = []
        while heap and heap[0][0] < index:
            end = heapq.heappop(heap)[1]
            self.waited.discard(end)
            out.append(end)
        return out


class Roles:
    """Who is the client: the side that sent the first SYN of a conversation,
    else the side not on a known server port (`server_ports`: the ports a
    lab gave as `decode_as`, where its servers listen even when the port is
    as high as the client's), else the side on the higher (ephemeral) port.
    `client` ("IP" or "IP:PORT") names the learner's side, which the
    narration calls "your computer"."""

    def __init__(self, client: str | None = None, server_ports: Iterable[int] = ()):
        self.client = client
        self.server_ports = frozenset(server_ports)
        self.clients: set[str] = set()
        self.servers: set[str] = set()
        #: connection attempts seen: (client, server) -> flags seen so far
        self.syns: dict[tuple[str, str], int] = {}
        #: one direction (sender, receiver) -> the sender's initial sequence
        #: number, to count bytes from 1 (a server's endpoint is the same in
        #: all its connections, so the endpoint alone would mix them up)
        self.isn: dict[tuple[str, str], int] = {}
        #: one direction -> the sequence number its FIN used (a FIN counts as one byte)
        self.fin: dict[tuple[str, str], int] = {}
        #: conversations idle for a sweep: their entries in the three tables
        #: above as bytes (`labs.dissect.idle`), by "a b" (sorted ends)
        self.frozen: dict[str, bytes] = {}
        #: data port -> the FTP command that offered it (PORT, EPRT, PASV), to say
        #: whose bytes a connection Wireshark shows as plain data carries
        self.offered: dict[int, str] = {}
        #: conversation (sorted ends) -> when a TCP segment last came to it
        self._touched: dict[tuple[str, str], int] = {}
        self._count = 0
        #: the clients and servers to forget after their last packet
        self._ends = Ends()

    def touch(self, src: str, dst: str) -> None:
        """A TCP segment between `src` and `dst` is read: what was frozen of
        their conversation comes back, and idle conversations are frozen."""
        a, b = (src, dst) if src <= dst else (dst, src)
        tables = (self.syns, self.isn, self.fin)
        if self.frozen:
            blob = self.frozen.pop(f"{a} {b}", None)
            if blob is not None:
                idle.thaw_roles(blob, tables, a, b)
        self._count += 1
        self._touched[(a, b)] = self._count
        if self._count % idle.SWEEP == 0:
            since = self._count - idle.SWEEP
            for a, b in [k for k, last in self._touched.items() if last <= since]:
                del self._touched[(a, b)]
                blob = idle.freeze_roles(tables, a, b)
                if blob is not None:
                    self.frozen[f"{a} {b}"] = blob

    def note_syn(self, src: str, dst: str) -> None:
        self.learn(src, dst)
        self.syns[(src, dst)] = 1

    def learn(self, src: str, dst: str, src_last: int = -1, dst_last: int = -1) -> None:
        """A SYN from `src` to `dst` was seen (here, or in another process
        reading other conversations of the same capture); no packet after
        `src_last` names `src`, nor after `dst_last` `dst` (-1: not known)."""
        self.clients.add(src)
        self.servers.add(dst)
        if src_last >= 0 or dst_last >= 0:
            self._ends.after(src, src_last)
            self._ends.after(dst, dst_last)

    def expire(self, index: int) -> None:
        """Packet `index` is next: forget the clients and servers no packet
        from it on names (what `is_client` says of every later packet stays)."""
        heap = self._ends.heap
        if heap and heap[0][0] < index:
            for end in self._ends.gone(index):
                self.clients.discard(end)
                self.servers.discard(end)

    def is_client(self, src: str, dst: str) -> bool:
        if src in self.clients or dst in self.servers:
            return True
        if dst in self.clients or src in self.servers:
            return False
        sport, dport = port_of(src), port_of(dst)
        if sport is None or dport is None:
            return False
        to_server, from_server = dport in self.server_ports, sport in self.server_ports
        if to_server != from_server:
            return to_server
        return sport > dport

    def name(self, endpoint: str, client_side: bool) -> str:
        """`endpoint` as the narration names it. With `client` given as an
        address only, both ends of a loopback conversation match it, so only
        the client side of the conversation is "your computer"."""
        c = self.client
        if c and (endpoint == c or (client_side and _host(endpoint) == c)):
            return f"your computer ({endpoint})"
        return endpoint

    def names(self, src: str, dst: str) -> tuple[str, str]:
        src_is_client = self.is_client(src, dst)
        return self.name(src, src_is_client), self.name(dst, not src_is_client)


def _host(endpoint: str) -> str:
    head, sep, tail = endpoint.rpartition(":")
    host = head if sep and tail.isdigit() else endpoint
    return host.strip("[]")


def port_of(endpoint: str) -> int | None:
    head, _, tail = endpoint.rpartition(":")
    return int(tail) if head and tail.isdigit() else None
