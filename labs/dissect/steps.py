"""Group a trace's packets into the phases a learner names: dns, tcp-connect,
tls, request, response, close (plus "refused" for a SYN answered by RST,
"old-syn" for a closed connection's first SYN sent again and "data" for
other payload), a TFTP transfer, and the patterns of
`labs.dissect.patterns` (arp, IPv6 neighbor discovery, dhcp, a traceroute, a
port scan), each with its start time and duration."""

from __future__ import annotations

from collections.abc import Container, Iterable, Sequence
from operator import attrgetter
from typing import NamedTuple

from labs.dissect import app_steps, pattern_text, tls_steps
from labs.dissect.narrate import field_map
from labs.dissect.patterns import Patterns, mark
from labs.dissect.roles import Ends
from labs.dissect.tcp_words import AGAIN
from labs.model.trace import Packet, Step

TITLES = {
    "dns": "Look up the name (DNS)",
    "tcp-connect": "Open the connection (TCP handshake)",
    "refused": "Connection refused",
    "old-syn": "The first SYN again, after the close",
    "tls": "Set up encryption (TLS handshake)",
    "request": "Send the request",
    "response": "Receive the response",
    "data": "Exchange data",
    "tftp": "Transfer a file (TFTP)",
    "retransmit": "Resend lost data (retransmission)",
    "goodbye": "Say goodbye, most likely (TLS)",
    "close": "Close the connection",
    "ftp-data-close": "Close the data connection (FTP)",
    "arp": "Find the hardware address (ARP)",
    "nd": "Find the hardware address (IPv6 Neighbor Discovery)",
    "dhcp": "Get an address (DHCP)",
    "traceroute-udp": "Trace the route (UDP probes)",
    "traceroute-icmp": "Trace the route (ICMP echo probes)",
    "traceroute-tcp": "Trace the route (TCP SYN probes)",
    "scan": "Scan the ports (port scan)",
    "other": "Other packets",
}


_KINDS = ("TCP", "UDP", "ICMP", "ICMPv6", "ARP")
#: TCP analysis flags of a segment whose bytes were sent before.
_RESENT = frozenset({"retransmission", "fast_retransmission", "spurious_retransmission"})


class View(NamedTuple):
    """What grouping reads of one packet: small enough to be sent between
    processes when a large capture is dissected in two (`labs.files.parallel`)."""

    #: the packet's index in the trace
    number: int
    time: float
    src: str
    dst: str
    summary: str
    #: first word of each layer's name ("TCP", "HTTP", "TLS", "DNS", ...)
    names: frozenset[str]
    #: the transport: TCP, UDP, ICMP, ICMPv6, ARP or ""
    kind: str
    #: TCP flags and segment length (0 for other packets)
    bits: int
    seg: int
    #: carries a TLS handshake, change cipher spec or readable alert record
    tls_setup: bool
    #: Wireshark's TCP analysis flags of the packet ("retransmission", ...)
    analysis: tuple[str, ...] = ()
    #: what `labs.dissect.patterns` reads: the TTL (hop limit) of a packet
    #: that may be a probe (else 0), and the facts of an ICMP, ARP or DHCP packet
    ttl: int = 0
    mark: tuple[str, ...] = ()
    #: a TCP segment's sequence number as sent (else -1): where its bytes go
    seq: int = -1
    #: what a DNS, TFTP or TLS goodbye step reads of it (`app_steps`, `tls_steps`)
    app: tuple[str, ...] = ()
    #: a TCP segment's acknowledgment number with the ACK flag (else -1)
    ack: int = -1
    #: a SYN the analysis found to be its conversation's first SYN sent
    #: again after that connection closed (`labs.dissect.tcp_words.AGAIN`)
    again: bool = False


#: the layers' names -> the first word of each (`View.names`)
_NAMES: dict[tuple[str, ...], frozenset[str]] = {}
_NAME = attrgetter("name")


