"""What a run of the ftp lab knows besides the bytes on the wire: how it
ran, and what the client got back over the data connections."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FtpResult:
    #: "passive" or "active".
    mode: str
    #: Whether the lab talked to its own server (the demo account's password).
    embedded: bool
    #: The control connection's server port: its packets are read as FTP.
    control_port: int
    #: The lines of the LIST reply.
    listing: tuple[str, ...]
    #: The file fetched with RETR ("" when none), and its bytes.
    fetched: str
    content: bytes
    #: Why no file was fetched ("" when one was).
    skipped: str
    #: The server refused EPSV, so the client asked with PASV.
    epsv_refused: bool
    #: (conversation name, data port) of each data connection, in order.
    data_ports: tuple[tuple[str, int], ...]
