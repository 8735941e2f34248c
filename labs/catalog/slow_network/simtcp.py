"""The simulated slow link and TCP over it, for `simulate`: frames as the
laptop's card would see them, with computed times, and a model of loss.

The model of loss is the textbook one, deterministic so the same
conditions always give the same run: router 1 drops each frame with the
loss probability (a random generator seeded from the conditions). A
segment after a hole makes the receiver send a duplicate ACK at once, with
a SACK block for what did arrive (RFC 2018); three duplicate ACKs make the
sender resend the missing segment at once (fast retransmit, RFC 5681);
without them it resends when its retransmission timer runs out, one RTT
plus 200 ms (Linux's minimum, RFC 6298's formula with a steady RTT), a
timer that doubles after each timeout (backoff). The window halves after a
loss. A lost SYN is resent after 1 s, then 2 s, 4 s: RFC 6298's doubling
(Linux 6.6 and later resend the first four at a steady 1 s instead,
net.ipv4.tcp_syn_linear_timeouts). Real TCP does more (SACK recovery of
several holes, RACK, PRR, delayed ACK timers); the live version shows it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Ether

from labs.catalog.slow_network.result import Drop
from labs.core.base import RawPacket

LAPTOP, ROUTER, SERVER = "192.0.2.10", "192.0.2.1", "203.0.113.80"
MAC_LAPTOP, MAC_ROUTER = "02:00:00:00:00:0a", "02:00:00:00:00:01"
START = 1_700_000_000.0
#: The retransmission timer before any RTT is measured (RFC 6298, 2.1): a SYN's.
INITIAL_RTO = 1.0
#: Linux's smallest retransmission timer (TCP_RTO_MIN).
RTO_MIN = 0.2


@dataclass
class Wire:
    """Frames as the laptop's card sees them, and what router 1 dropped."""

    rtt: float
    rate: int
    loss: float = 0.0
    seed: str = ""
    frames: list[RawPacket] = field(default_factory=list)
    drops: list[Drop] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def add(self, t: float, pkt: Any, out: bool) -> None:
        src, dst = (MAC_LAPTOP, MAC_ROUTER) if out else (MAC_ROUTER, MAC_LAPTOP)
        frame = Ether(src=src, dst=dst) / pkt
        self.frames.append(
            RawPacket(START + t, bytes(frame), "ethernet", "your laptop's card (eth0)")
        )

    def lost(self, t: float, out: bool, pkt: Any) -> bool:
        """Whether router 1 drops this packet (and if so, noted as the forwarder notes it)."""
        if not self.loss or self.rng.random() >= self.loss:
            return False
        way = "toward the server" if out else "toward the laptop"
        # Both MACs given: scapy would otherwise look the destination up with ARP.
        src, dst = (MAC_LAPTOP, MAC_ROUTER) if out else (MAC_ROUTER, MAC_LAPTOP)
        head = bytes(Ether(src=src, dst=dst) / pkt)[:96].hex()
        self.drops.append(Drop(START + t + self.rtt / 4, way, head))
        return True

    def spacing(self, size: int) -> float:
        """Time one packet of `size` bytes takes through the rate limit."""
        return size * 8 / (self.rate * 1000) if self.rate else 0.00001