def view(p: Packet) -> View:
    transport = None
    for layer in p.layers:
        if layer.name in _KINDS:
            transport = layer
            break
    kind = transport.name if transport else ""
    bits = seg = 0
    seq = ack = -1
    if transport is not None and kind == "TCP":
        f = field_map((transport,))
        bits = int(f["tcp.flags"].value, 16) if "tcp.flags" in f else 0
        seg = int(f["tcp.len"].value) if "tcp.len" in f else 0
        seq = int(f["tcp.seq_raw"].value) if "tcp.seq_raw" in f else -1
        if bits & 0x10 and "tcp.ack_raw" in f:
            ack = int(f["tcp.ack_raw"].value)
    layer_names = tuple(map(_NAME, p.layers))
    names = _NAMES.get(layer_names)
    if names is None:
        # One frozenset per kind of packet, not per packet: a capture has few kinds.
        names = frozenset(name.split(" ", 1)[0] for name in layer_names)
        if len(_NAMES) < 4096:
            _NAMES[layer_names] = names
    # A TLS packet's facts say whether its records all end a side's sending.
    tls_setup, app = tls_steps.record_facts(p.layers) if "TLS" in names else (False, ())
    # Only a packet the analysis flagged has "[TCP ...]" before its summary.
    analysis = (
        tuple(
            f.filter[13:]
            for f in transport.fields
            if f.filter and f.filter.startswith("tcp.analysis.") and f.length == 0 and not f.value
        )
        if transport is not None and kind == "TCP" and p.summary.startswith("[")
        else ()
    )
    # The analysis's own mark (no Wireshark name) on an old SYN sent again.
    again = bool(analysis) and any(f.name == AGAIN for f in transport.fields)  # type: ignore[union-attr]
    ttl, facts = mark(p, kind, bits) if kind else (0, ())
    app = app_steps.facts(p.layers) if "DNS" in names or "TFTP" in names else app
    return View(
        p.index, p.time, p.src, p.dst, p.summary, names, kind, bits, seg, tls_setup, analysis,
        ttl, facts, seq, app, ack, again,
    )  # fmt: skip


def _conv(p: View) -> str:
    """`p`'s conversation (both ends, in either direction) as one string."""
    a, b = p.src, p.dst
    return f"{a}\0{b}" if a <= b else f"{b}\0{a}"


def classify(packets: Sequence[View]) -> tuple[list[str], set[int]]:
    """A step name for each packet, and the packets that begin a step of
    their own whatever the name before them. Pure ACKs join their
    conversation's current step, so a handshake's last ACK counts as part
    of the connect."""
    names: list[str] = []
    starts: set[int] = set()
    classifier = Classifier()
    for i, p in enumerate(packets):
        name, renames = classifier.feed(p)
        for at, new in renames:
            names[at] = new
        names.append(name)
        if classifier.begins:
            starts.add(i)
    return names, starts


_STEPS = tuple(TITLES)  # the step names, by code
_CODES = {name: code for code, name in enumerate(_STEPS)}
#: A conversation's state, one int: its current step's code, a bit once it
#: closes, one once a SYN-ACK answered its last SYN, one once it carried FTP
#: data (its close's FIN and ACK cannot show it), then (shifted: `_SYN`) one
#: more than that SYN's sequence number and (shifted again) its position + 1.
_CLOSING, _ANSWERED, _FTP_DATA, _SYN = 32, 64, 128, 8


