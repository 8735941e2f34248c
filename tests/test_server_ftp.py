"""The ftp lab's embedded server: real pyftpdlib on 127.0.0.1, driven by ftplib."""

from __future__ import annotations

import ftplib
import io
import os
import socket

import pytest

from labs.catalog.ftp.server import DEMO_PASSWORD, DEMO_USER, SAMPLE_FILES, ftp_server
from labs.core.hostport import port_is_closed


def _connect(host: str, port: int) -> ftplib.FTP:
    ftp = ftplib.FTP()
    ftp.connect(host, port, timeout=5)
    return ftp


def test_demo_user_lists_and_retrieves_sample_files():
    with ftp_server() as server:
        ftp = _connect(server.host, server.port)
        ftp.login(DEMO_USER, DEMO_PASSWORD)
        assert ftp.pwd() == "/"
        names = set(ftp.nlst())
        assert {"welcome.txt", "prices.csv", "notes"} <= names
        out = io.BytesIO()
        ftp.retrbinary("RETR welcome.txt", out.write)
        assert out.getvalue() == SAMPLE_FILES["welcome.txt"]
        ftp.quit()


def test_anonymous_login_is_allowed_and_wrong_password_is_530():
    with ftp_server() as server:
        ftp = _connect(server.host, server.port)
        ftp.login()  # anonymous
        ftp.quit()
        ftp = _connect(server.host, server.port)
        with pytest.raises(ftplib.error_perm, match="^530"):
            ftp.login(DEMO_USER, "wrong")
        ftp.close()


def test_server_is_read_only():
    with ftp_server() as server:
        ftp = _connect(server.host, server.port)
        ftp.login(DEMO_USER, DEMO_PASSWORD)
        with pytest.raises(ftplib.error_perm, match="^550"):
            ftp.storbinary("STOR new.txt", io.BytesIO(b"x"))
        with pytest.raises(ftplib.error_perm, match="^550"):
            ftp.delete("welcome.txt")
        ftp.quit()
        assert not os.path.exists(os.path.join(server.root, "new.txt"))


def test_passive_and_extended_passive_ports_come_from_the_chosen_range():
    with ftp_server() as server:
        low, high = server.passive_ports
        ftp = _connect(server.host, server.port)
        ftp.login(DEMO_USER, DEMO_PASSWORD)
        _host, pasv_port = ftp.makepasv()
        assert low <= pasv_port <= high
        ftp.af = socket.AF_INET6  # makes ftplib send EPSV
        _host, epsv_port = ftp.makepasv()
        assert low <= epsv_port <= high
        ftp.close()


def test_two_servers_run_side_by_side_and_both_stop_cleanly():
    with ftp_server() as one, ftp_server(files={"other.txt": b"other\n"}) as two:
        assert one.port != two.port
        ftp = _connect(two.host, two.port)
        ftp.login(two.user, two.password)
        assert ftp.nlst() == ["other.txt"]
        ftp.quit()
        roots = (one.root, two.root)
    for server in (one, two):
        assert port_is_closed(server.host, server.port)
    assert not any(os.path.exists(root) for root in roots)


def test_server_stops_and_cleans_up_when_the_block_raises():
    with pytest.raises(RuntimeError), ftp_server() as server:
        raise RuntimeError("lab failed")
    assert port_is_closed(server.host, server.port)
    assert not os.path.exists(server.root)