class Conn:
    """One simulated TCP connection from the laptop to the API server."""

    def __init__(self, wire: Wire, sport: int, mss: int) -> None:
        self.wire, self.sport, self.mss = wire, sport, mss
        self.cseq, self.sseq = 1000 * sport, 7_000_000 + sport
        #: When the sender hears each duplicate ACK of the last round.
        self.dups: list[float] = []

    def packet(
        self, out: bool, flags: str, seq: int, ack: int, data: bytes = b"", sack: Any = None
    ) -> Any:
        ip = (
            IP(src=LAPTOP, dst=SERVER, flags="DF")
            if out
            else IP(src=SERVER, dst=LAPTOP, flags="DF", ttl=62)
        )
        sport, dport = (self.sport, 443) if out else (443, self.sport)
        opts: list[Any] = [("MSS", 1460)] if "S" in flags else []
        if sack:
            opts = [("NOP", None), ("NOP", None), ("SAck", sack)]
        tcp = TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack if "A" in flags else 0,
                  window=502, options=opts)  # fmt: skip
        return ip / tcp / data

    def seg(self, t: float, out: bool, flags: str, data: bytes = b"") -> None:
        seq, ack = (self.cseq, self.sseq) if out else (self.sseq, self.cseq)
        self.wire.add(t, self.packet(out, flags, seq, ack, data), out)
        grow = len(data) + (1 if "S" in flags or "F" in flags else 0)
        if out:
            self.cseq += grow
        else:
            self.sseq += grow

    def open(self, t: float) -> float:
        """The handshake, a lost SYN or SYN-ACK sent again when the laptop's
        timer runs out (1 s, then 2 s, ...); returns when the laptop's ACK leaves."""
        wait, rtt = INITIAL_RTO, self.wire.rtt
        while True:
            syn = self.packet(True, "S", self.cseq, 0)
            self.wire.add(t, syn, True)  # captured as it leaves, lost or not
            if not self.wire.lost(t, True, syn):
                synack = self.packet(False, "SA", self.sseq, self.cseq + 1)
                if not self.wire.lost(t + rtt / 2, False, synack):
                    break
            t += wait
            wait *= 2
        self.cseq += 1
        self.seg(t + rtt, False, "SA")
        self.seg(t + rtt + 0.0001, True, "A")
        return t + rtt

    def send(self, t: float, out: bool, data: bytes) -> float:
        """`data` in slow-start rounds, losses and all; returns when its last
        byte arrives."""
        rtt, window, pos, at = self.wire.rtt, 10, 0, t
        half = rtt / 2
        chunks = [data[i : i + self.mss] for i in range(0, len(data), self.mss)]
        last = t

        def cap_data(s: float) -> float:  # a segment sent at s, where the laptop sees it
            return s if out else s + half

        def cap_ack(r: float) -> float:  # the receiver's ACK made at r, where the laptop sees it
            return r + half if out else r + 0.0001

        ack_for = self.sseq if out else self.cseq  # what the data's segments acknowledge
        while pos < len(chunks):
            burst = chunks[pos : pos + window]
            at = max(at, t)
            sent = []
            for i, chunk in enumerate(burst):
                at += self.wire.spacing(len(chunk) + 66)
                seq = self.cseq if out else self.sseq
                pkt = self.packet(out, "PA" if i == len(burst) - 1 else "A", seq, ack_for, chunk)
                lost = self.wire.lost(at, out, pkt)
                if out or not lost:
                    self.wire.add(cap_data(at), pkt, out)
                if out:
                    self.cseq += len(chunk)
                else:
                    self.sseq += len(chunk)
                sent.append((seq, chunk, at, lost))
            last = max(last, self._acks(sent, out, ack_for, cap_ack))
            if any(s[3] for s in sent):
                last = max(last, self._recover(sent, out, ack_for, cap_data, cap_ack))
                window = max(2, window // 2)
            else:
                window *= 2
            pos += len(burst)
            t = max(t + rtt, last - half)  # the next round leaves when this one's ACKs are back
        return last

    def _acks(self, sent: list[Any], out: bool, ack_for: int, cap_ack: Any) -> float:
        """The receiver's ACKs for a round: every second segment while nothing
        is missing, a duplicate ACK with a SACK block for each one after a hole."""
        hole, first_after, arrived = None, None, 0.0
        self.dups = []
        for k, (seq, chunk, s, lost) in enumerate(sent):
            r = s + self.wire.rtt / 2
            if lost:
                hole = seq if hole is None else hole
                continue
            arrived = r
            end = seq + len(chunk)
            if hole is None:
                if k % 2 == 1 or k == len(sent) - 1:
                    ack = self.packet(not out, "A", ack_for, end)
                    self.wire.add(cap_ack(r), ack, not out)
            else:
                first_after = seq if first_after is None else first_after
                dup = self.packet(not out, "A", ack_for, hole, sack=(first_after, end))
                self.wire.add(cap_ack(r), dup, not out)
                self.dups.append(r + self.wire.rtt / 2)  # when the sender hears it
        return arrived

    def _recover(
        self, sent: list[Any], out: bool, ack_for: int, cap_data: Any, cap_ack: Any
    ) -> float:
        """Each lost segment sent again: the first at once after three
        duplicate ACKs, else when the timer runs out; each later one at once
        when the ACK for the one before arrives (partial ACK, RFC 6582); a
        copy lost again is sent when the timer runs out, doubling."""
        rtt, half = self.wire.rtt, self.wire.rtt / 2
        end_all = sent[-1][0] + len(sent[-1][1])
        lost = [(seq, chunk, s) for seq, chunk, s, was in sent if was]
        done = 0.0
        for n, (seq, chunk, s) in enumerate(lost):
            timer = max(RTO_MIN, rtt + RTO_MIN)
            if n == 0 and len(self.dups) >= 3:
                when = self.dups[2]  # fast retransmit: the third duplicate ACK
            elif n == 0:
                when, timer = s + timer, timer * 2  # the timer ran out
            else:
                when = max(done + half, s)  # at once: the ACK for the previous hole is partial
            while True:
                pkt = self.packet(out, "PA", seq, ack_for, chunk)
                again = self.wire.lost(when, out, pkt)
                if out or not again:
                    self.wire.add(cap_data(when), pkt, out)
                if not again:
                    break
                when, timer = when + timer, timer * 2  # backoff: each timeout doubles the timer
            r = when + half
            later = lost[n + 1 :]
            upto = later[0][0] if later else end_all
            self.wire.add(cap_ack(r), self.packet(not out, "A", ack_for, upto), not out)
            done = max(done, r)
        return done