class Classifier:
    """`classify` one packet at a time (`tutor explain --json` streams a
    capture): `feed` gives the packet's step name and the earlier packets
    (position, new name) it renames: the SYN of a refused connection when
    the reset comes, the first probes of a traceroute or a scan once it shows.

    What it remembers of each conversation is one int (`state`: a capture
    of many short connections keeps ~0.2 KB of each), and with `last`
    (`last[i]` true: packet i is the last of its TCP or UDP conversation,
    as `labs.files.survey.Survey.last` finds) not even that once it is over;
    with `syns` (the capture's SYNs as the survey gives them, `Learned`) a
    client is forgotten after the last packet that names it."""

    def __init__(
        self, last: Sequence[int] = b"", syns: Iterable[tuple[int, str, str, str, int, int]] = ()
    ) -> None:
        self.last = last
        self.state: dict[str, int] = {}
        self.clients: set[str] = set()
        #: a client was ever seen (`clients` forgets them)
        self.any_client = False
        self.count = 0
        #: the packet just fed begins a step of its own even if the one
        #: before has its step name (a TFTP transfer after another)
        self.begins = False
        self.patterns = Patterns()
        self._syns = iter(syns)
        self._syn = next(self._syns, None)
        self._ends = Ends()
        self.goodbyes = tls_steps.Goodbyes()

    def _expire(self, i: int) -> None:
        """Packet `i` is next: forget the clients no packet from it on names."""
        syn = self._syn
        if syn is not None and syn[0] < i:
            while syn is not None and syn[0] < i:
                self._ends.after(syn[2], syn[4])
                syn = next(self._syns, None)
            self._syn = syn
        heap = self._ends.heap
        if heap and heap[0][0] < i:
            for end in self._ends.gone(i):
                self.clients.discard(end)

    def feed(self, p: View) -> tuple[str, list[tuple[int, str]]]:
        i = self.count
        self.count += 1
        if self._syn is not None or self._ends.heap:
            self._expire(i)
        clients = self.clients
        conv = _conv(p)
        state = self.state.get(conv, -1)
        current = _STEPS[state & 31] if state >= 0 else None
        syn = state >> _SYN if state >= 0 else 0  # decoded only when a reset needs it
        flags = state & (_CLOSING | _ANSWERED | _FTP_DATA) if state >= 0 else 0
        layer_names = p.names
        kind = p.kind
        name = "other"
        refused = None
        renames: list[tuple[int, str]] = []
        if "DNS" in layer_names or "DNS-TCP" in layer_names:
            # DNS-TCP: a segment with part of a DNS message, in the lookup's step.
            name = "dns"
        elif kind == "TCP":
            bits, seg = p.bits, p.seg
            if (
                bits & 0x12 == 0x02
                and p.again
                or (current == "old-syn" and not seg and not bits & 0x01 and bits & 0x12 != 0x02)
            ):
                # The closed connection's first SYN again, and what answers
                # it: no new connection (tshark keeps it in the old stream).
                name = "old-syn"
            elif bits & 0x02:
                if not bits & 0x10:
                    clients.add(p.src)
                    self.any_client = True
                    syn = (i + 1) << 33 | (p.seq + 1)
                    flags = 0  # a new connection on ports an earlier one closed
                else:
                    flags |= _ANSWERED
                name = "tcp-connect"
            elif (
                bits & 0x04
                and current == "tcp-connect"
                and p.dst in clients
                and not seg
                and not flags & _ANSWERED
                and syn & 0x1_FFFF_FFFF  # a SYN was seen, and this acknowledges it:
                and p.ack == syn & 0xFFFF_FFFF  # its number + 1
            ):
                # A reset that acknowledges the SYN, which nothing else answered.
                name = "refused"
                refused = (syn >> 33) - 1 if syn >> 33 else None
            elif bits & 0x05 or flags & _CLOSING:
                flags |= _CLOSING
                name = "ftp-data-close" if flags & _FTP_DATA else "close"
            elif seg and _RESENT.intersection(p.analysis):
                name = "retransmit"
            elif seg:
                if "TLS" in layer_names and p.tls_setup:
                    name = "tls"
                elif "HTTP" in layer_names or "TLS" in layer_names:
                    reply = p.dst in clients or (not self.any_client and app_steps.is_reply(p))
                    name = "response" if reply else "request"
                    if reply and current == "tls" and "HTTP" not in layer_names:
                        # Encrypted records before the client asked anything answer
                        # no request: they stay in the handshake (`tls_steps.HandshakeStory`).
                        name = "tls"
                else:
                    name = "data"
                    if "FTP-DATA" in layer_names:
                        flags |= _FTP_DATA
            else:
                name = current or "data"
            if p.app or self.goodbyes.pending:  # a TLS goodbye, or one it may take back
                name = self.goodbyes.name(i, p, conv, name, renames)
        elif kind == "UDP":
            name = "tftp" if "TFTP" in layer_names else "data"
        if refused is not None:
            renames.append((refused, "refused"))
        claimed = self.patterns.name(i, p, conv, name, renames)
        self.begins = name == "tftp" and self.patterns.tftp.begins
        if claimed != name:
            # A pattern's packet: a refused SYN it probed keeps the pattern's name.
            renames = [r for r in renames if r[1] != "refused"]
            name = claimed
        if self.last and self.last[i] and kind in ("TCP", "UDP"):
            self.state.pop(conv, None)
            self.patterns.convs.pop(conv, None)
            self.goodbyes.settled(conv)
        else:
            self.state[conv] = syn << _SYN | flags | _CODES[name]
        return name, renames


