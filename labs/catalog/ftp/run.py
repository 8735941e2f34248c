"""The ftp lab: log in, PWD, LIST and RETR a file, QUIT, and show that FTP is
one control connection plus a new data connection for every listing or file,
with the password crossing the wire as plain text.

Passive mode (the default) fetches the listing after PASV and the file after
EPSV, so one run shows both ways a server names its data port; `--mode
active` sends PORT and the server connects back to the client. With no
target the lab starts its own read-only server (`labs.catalog.ftp.server`) and logs
in with its demo account; `--target ftp://[user[:pass]@]host[:port][/path]`
talks to any standard FTP server.
"""

from __future__ import annotations

import ftplib
import os
import socket
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import unquote

from labs.catalog.ftp.explain import ftp_facts, ftp_sections, ftp_steps
from labs.catalog.ftp.result import FtpResult
from labs.catalog.ftp.server import ftp_server, pick_passive_range
from labs.kit import (
    BadInput,
    Capture,
    Endpoint,
    LabContext,
    LabError,
    LabRequest,
    Plan,
    Recording,
    Trace,
    capture_run,
    capture_where,
    make_trace,
    network_errors,
    parse_url,
    resolve,
    sender_ip,
)

LAB = "ftp"
PASSWORD_ENV = "TUTOR_FTP_PASSWORD"
DEFAULT_PORT = 21
USAGE = "Use ftp://[user@]HOST[:PORT][/PATH]."
#: The largest file the lab fetches from a live server (it shows files whole).
MAX_FILE = 1024 * 1024
#: The file fetched from the embedded server.
EMBEDDED_FILE = "welcome.txt"
#: Ports a server's passive range may use when the lab cannot know it up front.
ANY_PORT = (1024, 65535)


