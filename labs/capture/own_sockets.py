"""Which local ports belong to this process's own sockets, read from /proc.

A live capture's filter can only name the server's port; when the server is
the learner's (`--target`), other programs talk to the same port, and their
requests (with their credentials) must not appear as the lab's. A
connection is the lab's when the end that opened it is one of this
process's sockets: every socket the lab opens (requests', ftplib's, its
own) is listed under /proc/self/fd while it exists, and /proc/net/{tcp,udp}
say which port each one holds. psutil can list a process's connections,
but not without a dependency for ~30 lines of /proc reading.
"""

from __future__ import annotations

import os

_TABLES = {"tcp": ("/proc/net/tcp", "/proc/net/tcp6"), "udp": ("/proc/net/udp", "/proc/net/udp6")}


def _inodes() -> set[str]:
    """The inode numbers of this process's open sockets."""
    out: set[str] = set()
    try:
        fds = os.listdir("/proc/self/fd")
    except OSError:
        return out
    for fd in fds:
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue  # closed meanwhile
        if target.startswith("socket:["):
            out.add(target[8:-1])
    return out


def own_ports(proto: str) -> set[int]:
    """Local ports (TCP or UDP, IPv4 and IPv6) held by this process's sockets."""
    mine = _inodes()
    ports: set[int] = set()
    for table in _TABLES[proto]:
        try:
            with open(table, encoding="ascii") as fh:
                next(fh, None)  # the header line
                for line in fh:
                    cols = line.split()
                    # sl, local_address (ADDR:PORT in hex), ..., inode is column 9
                    if len(cols) > 9 and cols[9] in mine:
                        ports.add(int(cols[1].rpartition(":")[2], 16))
        except OSError:
            continue
    return ports


__all__ = ["own_ports"]