#: Stories told with the step's packet count (one tuple, not a union made per step).
_COUNTS = (app_steps.OldSynStory, tls_steps.HandshakeStory)
#: Steps whose explanation does not list their packets' summaries.
_COUNTED = frozenset(TITLES) - {"tcp-connect", "data", "other"}


class Run:
    """One step's packets, fed in order, as its explanation reads them: the
    same words for `group` and for the streamed `tutor explain --json`,
    which holds only what the explanation needs, never the whole step."""

    def __init__(self, name: str, first: View):
        self.name, self.first, self.count = name, first, 0
        self.listed: list[str] | dict[str, None] | None = (
            [] if name == "tcp-connect" else None if name in _COUNTED else {}
        )
        self.story = (
            app_steps.DnsStory()
            if name == "dns"
            else app_steps.TftpStory()
            if name == "tftp"
            else app_steps.OldSynStory()
            if name == "old-syn"
            else tls_steps.HandshakeStory()
            if name == "tls"
            else pattern_text.story(name)
        )

    def add(self, v: View) -> None:
        self.count += 1
        if self.story is not None:
            self.story.add(v)
        elif isinstance(self.listed, list):
            self.listed.append(v.summary)
        elif self.listed is not None:
            self.listed[v.summary] = None

    def title(self) -> str:
        """The step's title: a TFTP step's names its files."""
        if isinstance(self.story, app_steps.TftpStory):
            return self.story.title()
        return TITLES.get(self.name, self.name)

    def explain(self) -> str:
        if isinstance(self.story, app_steps.DnsStory):
            n = self.count
            return f"{n} packet{'s' if n != 1 else ''} of DNS (RFC 1035): {self.story.text()}."
        if isinstance(self.story, _COUNTS):
            return self.story.text(self.count)
        if self.story is not None:
            return pattern_text.explain(self.count, self.story.text())
        first = self.first
        return app_steps.explain_run(
            self.name, self.count, first.src, first.dst, list(self.listed or ())
        )


def group(
    packets: Sequence[View], names: list[str], starts: Container[int] = ()
) -> tuple[Step, ...]:
    """Consecutive packets with the same step name form one Step, except
    that a packet in `starts` begins one of its own."""
    steps: list[Step] = []
    t0 = packets[0].time if packets else 0.0
    run: list[View] = []
    text: Run | None = None
    for i, p in enumerate(packets):
        run.append(p)
        if text is None:
            text = Run(names[i], p)
        text.add(p)
        if i + 1 < len(packets) and names[i + 1] == names[i] and i + 1 not in starts:
            continue
        steps.append(
            Step(
                name=names[i],
                packets=tuple(q.number for q in run),
                explain=text.explain(),
                title=text.title(),
                start=round(run[0].time - t0, 6),
                duration=round(run[-1].time - run[0].time, 6),
            )
        )
        run, text = [], None
    return tuple(steps)


def steps_of(views: Sequence[View]) -> tuple[Step, ...]:
    return group(views, *classify(views))


def default_steps(packets: tuple[Packet, ...]) -> tuple[Step, ...]:
    return steps_of([view(p) for p in packets])