@dataclass(frozen=True)
class FtpTarget:
    """Where to connect and as whom (from `--target`, or the embedded server)."""

    host: str
    port: int
    user: str
    password: str = field(repr=False)
    #: A directory to list ("" for the login directory) ...
    directory: str = ""
    #: ... and a file in it to fetch ("" to pick one from the listing).
    file: str = ""

    @property
    def anonymous(self) -> bool:
        return self.user.lower() in ("anonymous", "ftp")

    def shown(self) -> str:
        """The target as text, never with the password."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        who = "" if self.anonymous else f"{self.user}@"
        path = "/".join(p for p in (self.directory, self.file) if p)
        return f"ftp://{who}{host}:{self.port}/{path}"


def parse_target(text: str) -> FtpTarget:
    """`ftp://[user[:pass]@]host[:port][/path]` (or just `host[:port]`).

    A path ending in "/" (or none) is a directory to list; otherwise the last
    part is the file to fetch. The password comes from the URL or from
    TUTOR_FTP_PASSWORD; no user means anonymous.
    """
    url = parse_url(text, "ftp", "FTP", ("ftp",), USAGE, assume="ftp")
    port = url.port or DEFAULT_PORT
    user = unquote(url.username or "") or "anonymous"
    password = unquote(url.password or "") or os.environ.get(PASSWORD_ENV, "")
    if not password:
        if user.lower() not in ("anonymous", "ftp"):
            raise BadInput(
                f"No password for FTP user {user!r}.",
                f"Set {PASSWORD_ENV} (or put it in the URL: ftp://{user}:PASSWORD@...).",
            )
        password = "anonymous@"
    path = unquote(url.path).strip("/")
    if not path or url.path.endswith("/"):
        directory, file = path, ""
    else:
        directory, _, file = path.rpartition("/")
    return FtpTarget(url.hostname or "", port, user, password, directory, file)


class LabFTP(ftplib.FTP):
    """ftplib's client with every connection opened through the capture, so
    each is recorded (when reconstructing) and named: "control", "data 1
    (LIST)", ... It asks for the data port with EPSV when `use_epsv` is set
    (falling back to PASV if the server refuses), and in active mode listens
    on a port from `listen_range`, which the live capture filter covers."""

    def __init__(self, cap: Capture, timeout: float, listen_range: tuple[int, int]) -> None:
        super().__init__(timeout=timeout)
        self.cap = cap
        self.listen_range = listen_range
        self.use_epsv = False
        self.epsv_refused = False
        self.transfers = 0
        #: (conversation name, data port) for each data connection, in order.
        self.data_ports: list[tuple[str, int]] = []

    def connect(
        self, host: str = "", port: int = 0, timeout: float = -999, source_address: Any = None
    ) -> str:  # type: ignore[override]
        self.host, self.port = host, port
        self.sock = self.cap.create_connection((host, port), self.timeout, conversation="control")
        self.af = self.sock.family
        self.file = self.sock.makefile("r", encoding=self.encoding)
        where = f"{host}:{port}"
        try:
            self.welcome = self.getresp()
        except TimeoutError:
            # Connected, so no firewall: an FTP server speaks first, an HTTP one waits.
            raise LabError(
                f"No answer from {where} within {self.timeout:g} s: it accepted the connection "
                "but sent no FTP greeting, so it is probably not an FTP server (a web server, "
                "for one, waits for the client to speak first).",
                "Check the port (FTP is usually 21), or run without --target.",
            ) from None
        except ftplib.error_proto as exc:
            if str(exc).startswith("HTTP/"):
                raise LabError(
                    f"{where} answered in HTTP ({str(exc).strip()!r}), not FTP.",
                    "Check the port (FTP is usually 21); a web server is the http-api lab's.",
                ) from None
            raise
        return self.welcome

    def _control(self) -> Any:
        if self.sock is None:
            raise LabError("The FTP control connection is closed.")
        return self.sock

    def makepasv(self) -> tuple[str, int]:
        peer = self._control().getpeername()
        if self.use_epsv and not self.epsv_refused:
            try:
                return ftplib.parse229(self.sendcmd("EPSV"), peer)
            except ftplib.error_perm:
                self.epsv_refused = True
        _untrusted, port = ftplib.parse227(self.sendcmd("PASV"))
        # Connect to the control connection's address, not the one in the reply
        # (a server behind NAT often announces a private address).
        return peer[0], port

    def makeport(self) -> socket.socket:
        local = self._control().getsockname()[0]
        listener = _listen_in_range(local, self.listen_range)
        host, port = listener.getsockname()[:2]
        if self.af == socket.AF_INET:
            self.sendport(host, port)
        else:
            self.sendeprt(host, port)
        listener.settimeout(self.timeout)
        return listener

    def ntransfercmd(self, cmd: str, rest: Any = None) -> tuple[Any, int | None]:
        self.transfers += 1
        name = f"data {self.transfers} ({cmd.split()[0].upper()})"
        if self.passiveserver:
            host, port = self.makepasv()
            conn = self.cap.create_connection((host, port), self.timeout, conversation=name)
            try:
                self._start(cmd)
            except BaseException:
                conn.close()
                raise
        else:
            with self.makeport() as listener:
                port = listener.getsockname()[1]
                self._start(cmd)
                raw, _peer = listener.accept()
            raw.settimeout(self.timeout)
            conn = self.cap.wrap(raw, conversation=name, server_side=True)
        self.data_ports.append((name, port))
        return conn, None

    def _start(self, cmd: str) -> None:
        resp = self.sendcmd(cmd)
        if resp[0] == "2":
            resp = self.getresp()
        if resp[0] != "1":
            raise ftplib.error_reply(resp)


def _listen_in_range(host: str, ports: tuple[int, int]) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for port in range(ports[0], ports[1] + 1):
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.bind((host, port))
            sock.listen(1)
            return sock
        except OSError:
            sock.close()
    raise LabError(f"No free port between {ports[0]} and {ports[1]} to listen on for active mode.")


def pick_file(listing: list[str]) -> str:
    """The smallest regular file of a Unix-style listing that the lab may fetch."""
    best: tuple[int, str] | None = None
    for line in listing:
        parts = line.split(None, 8)
        if len(parts) < 9 or not line.startswith("-") or not parts[4].isdigit():
            continue
        size = int(parts[4])
        if size <= MAX_FILE and (best is None or size < best[0]):
            best = (size, parts[8])
    return best[1] if best else ""


def converse(
    ftp: LabFTP, address: str, target: FtpTarget, ctx: LabContext, mode: str, embedded: bool
) -> FtpResult:
    """Log in, PWD, (CWD), LIST, RETR, QUIT: the exchange the lab explains."""
    listing: list[str] = []
    ftp.connect(address, target.port)
    ctx.check()
    ftp.login(target.user, target.password)
    ctx.check()
    ftp.pwd()
    if target.directory:
        ftp.cwd(target.directory)
    ftp.set_pasv(mode == "passive")
    ftp.retrlines("LIST", listing.append)
    ctx.check()
    name = target.file or pick_file(listing)
    chunks: list[bytes] = []
    if name:
        ftp.use_epsv = True
        ftp.retrbinary(f"RETR {name}", chunks.append)
    ctx.check()
    ftp.quit()
    return FtpResult(
        mode=mode,
        embedded=embedded,
        control_port=target.port,
        listing=tuple(listing),
        fetched=name,
        content=b"".join(chunks),
        skipped="" if name else "The listing shows no regular file small enough to fetch.",
        epsv_refused=ftp.epsv_refused,
        data_ports=tuple(ftp.data_ports),
    )


def _failure(exc: ftplib.Error | EOFError, target: FtpTarget) -> LabError:
    """The server's own refusals (the network's failures are `network_errors`')."""
    where = target.shown()
    if isinstance(exc, ftplib.error_perm) and str(exc).startswith("530"):
        return LabError(
            f"The server refused the login for {target.user!r}: {str(exc).rstrip('.')}.",
            f"Check the user name and password ({PASSWORD_ENV}).",
        )
    if isinstance(exc, ftplib.Error):
        return LabError(
            f"The FTP server said: {str(exc).rstrip('.')}.", f"Check the path in {where}."
        )
    return LabError(f"{where} closed the connection unexpectedly.")


