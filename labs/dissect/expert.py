""" "What went wrong": Wireshark's Expert Info for a capture, for a learner.

Counts the TCP analysis flags of every packet (`labs.dissect.tcp_analysis`)
and says, kind by kind, what each means and which packets show it, worst
first. Then the gaps no segment ever filled: bytes of a direction that never
came before the capture ended (Wireshark flags only the jump, "previous
segment not captured", whether it is filled later or not). Then what is not
TCP's analysis but went wrong all the same: resets (Wireshark's expert info
tcp.connection.rst, a warning, on each alike), told apart by the handshake
they end (a SYN refused, a SYN-ACK the opener reset, or any other), DNS
answers with an error code (dns.flags.rcode), and the longest silences
(`labs.dissect.silences`).
Built from the light Views steps are grouped from, so a capture read in two
processes gets the same section.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import islice

from labs.dissect.silences import Silences
from labs.dissect.steps import View
from labs.model.numbers import ref
from labs.model.trace import Section

TITLE = "What went wrong"

#: flag -> (one, many, what it means), worst first. A fast or spurious
#: retransmission is also flagged a retransmission; it is counted as its own kind.
_KINDS = (
    ("refused", "connection refused", "connections refused",
     "a SYN answered with a reset by the side it asked, acknowledging that SYN before any "
     "SYN-ACK: nothing listens on that port, or a firewall rejected the connection on its "
     "behalf (the packets cannot tell which; a firewall that drops sends nothing back)"),
    ("reset", "reset (RST)", "resets (RST)",
     "a side aborted the connection at once: a program gave up on it, or that side had no "
     "such connection (it had closed it, or never opened it), or a firewall cut it on its "
     "behalf"),
    ("opener_reset", "handshake reset by the opener", "handshakes reset by the opener",
     "the side that sent the SYN reset the connection after the answer (SYN-ACK), before any "
     "data: the port answered, so something listens there and the SYN got through; the "
     "opener's own system did not want the connection (a port scan's or a TCP traceroute's "
     "SYNs are sent past it, so it resets what the SYN-ACK offers) or a program gave up on it"),
    ("retransmission", "retransmission", "retransmissions",
     "data sent again: no ACK had covered these bytes yet (a segment or its ACK was lost, or "
     "only late); each packet says whether the receiver's ACKs asking for them or the "
     "sender's timer came first"),
    ("unanswered", "connection never answered", "connections never answered",
     "a SYN, sent again at least once, and nothing back in the whole capture, neither a "
     "SYN-ACK nor a reset: something on the way dropped them or their answers (a firewall that drops "
     "rather than rejects, a wrong address or route), or the capture ended first. A closed "
     "port, or a firewall that rejects, answers at once with a reset"),
    ("syn_resent", "SYN sent again", "SYNs sent again",
     "a connection's first packet sent again: no answer (SYN-ACK) came before the sender's "
     "timer ran out (RFC 6298 sets its first wait at 1 s; how the waits grow after that "
     "depends on the system: the silences below show them)"),
    ("syn_again", "SYN again after the close", "SYNs again after the close",
     "the SYN that began a connection, with the same initial sequence number, after that "
     "connection had ended: Wireshark calls it a retransmission and keeps it in the old "
     "conversation: not a new connection (a late copy, or sent again)"),
    ("synack_again", "SYN-ACK resent", "SYN-ACKs resent",
     "the answer to a SYN sent again: no ACK of it reached that side in time (it was lost, or "
     "what came acknowledged something else), or the SYN came again"),
    ("fast_retransmission", "fast retransmission", "fast retransmissions",
     "data sent again at once, without waiting for the timer, because duplicate ACKs said a "
     "segment was missing"),
    ("spurious_retransmission", "spurious retransmission", "spurious retransmissions",
     "data sent again that the receiver had already acknowledged: the copy was not needed "
     "(the sender gave up waiting too soon, or the ACK was slow)"),
    ("lost_segment", "segment not captured", "segments not captured",
     "a jump in the sequence numbers: data before it was lost on the way, or the capture "
     "missed it (as one started in the middle of a conversation does)"),
    ("ack_lost_segment", "ACK of unseen data", "ACKs of unseen data",
     "an acknowledgment of bytes the capture never saw: the capture missed them"),
    ("out_of_order", "out-of-order segment", "out-of-order segments",
     "data older than what already arrived, soon after it: overtaken on the way, or resent"),
    ("duplicate_ack", "duplicate ACK", "duplicate ACKs",
     "the receiver repeating its acknowledgment: later data arrived while earlier bytes were still missing"),
    ("zero_window", "zero window", "zero windows",
     "the receiver's buffer was full: the sender had to stop and wait"),
    ("zero_window_probe", "zero window probe", "zero window probes",
     "the sender asking, one byte at a time, whether a closed window has opened"),
    ("window_full", "full window", "full windows",
     "the sender used all the room the receiver announced, then had to wait"),
    ("keep_alive", "keep-alive", "keep-alives",
     "a check that the other side is still there on an idle connection (nothing wrong)"),
    ("window_update", "window update", "window updates",
     "the receiver announcing it has room again (nothing wrong)"),
    ("reused_ports", "port pair reused", "port pairs reused",
     "a new connection on the same two ports as an earlier one: a conversation of its own "
     "(nothing wrong; Wireshark notes it)"),
    ("reused_answer", "SYN-ACK with a new number", "SYN-ACKs with a new number",
     "an answer to a SYN (SYN-ACK) from another initial sequence number than its side used "
     "before on these ports: Wireshark notes the ports reused but keeps it in the same "
     "conversation (only a SYN begins a new one); when Wireshark also flags it 'previous "
     "segment not captured', that is the jump to the new number, not lost data"),
)  # fmt: skip


#: Packets listed per kind; the rest are counted.
_SHOWN = 8


def _listed(indexes: list[int], total: int) -> str:
    """The first packets of a kind by the numbers a learner reads: "#28, #34"."""
    shown = ", ".join(ref(n) for n in indexes[:_SHOWN])
    return shown + (f" and {total - _SHOWN} more" if total > _SHOWN else "")


def expert_section(views: Sequence[View], probing: bool = False) -> Section | None:
    """The section for a capture with TCP in it; None without TCP
    (`probing`: its steps include a port scan or a TCP traceroute)."""
    found = Expert()
    found.probing = probing
    for v in views:
        found.add(v)
    return found.section()


#: The steps whose probes are answered with resets as a matter of course.
PROBING = frozenset({"scan", "traceroute-tcp"})
#: What the rows of resets that probing draws add when the capture probes.
_PROBED = (
    "; this capture probes ports (a port scan or a TCP traceroute), which draws these as a "
    "matter of course"
)
#: Said once, on the first row of resets: the packets tell apart what
#: Wireshark's Expert Info does not.
_WIRESHARK = (
    ". Wireshark flags every reset alike, with the warning 'Connection reset' "
    "(tcp.connection.rst), whatever came before it"
)
#: The rows of resets, and those that probing draws.
_RESETS = ("refused", "reset", "opener_reset")
_PROBE_RESETS = ("refused", "opener_reset")
#: Handshakes whose resets are still to be told apart, kept at most: the
#: oldest are forgotten first, a quarter at a time (a scan of ports that
#: never answer must not make memory grow with the capture; a refusal
#: comes at once).
_OPENING = 4096


class _Handshake:
    """What `Expert` keeps of a handshake not yet settled."""

    __slots__ = ("ack", "answered", "first", "heard", "sent")

    def __init__(self, ack: int, first: int) -> None:
        #: the acknowledgment number that answers the SYN
        self.ack = ack
        #: a SYN-ACK came (since the last SYN)
        self.answered = False
        #: the first SYN's packet, and how many SYNs were sent
        self.first, self.sent = first, 0
        #: anything came from the side the SYN asked
        self.heard = False


class Expert:
    """`expert_section` one packet at a time, keeping per kind only its count
    and the first packet numbers it lists (a capture read as a stream)."""

    def __init__(self) -> None:
        self.tcp = False
        #: flag -> (how many, the first numbers)
        self.found: dict[str, tuple[int, list[int]]] = {}
        #: (from, to) -> the byte ranges it sent that were seen
        self.bytes: dict[tuple[str, str], Seen] = {}
        #: DNS error code ("NXDOMAIN", ...) -> (how many, the first numbers, the names)
        self.dns: dict[str, tuple[int, list[int], list[str]]] = {}
        self.silences = Silences()
        #: (opener, asked) -> its handshake, until data, a FIN or a reset
        #: that ends it settles it; oldest first
        self.opening: dict[tuple[str, str], _Handshake] = {}
        #: a step of the capture probes ports (`PROBING`; set by the caller,
        #: which names the steps)
        self.probing = False

    def add(self, v: View) -> None:
        self.silences.add(v)
        if v.app[:2] == ("dns", "1") and v.app[4] not in ("", "0", "NOERROR", "No error"):
            self._dns_error(v)
        if v.kind == "TCP":
            self.tcp = True
            bits = v.bits  # read once: a View's fields are slow to read
            if bits & 0x04:
                # Wireshark's tcp.connection.rst is on every segment with RST;
                # told apart by the handshake it ends, if any.
                self._count(self._reset(v) if self.opening else "reset", v.number)
            elif bits & 0x02:
                self._handshake(v, bits)
            elif self.opening and (bits & 0x01 or v.seg):
                # Data or a FIN: past the handshake, whichever side sent it.
                if self.opening.pop((v.src, v.dst), None) is None:
                    self.opening.pop((v.dst, v.src), None)
            if self.opening and (answer := self.opening.get((v.dst, v.src))) is not None:
                answer.heard = True  # from the side the SYN asked, whatever it is
            if "reused_ports" in v.analysis:
                # Another initial sequence number: this side's bytes (both
                # sides' for a new connection's SYN) start anew.
                self.bytes.pop((v.src, v.dst), None)
                if not bits & 0x10:
                    self.bytes.pop((v.dst, v.src), None)
            if v.seq >= 0:
                self._place(v)
        for flag in v.analysis:
            if flag == "retransmission" and (
                "fast_retransmission" in v.analysis or "spurious_retransmission" in v.analysis
            ):
                continue
            if flag == "retransmission" and v.bits & 0x02:
                # A handshake's segment sent again: said as what it is.
                flag = "synack_again" if v.bits & 0x10 else "syn_again" if v.again else "syn_resent"
            elif v.bits & 0x12 == 0x12 and "reused_ports" in v.analysis:
                if flag == "lost_segment":
                    continue  # the jump to its new number: said in its own row
                flag = "reused_answer" if flag == "reused_ports" else flag
            self._count(flag, v.number)

    def _reset(self, v: View) -> str:
        """The kind of reset `v` is, by the handshake of its conversation."""
        opening = self.opening
        asked = opening.get((v.dst, v.src))
        if asked is not None:  # from the side a SYN asked
            if not asked.answered and asked.ack == v.ack:
                del opening[v.dst, v.src]
                return "refused"
            # Anything else from that side leaves the handshake open: the
            # opener ignores a reset that acknowledges something else, and
            # one after the SYN-ACK may answer a stray segment (RFC 9293 3.10.7).
            return "reset"
        asking = opening.pop((v.src, v.dst), None)
        return "opener_reset" if asking is not None and asking.answered else "reset"

    def _handshake(self, v: View, bits: int) -> None:
        """Note a SYN or a SYN-ACK (`v`, flags `bits`, no RST) in its handshake."""
        opening = self.opening
        if not bits & 0x10:
            seq = v.seq
            if seq < 0:
                return
            key = (v.src, v.dst)
            # Its own sequence number, and any data it carries (TCP Fast Open).
            ack = (seq + 1 + v.seg) % _MOD
            # A SYN sent again is asked anew, and forgotten last.
            shake = opening.pop(key, None)
            if shake is None or shake.ack != ack:  # a new initial sequence number
                shake = _Handshake(ack, v.number)
            shake.answered = False
            shake.sent += 1
            opening[key] = shake
            if len(opening) > _OPENING:
                # The oldest quarter at once: a dict finds its first entry
                # only past those deleted before it, so one at a time costs
                # a search each.
                for old in list(islice(opening, _OPENING // 4)):
                    del opening[old]
        elif opening:
            key = (v.dst, v.src)
            asked = opening.get(key)
            if asked is not None:
                asked.answered = True

    def _count(self, flag: str, number: int) -> None:
        n, numbers = self.found.get(flag, (0, []))
        if n < _SHOWN:
            numbers.append(number)
        self.found[flag] = (n + 1, numbers)

    def _dns_error(self, v: View) -> None:
        n, numbers, names = self.dns.get(v.app[4], (0, [], []))
        if n < _SHOWN:
            numbers.append(v.number)
        if v.app[3] and v.app[3] not in names and len(names) < _SHOWN:
            names.append(v.app[3])
        self.dns[v.app[4]] = (n + 1, numbers, names)

    def section(self) -> Section | None:
        # Sent again, never answered: a single SYN may be a probe a router
        # answered (a TCP traceroute) or one the capture ended after.
        for first in sorted(h.first for h in self.opening.values() if h.sent > 1 and not h.heard):
            self._count("unanswered", first)
        self.opening = {}
        dns = [_dns_row(code, *found) for code, found in self.dns.items()]
        silences = self.silences.rows()
        if not self.tcp and not dns and not silences:
            return None
        rows = ["Seen\tPackets\tWhat it means"]
        wireshark = _WIRESHARK
        for flag, one, many, meaning in _KINDS:
            n, numbers = self.found.get(flag, (0, []))
            if n:
                meaning += _PROBED if self.probing and flag in _PROBE_RESETS else ""
                if flag in _RESETS:
                    meaning, wireshark = meaning + wireshark, ""
                rows.append(f"{n} {one if n == 1 else many}\t{_listed(numbers, n)}\t{meaning}")
        rows += [_gap_row(key, seen) for key, seen in self.bytes.items() if len(seen.spans) > 1]
        rows += dns + silences
        if len(rows) == 1:
            return Section(
                TITLE,
                "Nothing that Wireshark's TCP analysis flags (its Expert Info): no retransmission, "
                "no reset, no lost or out-of-order segment, no duplicate ACK, no full or zero "
                "window; no DNS error, and no long silence.",
            )
        # A table: the text output shows it at the top, with the steps.
        return Section(TITLE, "\n".join(rows), "table")

    def _place(self, v: View) -> None:
        """Note the bytes of `v` (a TCP segment) where they go in its direction."""
        key = (v.src, v.dst)
        seen = self.bytes.get(key)
        if v.seg:
            if seen is None:
                seen = self.bytes[key] = Seen(v.seq + (v.bits >> 1 & 1))
            # A SYN's own sequence number comes before its data (TCP Fast Open).
            seen.add((v.seq + (v.bits >> 1 & 1) - seen.base) % _MOD, v.seg, v.number)
        if seen is not None and v.bits & 0x05 and len(seen.spans) < 2:
            # FIN or RST with no gap open: nothing more of this direction can be missing.
            del self.bytes[key]


_MOD = 1 << 32
#: gaps kept per direction (a damaged capture may jump at every packet)
_SPANS = 256


class Seen:
    """The bytes of one direction seen so far: spans [start, end) from the
    first byte seen (`base`), each with the packet its first byte came in."""

    def __init__(self, base: int) -> None:
        self.base = base
        self.spans: list[list[int]] = []

    def add(self, at: int, n: int, number: int) -> None:
        if at >= _MOD // 2:
            return  # before the first byte seen: the capture began after it
        spans = self.spans
        if spans and at >= spans[-1][1]:  # in order, or a jump: no merging to do
            if at == spans[-1][1]:
                spans[-1][1] = at + n
            elif len(spans) < _SPANS:
                spans.append([at, at + n, number])
            return
        spans.append([at, at + n, number])
        spans.sort()
        merged = [spans[0]]
        for span in spans[1:]:
            last = merged[-1]
            if span[0] <= last[1]:
                last[1] = max(last[1], span[1])
            else:
                merged.append(span)
        self.spans = merged


def _gap_row(key: tuple[str, str], seen: Seen) -> str:
    """A row for a direction whose bytes have gaps no segment filled."""
    gaps = [(b[0] - a[1], b[2]) for a, b in zip(seen.spans, seen.spans[1:], strict=False)]
    missing = sum(n for n, _at in gaps)
    before = ", ".join(f"{n} bytes before {ref(at)}" for n, at in gaps[:_SHOWN])
    more = f" and {len(gaps) - _SHOWN} more gaps" if len(gaps) > _SHOWN else ""
    return (
        f"{missing} bytes never captured\t{_listed([at for _n, at in gaps], len(gaps))}\t"
        f"{key[0]} to {key[1]}: {before}{more} never came before the capture ended, not even "
        "resent. Wireshark flags only the jump ('previous segment not captured'); these bytes "
        "were lost for good (the connection stalled or was cut) or the capture missed them"
    )


#: DNS error codes (dns.flags.rcode as Wireshark shows it; RFC 1035, 2136) -> what it says
_RCODES = {
    "FORMERR": "format error: the server could not read the question",
    "SERVFAIL": "server failure: the server, or a server it asked, is broken or unreachable, "
    "or DNSSEC validation failed",
    "NXDOMAIN": "no such name: the name does not exist (a typo, or a name not yet published)",
    "NOTIMP": "not implemented: the server does not answer this kind of question",
    "REFUSED": "refused: the server will not answer (its policy: not this client, or not "
    "this name)",
}


def _dns_row(code: str, n: int, numbers: list[int], names: list[str]) -> str:
    """A row for the DNS answers with error code `code`."""
    meaning = _RCODES.get(code, f"{code}: an error")
    about = f" for {', '.join(names)}" if names else ""
    answers = "DNS answer" if n == 1 else "DNS answers"
    return f"{n} {code} {answers}\t{_listed(numbers, n)}\tthe answer{about} says {meaning}"
