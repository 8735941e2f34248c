"""What a port number tells a learner: the service usually there, a port
the operating system picked for one conversation, or traceroute's."""

from __future__ import annotations

from typing import Any

SERVICES = {
    20: "FTP data",
    21: "FTP",
    22: "SSH",
    25: "SMTP",
    53: "DNS",
    80: "HTTP",
    123: "NTP",
    443: "HTTPS",
    5353: "multicast DNS",
    8080: "HTTP (alternate)",
}

#: The ports traceroute sends its UDP probes to: IANA's port for traceroute,
#: 33434, and up from there, one more for each probe (33434-33534).
TRACEROUTE = range(33434, 33535)


def port_explain(v: Any, layer: Any = None) -> str:
    port = int(v)
    if port in SERVICES:
        return f"Port {port} is the usual port for {SERVICES[port]}."
    high = (
        f"Port {port} is a high-numbered port, typically picked by the operating system "
        "for this one conversation (an ephemeral port)"
    )
    if port in TRACEROUTE:
        # A port of this range is either: the packet alone does not say which.
        return (
            f"{high}, or one of the ports traceroute sends its probes to (33434 and up), "
            "where nothing listens, so the last hop answers 'port unreachable'."
        )
    if port >= 32768:
        return high + "."
    return f"Port {port}: which program on that computer the data is for."


__all__ = ["SERVICES", "TRACEROUTE", "port_explain"]