def record(req: LabRequest, ctx: LabContext) -> Recording[FtpResult]:
    mode: str = req.option("mode")
    given = parse_target(req.target) if req.target else None
    # What setup chose, for the conversation: the target, its address, the data ports.
    chosen: list[tuple[FtpTarget, Endpoint, tuple[int, int]]] = []

    def setup(stack: ExitStack) -> Plan:
        if given is None:
            ctx.say("Starting the lab's own read-only FTP server on 127.0.0.1 ...")
            server = stack.enter_context(ftp_server())
            target = FtpTarget(
                server.host, server.port, server.user, server.password, "", EMBEDDED_FILE
            )
            endpoint = Endpoint(socket.AF_INET, server.host, server.port)
            ports = server.passive_ports
        else:
            target, endpoint = given, resolve(given.host, given.port, socket.SOCK_STREAM)
            # Active mode: the lab listens on a range it picks. Passive mode: the
            # server picks from a range the lab cannot know, so the live filter
            # takes every port and the lab keeps only its own connections.
            ports = pick_passive_range() if mode == "active" else ANY_PORT
            if not target.anonymous:
                ctx.say(
                    f"Warning: FTP sends the password for {target.user!r} as plain text; "
                    "anyone who can see this traffic can read it."
                )
        chosen.append((target, endpoint, ports))
        iface, host = capture_where(endpoint)
        return Plan(target.shown(), (target.port,), "tcp", iface, host, ports)

    def talk(cap: Capture, plan: Plan) -> FtpResult:
        target, endpoint, ports = chosen[0]
        ftp = LabFTP(cap, req.timeout, ports)
        ctx.say(f"Logging in to {plan.target} as {target.user} ({mode} mode) ...")
        try:
            with network_errors(
                plan.target,
                req.timeout,
                "Check the host and port, or run without --target to use the lab's own server.",
                "Check the address; a firewall may be blocking FTP (or its data connections).",
            ):
                return converse(ftp, endpoint.address, target, ctx, mode, given is None)
        except (ftplib.Error, EOFError) as exc:
            raise _failure(exc, target) from None
        finally:
            ftp.close()

    rec = capture_run(ctx, lab=LAB, setup=setup, converse=talk)
    # Live capture on a wide port range also sees other programs' traffic:
    # keep the connections this lab opened (the capture names them).
    return replace(rec, raws=tuple(r for r in rec.raws if r.conversation))


def explain(rec: Recording[FtpResult]) -> Trace:
    res = rec.result
    decode_as = {res.control_port: "ftp", **{port: "ftp-data" for _name, port in res.data_ports}}
    client = sender_ip(rec.raws[0]) if rec.raws else None
    trace = make_trace(rec, decode_as=decode_as, client=client, steps=ftp_steps)
    return replace(trace, sections=ftp_sections(trace, res), facts=ftp_facts(trace))


RESULT = FtpResult
