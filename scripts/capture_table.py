"""The table of real captures for issue 10's closing note: every capture of
other programs' traffic (tests/data/programs, made in our namespaces), the
three made by tests/make_tls_pcaps.sh and tests/make_lossy_pcap.sh, and the
ones shipped in Debian packages and a PyPI sdist (tests/data/thirdparty),
each compared field by field with tshark as tests/test_dissect_programs.py
compares them: with
tshark's TCP reassembly on (every packet) and off (the packets that take no
part in a reassembled message). Per capture: packets, values compared, equal
and wrong in each reading, and the packets tutor shows only as raw data while
tshark decodes them. The reasons for what is wrong or undecoded are listed
with the tests (KNOWN, UNDECODED).

    .venv/bin/python scripts/capture_table.py [CAPTURE ...]
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
sys.path.insert(0, str(ROOT / "tests"))

from test_dissect_programs import TSHARK, compare  # noqa: E402

DPKT = "Debian python3-dpkt 1.9.8-1"
GOPACKET = "Debian golang-github-google-gopacket-dev 1.1.19-3"
PCAPY = "PyPI sdist pcapy-ng 2.1.0"
#: Who made each capture's traffic (the scripts and packages say how).
SOURCES = {
    "any-sll2": "tcpdump -i any -y LINUX_SLL2: dig and dnsmasq, curl and http.server, ping",
    "arp": "arping",
    "dhcp": "dhclient and dnsmasq",
    "dns": "dig and dnsmasq (UDP, one TCP)",
    "dns-unbound": "dig +tcp +keepopen and unbound",
    "frag": "ping -s 3000, IPv4 and IPv6",
    "ftp": "curl and pyftpdlib (passive)",
    "ftp-active": "curl -P and pyftpdlib; tftp put and in.tftpd",
    "ftp6": "curl and pyftpdlib over IPv6 (EPSV, EPRT)",
    "ftp-lo2": "ftplib and pyftpdlib: EPRT, PORT to another loopback address",
    "ftp-samehost": "ftplib and pyftpdlib on one host: EPRT, PORT to its own address",
    "ftp-nat": "ftplib and pyftpdlib: PASV behind nftables DNAT (make_ftp_addresses.sh)",
    "h2c": "curl --http2-prior-knowledge and Node's http2",
    "http-gzip": "curl --compressed and Node's http (gzip, chunked; IPv4, IPv6)",
    "http-reassembly": "curl and python's http.server (make_http_pcaps.sh)",
    "https": "curl and openssl s_server (TLS 1.3)",
    "https-tls12": "curl --tls-max 1.2 and openssl s_server (ECDSA)",
    "imap": "curl and dovecot",
    "lossy-link": "curl and http.server across tutor's forwarder (5% loss)",
    "mdns": "python-zeroconf",
    "nbns": "nmblookup",
    "ntp": "ntpdate and chronyd",
    "ping": "ping, ping -6",
    "pop3": "curl and dovecot",
    "quic": "aioquic's client and server",
    "no-answer": "curl to an address nobody answers (SYN and 3 resends)",
    "refused": "curl and bash to closed ports",
    "scan": "nmap -sS",
    "smtp": "curl and python's smtpd",
    "ssdp": "async-upnp-client",
    "telnet": "telnet",
    "tftp": "curl, tftp and in.tftpd",
    "tls13-resume": "openssl s_client twice (resumed) and s_server",
    "traceroute": "traceroute (UDP, ICMP, TCP) through two routers",
    "websocket": "the websockets library",
    "wget": "wget and Node's http (a redirect)",
    "tls-gap": "Python's ssl client and server across tutor's forwarder (15% loss, IPv6; cut short)",
    "tls12-cert": "openssl s_client and s_server, TLS 1.2 (make_tls_pcaps.sh)",
    "tls13-hrr": "openssl, TLS 1.3 HelloRetryRequest (make_tls_pcaps.sh)",
    "lossy-http": "curl and http.server, tbf drops (make_lossy_pcap.sh)",
}
HEAD = (
    "| capture | traffic of | packets | on: compared | equal | wrong "
    "| off: compared | equal | wrong | left out | undecoded |"
)


def captures() -> list[Path]:
    """Every capture the table covers, in its order."""
    found = sorted((DATA / "programs").glob("*.pcapng"))
    found += [DATA / "pcaps" / f"{n}.pcapng" for n in ("tls12-cert", "tls13-hrr", "lossy-http")]
    return found + sorted(
        p for p in (DATA / "thirdparty").iterdir() if p.suffix.startswith(".pcap")
    )


def source(path: Path) -> str:
    name = path.name.rsplit(".", 1)[0]
    if path.parent.name == "thirdparty":
        return {"dpkt": DPKT, "gopacket": GOPACKET}.get(name.split("-")[0], PCAPY)
    return SOURCES.get(name, "")


def main(argv: list[str]) -> int:
    if TSHARK is None:
        print("capture_table: tshark is not installed (apt-get install tshark).", file=sys.stderr)
        return 2
    paths = [Path(a) for a in argv] or captures()
    missing = [p for p in paths if not p.is_file()]
    if missing:
        print(f"capture_table: {missing[0]}: no such capture file.", file=sys.stderr)
        return 2
    print(HEAD)
    print("|" + "---|" * (HEAD.count("|") - 1))
    sums = [0] * 9
    for path in paths:
        t = compare(path)
        on, off = t["reassembled"], t["plain"]
        row = [
            on.packets,
            on.compared,
            on.equal,
            on.compared - on.equal,
            off.compared,
            off.equal,
            off.compared - off.equal,
            off.left_out,
            len(on.undecoded),
        ]
        sums = [a + b for a, b in zip(sums, row, strict=True)]
        cells = " | ".join(f"{n:,}" for n in row)
        print(f"| {path.name} | {source(path)} | {cells} |", flush=True)
    total = " | ".join(f"**{n:,}**" for n in sums)
    print(f"| **{len(paths)} captures** | | {total} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
