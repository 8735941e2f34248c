"""A real recursive resolver for the dns lab's walk: Unbound (Debian's
package), run as the lab's own process with its own configuration in a
private temporary directory. Nothing of the system's Unbound is used or
touched: not its service, its configuration, its trust anchor or its
remote control.

Its root hints name the lab's root server, so it walks the lab's small
Internet (`labs.catalog.dns.walk`) and never the real one: no packet
leaves 127.0.0.0/8. DNSSEC is off (the iterator module alone), because
the lab's zones are not signed and the real root's trust anchor would
have nothing to check.

A run killed with -9 leaves the process behind: its command line names its
configuration file in `tutor-dns-<pid>-...`, which is how
`labs.catalog.dns.leftovers` finds it once that run is gone.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from labs.catalog.dns.walk import ROOT_NS
from labs.kit import LabError, signals_held

UNBOUND = "unbound"
#: The start of its folder's name; the pid after it is the run's.
PREFIX = "tutor-dns-"

CONFIG = """\
server:
    interface: {address}@{port}
    outgoing-interface: {address}
    port: {port}
    do-ip6: no
    do-tcp: yes
    chroot: ""
    username: ""
    directory: "{folder}"
    pidfile: "{folder}/unbound.pid"
    use-syslog: no
    logfile: ""
    verbosity: 0
    num-threads: 1
    so-reuseport: no
    access-control: 127.0.0.0/8 allow
    do-not-query-localhost: no
    root-hints: "{folder}/root.hints"
    module-config: "iterator"
    qname-minimisation: no
    target-fetch-policy: "0 0 0 0 0"
    prefetch: no
    prefetch-key: no
    harden-referral-path: no
    minimal-responses: yes
    hide-identity: yes
    hide-version: yes
    cache-min-ttl: 0
remote-control:
    control-enable: no
"""

HINTS = """\
.                        3600000      NS    {name}
{name}                   3600000      A     {address}
"""


def available() -> str | None:
    """Why the walk cannot use Unbound here (None: it can)."""
    if shutil.which(UNBOUND) is None and not Path("/usr/sbin/unbound").exists():
        return "Unbound is not installed (apt-get install unbound)"
    return None


def _binary() -> str:
    return shutil.which(UNBOUND) or "/usr/sbin/unbound"


def _free_port(address: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((address, 0))
        return int(probe.getsockname()[1])


class Unbound:
    """Unbound on `address` (a free port) whose root hints point at `root`.
    Use as a context manager: the process and its folder are gone on exit,
    also on error, cancel and Ctrl-C."""

    def __init__(self, address: str, root: str) -> None:
        self.address, self.root = address, root
        self.port = 0
        self.folder: Path | None = None
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Unbound:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _start(self) -> None:
        with signals_held():  # made and owned at once: `stop` removes it
            self.folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))
        self.port = _free_port(self.address)
        conf = self.folder / "unbound.conf"
        _write(self.folder / "root.hints", HINTS.format(name=ROOT_NS, address=self.root))
        _write(conf, CONFIG.format(address=self.address, port=self.port, folder=self.folder))
        self.proc = subprocess.Popen(
            [_binary(), "-d", "-c", str(conf)],
            cwd="/",
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            # Its own session: a Ctrl-C in the terminal reaches the lab, which stops it.
            start_new_session=True,
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 10.0) -> None:
        """Until Unbound answers on its port: a CHAOS-class question it answers
        itself (no recursion, so nothing is cached and nothing walked)."""
        assert self.proc is not None
        probe = DNSQuestion.version_probe()
        deadline = time.monotonic() + timeout
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(0.1)
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    err = (
                        self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                    )
                    line = (
                        err.strip().splitlines()[-1]
                        if err.strip()
                        else f"exit {self.proc.returncode}"
                    )
                    raise LabError(f"Unbound did not start: {line}")
                try:
                    sock.sendto(probe, (self.address, self.port))
                    sock.recv(512)
                    return
                except OSError:
                    continue
        raise LabError(f"Unbound did not answer within {timeout:g} s.")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc is not None and proc.stderr is not None:
            proc.stderr.close()
        folder, self.folder = self.folder, None
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


class DNSQuestion:
    """The readiness probe's bytes (built by hand: 29 fixed bytes, not worth
    scapy's import before the capture starts)."""

    @staticmethod
    def version_probe() -> bytes:
        header = os.urandom(2) + bytes.fromhex("0000 0001 0000 0000 0000".replace(" ", ""))
        name = b"\x02id\x06server\x00"
        return header + name + bytes.fromhex("0010 0003".replace(" ", ""))  # TXT, CHAOS


def _write(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(text)
