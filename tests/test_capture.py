"""The capture engine against real sockets on 127.0.0.1: packets rebuilt from
the socket (any user) and captured live (root), each checked header by header."""

from __future__ import annotations

import os
import socket
import threading
import time

import pytest
from scapy.layers.inet import IP, TCP, UDP

from labs.capture.core import open_capture
from labs.core.base import LabContext
from labs.model.errors import Cancelled


class LineServer:
    """Reads one line, answers it, then closes after the client does."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                try:
                    self._answer(conn)
                except OSError:
                    pass  # the client reset or timed out: nothing to answer

    def _answer(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        data = b""
        while not data.endswith(b"\n"):
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
        conn.sendall(b"echo " + data)
        while conn.recv(4096):
            pass

    def close(self) -> None:
        self.sock.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
        self.sock.close()
        self.thread.join(5)


@pytest.fixture
def server():
    srv = LineServer()
    yield srv
    srv.close()


def talk(cap, port: int, line: bytes = b"hello\n") -> bytes:
    sock = cap.wrap(socket.socket(), "talk")
    sock.settimeout(5)
    sock.connect(("127.0.0.1", port))
    sock.sendall(line)
    answer = sock.recv(4096)
    sock.shutdown(socket.SHUT_WR)
    while sock.recv(4096):
        pass
    sock.close()
    return answer


def tcp_packets(raws):
    return [IP(r.data) for r in raws if IP(r.data).haslayer(TCP)]


def flags(pkts) -> list[str]:
    return [str(p[TCP].flags) for p in pkts]


def check_conversation(pkts, client_port: int, server_port: int, line: bytes) -> None:
    """Handshake, data and close with seq/ack that follow each other exactly."""
    syn, synack, ack = pkts[0], pkts[1], pkts[2]
    assert flags(pkts[:3]) == ["S", "SA", "A"]
    assert syn[TCP].sport == client_port and syn[TCP].dport == server_port
    assert synack[TCP].ack == syn[TCP].seq + 1
    assert ack[TCP].ack == synack[TCP].seq + 1
    payload = b"".join(bytes(p[TCP].payload) for p in pkts if p[TCP].sport == client_port)
    assert payload == line
    answer = b"".join(bytes(p[TCP].payload) for p in pkts if p[TCP].sport == server_port)
    assert answer == b"echo " + line
    assert sum("F" in f for f in flags(pkts)) == 2
    # Every packet's seq continues where that side's previous bytes ended.
    nxt = {client_port: syn[TCP].seq, server_port: synack[TCP].seq}
    for p in pkts:
        t = p[TCP]
        assert t.seq == nxt[t.sport], p.summary()
        nxt[t.sport] = t.seq + len(t.payload) + (1 if t.flags & 0x03 else 0)


def test_reconstructed_tcp_headers_rebuilt_from_socket(server):
    with open_capture(LabContext(), ports=[server.port], mode="reconstructed") as cap:
        assert talk(cap, server.port) == b"echo hello\n"
        cap.settle()
    assert cap.kind == "reconstructed"
    assert "payload bytes are exactly" in cap.note and "rebuilt" in cap.note
    raws = cap.packets()
    assert all(r.link == "raw-ip" and r.conversation == "talk" for r in raws)
    assert [r.time for r in raws] == sorted(r.time for r in raws)
    pkts = tcp_packets(raws)
    client_port = pkts[0][TCP].sport
    check_conversation(pkts, client_port, server.port, b"hello\n")
    # Checksums are right: rebuilding each packet from its fields changes nothing.
    for r in raws:
        p = IP(r.data)
        del p[IP].chksum, p[TCP].chksum
        assert bytes(p) == r.data
    syn_options = dict(pkts[0][TCP].options)
    assert syn_options["MSS"] == 65495 and "WScale" in syn_options


def test_reconstructed_refused_and_big_segments(server):
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    closed = free.getsockname()[1]
    free.close()
    line = b"x" * 200_000 + b"\n"
    with open_capture(LabContext(), ports=[server.port, closed], mode="reconstructed") as cap:
        sock = cap.wrap(socket.socket(), "knock")
        with pytest.raises(ConnectionRefusedError):
            sock.connect(("127.0.0.1", closed))
        sock.close()
        talk(cap, server.port, line)
    pkts = tcp_packets(cap.packets())
    knock = [p for p in pkts if closed in (p[TCP].sport, p[TCP].dport)]
    assert flags(knock) == ["S", "RA"]
    assert knock[1][TCP].ack == knock[0][TCP].seq + 1
    data = [p for p in pkts if p[TCP].dport == server.port and len(p[TCP].payload)]
    assert len(data) == 4 and max(len(p[TCP].payload) for p in data) == 65483
    rest = [p for p in pkts if server.port in (p[TCP].sport, p[TCP].dport)]
    check_conversation(rest, rest[0][TCP].sport, server.port, line)


def test_reconstructed_close_with_unread_data_is_a_reset(server):
    with open_capture(LabContext(), ports=[server.port], mode="reconstructed") as cap:
        sock = cap.wrap(socket.create_connection(("127.0.0.1", server.port), timeout=5))
        sock.sendall(b"hi\n")
        deadline = time.monotonic() + 5
        # Wait until the answer is waiting unread, then hang up on it.
        while not sock.recv(1, socket.MSG_PEEK) and time.monotonic() < deadline:
            pass
        sock.close()
    pkts = tcp_packets(cap.packets())
    assert flags(pkts)[-1] == "RA"
    assert pkts[-1][TCP].sport != server.port


def test_reconstructed_udp_and_both_ends_recorded_once():
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    port = rx.getsockname()[1]
    with open_capture(LabContext(), ports=[port], proto="udp", mode="reconstructed") as cap:
        tx = cap.wrap(socket.socket(socket.AF_INET, socket.SOCK_DGRAM), "query")
        server = cap.wrap(rx, "query", server_side=True)
        tx.sendto(b"ping", ("127.0.0.1", port))
        data, addr = server.recvfrom(100)
        server.sendto(b"pong", addr)
        assert tx.recvfrom(100)[0] == b"pong"
        tx.close()
        server.close()
    pkts = [IP(r.data) for r in cap.packets()]
    assert [bytes(p[UDP].payload) for p in pkts] == [b"ping", b"pong"]
    assert pkts[0][UDP].dport == port and pkts[1][UDP].sport == port


def test_settle_honours_cancel(server):
    ctx = LabContext()
    ctx.cancel.set()
    with open_capture(ctx, ports=[server.port], mode="reconstructed") as cap:
        with pytest.raises(Cancelled):
            cap.settle()


def sniffer_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "AsyncSniffer" and t.is_alive()]


@pytest.mark.needs_root
def test_live_capture_only_the_labs_traffic(server):
    other = LineServer()  # an unrelated conversation at the same time, on another port
    stop = threading.Event()
    made = [0]

    def noise() -> None:
        while not stop.is_set():
            with socket.create_connection(("127.0.0.1", other.port), timeout=5) as s:
                s.sendall(b"noise\n")
                s.recv(100)
            made[0] += 1

    noisy = threading.Thread(target=noise)
    noisy.start()
    try:
        started = time.monotonic()
        with open_capture(LabContext(), ports=[server.port], mode="live") as cap:
            before = made[0]
            assert talk(cap, server.port) == b"echo hello\n"
            while made[0] < before + 3 and time.monotonic() - started < 5:
                time.sleep(0.001)  # let the unrelated traffic run while capturing
            assert made[0] >= before + 3
            cap.settle()
        took = time.monotonic() - started
    finally:
        stop.set()
        noisy.join(5)
        other.close()
    assert cap.kind == "live" and "Captured live on the loopback interface (lo)" in cap.note
    assert took < 1.5  # settles on the marker and the close, not on a fixed wait
    assert not sniffer_threads()
    raws = cap.packets()
    pkts = tcp_packets(raws)
    assert all(server.port in (p[TCP].sport, p[TCP].dport) for p in pkts)
    assert all(r.conversation == "talk" for r in raws)
    # lo shows each packet twice; only one copy is kept.
    keys = [(p[TCP].sport, p[TCP].seq, p[TCP].ack, int(p[TCP].flags)) for p in pkts]
    assert len(keys) == len(set(keys))
    assert flags(pkts)[:3] == ["S", "SA", "A"]
    check_conversation(pkts, pkts[0][TCP].sport, server.port, b"hello\n")


@pytest.mark.needs_root
def test_live_sniffer_stopped_on_error(server):
    with pytest.raises(RuntimeError):
        with open_capture(LabContext(), ports=[server.port], mode="live"):
            assert sniffer_threads()
            raise RuntimeError("the lab broke")
    assert not sniffer_threads()


@pytest.mark.needs_root
def test_live_biggest_loopback_segments_are_whole(server):
    line = b"y" * 300_000 + b"\n"
    with open_capture(LabContext(), ports=[server.port], mode="live") as cap:
        talk(cap, server.port, line)
        cap.settle()
    pkts = tcp_packets(cap.packets())
    sent = b"".join(bytes(p[TCP].payload) for p in pkts if p[TCP].dport == server.port)
    assert sent == line
    for p in pkts:
        assert p[IP].len == len(bytes(p))  # nothing cut short


@pytest.mark.needs_root
def test_live_add_ports_outside_filter_is_refused(server):
    with open_capture(
        LabContext(), ports=[server.port], port_range=(40000, 40010), mode="live"
    ) as cap:
        cap.add_ports(40005)
        with pytest.raises(ValueError):
            cap.add_ports(40011)


@pytest.mark.needs_root
def test_live_drops_another_program_using_a_lab_port_as_its_own(server):
    """The filter matches the port on either side; a conversation that did
    not start by addressing a lab port is not the lab's."""
    other = LineServer()
    spare = socket.socket()
    spare.bind(("127.0.0.1", 0))
    knock_port = spare.getsockname()[1]
    spare.close()
    try:
        with open_capture(LabContext(), ports=[server.port, knock_port], mode="live") as cap:
            with socket.socket() as stranger:
                stranger.bind(("127.0.0.1", knock_port))  # its ephemeral port = the lab's
                stranger.connect(("127.0.0.1", other.port))
                stranger.sendall(b"not the lab\n")
                stranger.recv(100)
            talk(cap, server.port)
            cap.settle()
    finally:
        other.close()
    pkts = tcp_packets(cap.packets())
    assert pkts and all(other.port not in (p[TCP].sport, p[TCP].dport) for p in pkts)
    check_conversation(pkts, pkts[0][TCP].sport, server.port, b"hello\n")


@pytest.mark.needs_root
def test_no_raw_scapy_warning_reaches_the_learner():
    """Issue 16, item 8: in a namespace with no route at all, a target gives
    the lab's one line, not scapy's "WARNING: No route found"."""
    import subprocess
    import sys

    name = f"tutor-{os.getpid()}-{os.urandom(3).hex()}-quiet"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        proc = subprocess.run(
            ["ip", "netns", "exec", name, sys.executable, "-m", "tutor", "lab", "run"]
            + ["tcp-handshake", "--target", "192.0.2.9:80", "--timeout", "1"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)
    assert proc.returncode == 1 and "WARNING" not in proc.stderr, proc.stderr
    assert proc.stderr.splitlines()[-1].startswith("tutor: ")
