"""Write tests/data/pcaps/tcp-old-syn.pcap (run as root, in a network
namespace of its own, whose loopback nothing else uses):

    unshare -n .venv/bin/python tests/make_old_syn_pcap.py tests/data/pcaps/tcp-old-syn.pcap

A client on loopback connects from port 47312 to a server on 47311, sends a
line, reads the answer and closes first. Then an old duplicate of its first
SYN arrives: the same bytes sent again (with their checksum, which the
capture on lo leaves for the hardware to finish), as a network that held a
copy back would deliver it; the two kernels answer as they do (the server
with a SYN-ACK, the client in TIME_WAIT with its last ACK, the server with a
reset). A second later the client connects again from the same port, and
the kernel picks a new initial sequence number. dumpcap records lo; nothing
leaves the namespace.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time

SERVER, CLIENT = 47311, 47312


def with_checksum(frame: bytes) -> bytes:
    """`frame` (an IPv4 TCP segment as captured on lo, its checksum left for
    the hardware to finish) with its TCP checksum computed: the kernel drops
    a segment that comes in with a wrong one."""
    ip = frame[14:]
    hl = (ip[0] & 15) * 4
    total = int.from_bytes(ip[2:4], "big")
    tcp = bytearray(ip[hl:total])
    tcp[16:18] = b"\0\0"
    data = ip[12:20] + bytes((0, 6)) + len(tcp).to_bytes(2, "big") + bytes(tcp)
    data += b"\0" * (len(data) % 2)
    s = sum(int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    tcp[16:18] = (~s & 0xFFFF).to_bytes(2, "big")
    return frame[: 14 + hl] + bytes(tcp) + frame[14 + total :]


def serve(listener: socket.socket, n: int) -> None:
    for _ in range(n):
        conn, _ = listener.accept()
        conn.recv(100)
        conn.sendall(b"hello back\n")
        while conn.recv(100):
            pass
        conn.close()  # after the client's FIN: the client closed first


def connect() -> None:
    c = socket.socket()
    c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    c.bind(("127.0.0.1", CLIENT))
    c.connect(("127.0.0.1", SERVER))
    c.sendall(b"hello!\n")
    c.recv(100)
    c.close()


def first_syn(sniff: socket.socket) -> bytes:
    while True:
        frame = sniff.recv(2000)
        ip = frame[14:]
        tcp = ip[(ip[0] & 15) * 4 :]
        if ip[9] == 6 and int.from_bytes(tcp[0:2], "big") == CLIENT and tcp[13] == 0x02:
            return frame


def main(out: str) -> None:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    part = f"{out}.part"
    dumpcap = subprocess.Popen(
        ["dumpcap", "-q", "-i", "lo", "-P", "-f", f"tcp port {SERVER}", "-w", part],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while dumpcap.poll() is None and not (os.path.exists(part) and os.path.getsize(part)):
        time.sleep(0.05)
    time.sleep(0.5)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", SERVER))
    listener.listen()
    threading.Thread(target=serve, args=(listener, 2), daemon=True).start()
    sniff = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    sniff.bind(("lo", 0))
    sniff.settimeout(5)
    connect()
    syn = first_syn(sniff)
    time.sleep(0.1)
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    raw.sendto(with_checksum(syn)[14:], ("127.0.0.1", 0))  # the old duplicate
    # The client's TIME_WAIT may be taken over for a new connection a second
    # after its last timestamp (net.ipv4.tcp_tw_reuse, on for loopback).
    time.sleep(1.2)
    connect()
    time.sleep(0.5)
    dumpcap.terminate()
    dumpcap.wait()
    os.chmod(part, 0o644)  # a test capture, read by everyone
    os.replace(part, out)


if __name__ == "__main__":
    main(sys.argv[1])
