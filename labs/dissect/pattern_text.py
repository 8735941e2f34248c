"""The explanation of a step that `labs.dissect.patterns` named (a
traceroute, ARP, IPv6 neighbor discovery, DHCP, a port scan), built from its packets' Views fed one
at a time, so that `steps.group` and the streamed `tutor explain --json`
(which never holds a whole step) say the same words."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from labs.dissect.patterns import MAX_PROBE_TTL, TRACE, Key, answer_key, host, port, probe_key
from labs.dissect.tls_steps import GOODBYE, GoodbyeStory

if TYPE_CHECKING:
    from labs.dissect.steps import View

#: (client, destination, probe kind) of one traceroute.
Session = tuple[str, str, str]
#: Port ranges listed at most in a scan's explanation.
_RANGES = 12
_PROBES = {"udp": "UDP datagram", "icmp": "ICMP echo request", "tcp": "TCP SYN"}


def ms(seconds: float) -> str:
    value = seconds * 1000
    return f"{value:.3f} ms" if value < 1 else f"{value:.1f} ms"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def ranges(ports: list[int]) -> str:
    """Sorted ports as "1-21, 23, 25-79" (the first _RANGES runs, then how many more)."""
    runs: list[tuple[int, int]] = []
    for p in sorted(ports):
        if runs and p == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], p)
        else:
            runs.append((p, p))
    said = [str(a) if a == b else f"{a}-{b}" for a, b in runs[:_RANGES]]
    if len(runs) > _RANGES:
        said.append(f"and {len(runs) - _RANGES} more ranges")
    return ", ".join(said)


class _TraceStory:
    """Per traceroute (client, destination, probe kind): each probe's TTL,
    when it left and who answered it when."""

    def __init__(self) -> None:
        #: (client, destination, kind) -> {key: [ttl, sent, answerer, answered]}
        self.sessions: dict[Session, dict[Key, list[Any]]] = {}
        self.ports: dict[tuple[str, str, str], set[int]] = {}

    def add(self, v: View) -> None:
        key = probe_key(v)
        if key is not None and 0 < v.ttl <= MAX_PROBE_TTL:
            session = (host(v.src), host(v.dst), key[0])
            probes = self.sessions.setdefault(session, {})
            probes.setdefault(key, [v.ttl, v.time, "", 0.0])
            if key[0] != "icmp" and key[2].isdigit():
                self.ports.setdefault(session, set()).add(int(key[2]))
            return
        answered = answer_key(v)
        if answered is None:
            return
        me, them = host(v.dst), host(v.src)
        for (client, dest, kind), probes in self.sessions.items():
            if client != me or kind != answered[0] or answered not in probes:
                continue
            if v.mark[:1] != ("time-exceeded",) and dest != them:
                continue
            probe = probes[answered]
            if not probe[2]:
                probe[2], probe[3] = them, v.time
            return

    def text(self) -> str:
        return " ".join(self._one(s, probes) for s, probes in self.sessions.items())

    def _one(self, session: Session, probes: dict[Key, list[Any]]) -> str:
        client, dest, kind = session
        ttl = "hop limit" if ":" in client else "TTL"
        by_ttl: dict[int, list[list[Any]]] = {}
        for probe in probes.values():
            by_ttl.setdefault(probe[0], []).append(probe)
        reached = min((t for t, ps in by_ttl.items() if any(p[2] == dest for p in ps)), default=0)
        last = reached or max(by_ttl)
        what = _plural(len(probes), _PROBES[kind])
        if session in self.ports:
            ports = self.ports[session]
            what += f" to port{'s' if len(ports) > 1 else ''} {ranges(list(ports))}"
        lo, hi = min(by_ttl), max(by_ttl)
        said = (
            f"{client} traces the route to {dest}: it sends {what} with {ttl} {lo}"
            + (f" to {hi}" if hi != lo else "")
            + f", and each router that drops one whose {ttl} ran out answers with ICMP time"
            " exceeded."
        )
        hops: list[str] = []
        stars: list[int] = []
        for n in range(lo, last + 1):
            answers = [p for p in by_ttl.get(n, ()) if p[2]]
            if not answers:
                stars.append(n)
                continue
            if stars:
                hops.append(_stars(stars))
                stars = []
            times: dict[str, list[str]] = {}
            for p in sorted(by_ttl[n], key=lambda p: p[1]):
                times.setdefault(p[2], []).append(ms(p[3] - p[1]) if p[2] else "*")
            who = " or ".join(f"{a} ({', '.join(t)})" for a, t in times.items() if a)
            if dest in times:
                hops.append(f"hop {n} is the destination {who}")
            else:
                hops.append(f"hop {n} is router {who}")
        if stars:
            hops.append(_stars(stars))
        joined = "; ".join(hops)
        said += f" {joined[:1].upper()}{joined[1:]}."
        if not reached:
            said += f" The destination did not answer within {hi} hops."
        return said


def _stars(hops: list[int]) -> str:
    if len(hops) == 1:
        return f"hop {hops[0]} is * (no answer)"
    return f"hops {hops[0]}-{hops[-1]} are * (no answer)"


class _ScanStory:
    """Per scan (source, host, TCP or UDP): what each probed port answered."""

    def __init__(self) -> None:
        self.scans: dict[tuple[str, str, str], dict[int, str]] = {}
        self.times: dict[tuple[str, str, str], list[float]] = {}

    def _mark(self, who: tuple[str, str, str], probed: str, state: str) -> None:
        ports = self.scans.get(who)
        if ports is not None and probed.isdigit() and int(probed) in ports:
            ports[int(probed)] = state

    def add(self, v: View) -> None:
        if v.kind == "UDP" and not v.mark or v.kind == "TCP" and v.bits & 0x12 == 0x02:
            who = (host(v.src), host(v.dst), v.kind)
            reply = self.scans.get((who[1], who[0], v.kind))
            if reply is not None and port(v.src).isdigit() and int(port(v.src)) in reply:
                self._mark((who[1], who[0], v.kind), port(v.src), "open")
                return
            probed = port(v.dst)
            if probed.isdigit():
                self.scans.setdefault(who, {}).setdefault(int(probed), "filtered")
                times = self.times.setdefault(who, [v.time, v.time])
                times[1] = v.time
        elif v.kind == "TCP" and v.bits & 0x12 == 0x12:
            self._mark((host(v.dst), host(v.src), "TCP"), port(v.src), "open")
        elif v.kind == "TCP" and v.bits & 0x14 == 0x14:
            self._mark((host(v.dst), host(v.src), "TCP"), port(v.src), "closed")
        elif v.mark[:2] == ("unreachable", "udp"):
            self._mark((host(v.dst), host(v.src), "UDP"), v.mark[3], "closed")

    def text(self) -> str:
        out = []
        for (src, dst, kind), ports in self.scans.items():
            t0, t1 = self.times[(src, dst, kind)]
            how = "SYNs" if kind == "TCP" else "UDP datagrams"
            said = [
                f"{src} probes {_plural(len(ports), kind + ' port')} of {dst} with {how} "
                f"in {ms(t1 - t0)}: a port scan, asking which services listen."
            ]
            words = (
                ("open", "open (answered SYN-ACK)", "closed", "closed (answered RST)")
                if kind == "TCP"
                else ("open", "open (answered)", "closed", "closed (port unreachable)")
            )
            for state, label in ((words[0], words[1]), (words[2], words[3]), ("filtered", "")):
                found = [p for p, s in ports.items() if s == state]
                if state == "filtered":
                    label = (
                        "no answer (filtered)" if kind == "TCP" else "no answer (open or filtered)"
                    )
                count = f"{len(found)} ports: " if len(found) > 3 else ""
                said.append(
                    f"{label[:1].upper()}{label[1:]}: {count + ranges(found) if found else 'none'}."
                )
            out.append(" ".join(said))
        return " ".join(out)


class _ArpStory:
    """Each (asker, address asked) pair: how often asked, and the answer."""

    def __init__(self) -> None:
        #: (asker, address asked) -> [times asked, the MAC address answered]
        self.asked: dict[tuple[str, str], list[Any]] = {}
        self.told: dict[str, str] = {}

    def add(self, v: View) -> None:
        if v.mark[:1] != ("arp",):
            return
        opcode, mac = v.mark[1], v.mark[2]
        if opcode == "1":
            entry = self.asked.setdefault((v.src, v.dst), [0, ""])
            entry[0] += 1
        elif opcode == "2":
            entry = self.asked.get((v.dst, v.src)) or self.asked.setdefault(("", v.src), [0, ""])
            entry[1] = mac

    def text(self) -> str:
        said = []
        for (asker, target), (times, mac) in self.asked.items():
            often = f" ({times} times)" if times > 1 else ""
            if not asker:
                said.append(f"{target} says, unasked, that it is at {mac}")
            elif asker == target or asker == "0.0.0.0":
                who = asker if asker == target else "a machine"
                said.append(
                    f"{who} announces {target}{often}, checking that nobody else uses it"
                    + (f"; {target} answers: it is at {mac}" if mac else "")
                )
            elif mac:
                said.append(
                    f"{asker} asks who has {target}{often}; {target} answers: it is at {mac}"
                )
            else:
                said.append(f"{asker} asks who has {target}{often}; no answer came")
        return (
            "ARP: a machine asks everyone on the local network which hardware (MAC) address "
            "has an IPv4 address, and the owner answers. " + "; ".join(said) + "."
        )


class _NdStory:
    """ARP's story for IPv6 Neighbor Discovery (RFC 4861): each (asker,
    address asked) pair, how often asked, and who answered."""

    def __init__(self) -> None:
        #: (asker, address asked) -> [times asked, answerer, the MAC it gives,
        #: the asker's own MAC (options, "" without)]; the asker
        #: "::" checks an address it wants (RFC 4862), "" marks an unasked answer
        self.asked: dict[tuple[str, str], list[Any]] = {}

    def add(self, v: View) -> None:
        what = v.mark[:1]
        if what == ("ns",):
            entry = self.asked.setdefault((v.src, v.mark[1]), [0, "", "", ""])
            entry[0] += 1
            entry[3] = entry[3] or v.mark[2]
        elif what == ("na",):
            target = v.mark[1]
            entry = (
                self.asked.get((v.dst, target))
                or self.asked.get(("::", target))
                or self.asked.setdefault(("", target), [0, "", "", ""])
            )
            entry[1], entry[2] = v.src, v.mark[2]

    def text(self) -> str:
        said = []
        for (asker, target), (times, src, mac, own) in self.asked.items():
            often = f" ({times} times)" if times > 1 else ""
            if own:
                often += f", giving its own hardware address {own}"
            verb = "says, unasked," if not asker else "answers"
            said_how = f"{src} {verb}{' that' if not asker else ':'}"
            if mac:  # the target link-layer address option (RFC 4861 4.6.1)
                answer = f"{said_how} {'it' if src == target else target} is at {mac}"
            else:
                answer = f"{said_how} it has {target}, with no link-layer address option"
            if not asker:
                said.append(answer)
                continue
            if asker == "::":
                ask = (
                    f"a machine checks that nobody else uses {target}{often} (duplicate address "
                    "detection, RFC 4862)"
                )
            else:
                ask = f"{asker} asks who has {target}{often}"
            said.append(f"{ask}; {answer if src else 'no answer came'}")
        return (
            "Neighbor Discovery (RFC 4861), IPv6's ARP: a machine asks the local network which "
            "hardware (MAC) address has an IPv6 address (neighbor solicitation), and the owner "
            "answers (neighbor advertisement). " + "; ".join(said) + "."
        )


_DHCP_TYPES = {
    "1": "Discover",
    "2": "Offer",
    "3": "Request",
    "4": "Decline",
    "5": "ACK",
    "6": "NAK",
    "7": "Release",
    "8": "Inform",
}


def _lease(seconds: str) -> str:
    if not seconds.isdigit():
        return ""
    s = int(seconds)
    if s == 0xFFFFFFFF:
        return " for ever"
    if s % 3600 == 0:
        return f" for {_plural(s // 3600, 'hour')}"
    return f" for {s} s"


class _DhcpStory:
    """Each transaction (client hardware address and id): its messages in order."""

    def __init__(self) -> None:
        self.talks: dict[tuple[str, str], list[str]] = {}

    def add(self, v: View) -> None:
        if v.mark[:1] != ("dhcp",):
            return
        kind, xid, mac, your, server, lease, wanted = v.mark[1:8]
        server = server or host(v.src)
        name = _DHCP_TYPES.get(kind, f"message {kind}")
        if kind == "1":
            said = "Discover: it asks everyone for a DHCP server"
        elif kind == "2":
            said = f"Offer: server {server} offers {your}{_lease(lease)}"
        elif kind == "3":
            said = f"Request: it asks for {wanted or your or 'its address'}"
        elif kind == "5":
            said = f"ACK: server {server} leases {your}{_lease(lease)}"
        elif kind == "6":
            said = f"NAK: server {server} refuses, the address is not for this network"
        elif kind == "7":
            said = f"Release: it gives {host(v.src)} back"
        else:
            said = name
        self.talks.setdefault((mac, xid), []).append(said)

    def text(self) -> str:
        out = []
        for (mac, _xid), said in self.talks.items():
            tail = ""
            if said[-1].startswith(("Discover", "Request")):
                tail = "; no server answered"
            out.append(
                f"The computer {mac} asks for an address by DHCP. " + "; ".join(said) + tail + "."
            )
        return " ".join(out)


def story(
    name: str,
) -> _TraceStory | _ScanStory | _ArpStory | _NdStory | _DhcpStory | GoodbyeStory | None:
    """A fresh accumulator for a step named `name`, or None when it is
    neither a pattern's nor TLS's goodbye (told like a pattern: what each
    side sent)."""
    if name == GOODBYE:
        return GoodbyeStory()
    if name in TRACE.values():
        return _TraceStory()
    if name == "scan":
        return _ScanStory()
    if name == "arp":
        return _ArpStory()
    if name == "nd":
        return _NdStory()
    if name == "dhcp":
        return _DhcpStory()
    return None


def explain(n: int, text: str) -> str:
    return f"{_plural(n, 'packet')}: {text}"
