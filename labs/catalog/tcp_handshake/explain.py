"""The tcp-handshake lab's words: steps, sections and facts written from a
`Story`, so each sentence carries this run's own numbers (ISNs, acks,
lengths, options, ports) and stays true for whatever packets were seen."""

from __future__ import annotations

from labs.catalog.tcp_handshake.story import MOD, Segment, Story
from labs.model import numbers
from labs.model.trace import Fact, Packet, Section, Step

WELL_KNOWN = {21: "FTP", 22: "SSH", 25: "SMTP", 53: "DNS", 80: "HTTP", 443: "HTTPS"}


def ref(seg: Segment) -> str:
    """How the text points at a packet: "#1", its number in Wireshark and the packet list."""
    return numbers.ref(seg.index)


def ack_relation(ack: Segment, of: Segment) -> str:
    """Say how `ack`'s acknowledgment number follows from segment `of`:
    "ack 1001 = 1000 (seq of #1) + 1 (the SYN counts as one byte)"."""
    counted = of.length + of.has("SYN") + of.has("FIN")
    why = []
    if of.length:
        why.append("the length of its data")
    if of.has("SYN"):
        why.append("the SYN counts as one byte")
    if of.has("FIN"):
        why.append("the FIN counts as one byte")
    if ack.ack == of.next_seq:
        return f"ack {ack.ack} = {of.seq} (seq of {ref(of)}) + {counted} ({', '.join(why)})"
    return (
        f"ack {ack.ack}, which is not {of.seq} (seq of {ref(of)}) + {counted}: "
        "something was lost or merged"
    )


# -- steps ---------------------------------------------------------------------


def story_steps(story: Story, packets: tuple[Packet, ...]) -> tuple[Step, ...]:
    def step(name: str, title: str, segs: tuple[Segment, ...], explain: str) -> Step:
        return Step.over(name, [packets[s.index] for s in segs], explain, title, packets[0].time)

    syn, synack, ack = story.syn, story.synack, story.ack
    steps = [
        step(
            "tcp-connect",
            "Open the connection",
            story.handshake,
            f"{len(story.handshake)} packets open the connection: SYN (the client's initial "
            f"sequence number, its ISN: {syn.seq}), "
            f"SYN-ACK (server ISN {synack.seq}, ack {synack.ack}), ACK (ack {ack.ack}).",
        )
    ]
    if story.middle:
        sent = sum(s.length for s in story.middle if story.from_client(s))
        back = sum(s.length for s in story.middle if not story.from_client(s))
        steps.append(
            step(
                "data",
                "Send a line, get an answer",
                story.middle,
                f"The client sends {sent} bytes and the server answers {back} bytes; "
                "each ACK says how many bytes have arrived so far.",
            )
        )
    if story.closing:
        order = " then ".join(f"FIN from the {story.who(f)}" for f in story.fins)
        steps.append(
            step(
                "close",
                "Close it",
                story.closing,
                f"{order}; each FIN is acknowledged with its seq + 1. A graceful close.",
            )
        )
    if story.knock is not None and story.rst is not None:
        steps.append(
            step(
                "refused",
                "Knock on a closed port",
                (story.knock, story.rst),
                f"A SYN to port {story.knock.dport}, where nothing listens, is answered at once "
                f"with {story.rst.flag_names}: connection refused.",
            )
        )
    return tuple(steps)


# -- facts ---------------------------------------------------------------------


def story_facts(story: Story) -> tuple[Fact, ...]:
    syn, synack = story.syn, story.synack
    hs = story.handshake
    cport = syn.sport
    facts = [
        Fact(
            "handshake_packets",
            str(len(hs)),
            f"From the SYN ({ref(syn)}) to the ACK that completes the handshake ({ref(story.ack)}).",
            tuple(s.index for s in hs),
            "tcp.flags",
            label="Packets in the handshake",
        ),
        Fact(
            "syn_ack_number",
            "client ISN + 1"
            if synack.ack == syn.next_seq
            else f"client ISN + {(synack.ack - syn.seq) % MOD}",
            f"The SYN-ACK acknowledges {synack.ack}; the client's initial sequence number "
            f"(ISN) was {syn.seq}.",
            (syn.index, synack.index),
            "tcp.ack_raw",
            label="The SYN-ACK acknowledges",
        ),
        Fact(
            "client_port_kind",
            "ephemeral" if cport >= 1024 else "well-known",
            f"The client's source port is {cport}, picked by the operating system for this "
            "one connection."
            if cport >= 1024
            else f"The client used port {cport}, below 1024.",
            (syn.index,),
            "tcp.srcport",
            label="Kind of port the client used",
        ),
    ]
    mss = syn.mss
    if mss is not None:
        facts.append(
            Fact(
                "client_mss",
                str(mss),
                f"The biggest chunk of data the client will take in one segment ({ref(syn)}).",
                (syn.index,),
                "tcp.options.mss_val",
                label="Largest segment the client takes (MSS)",
                unit="bytes",
            )
        )
    if story.rst is not None and story.knock is not None:
        facts.append(
            Fact(
                "closed_port_answer",
                "RST" if story.rst.has("RST") else story.rst.flag_names,
                f"Port {story.knock.dport} answered the SYN ({ref(story.knock)}) with "
                f"{story.rst.flag_names} ({ref(story.rst)}).",
                (story.rst.index,),
                "tcp.flags.reset",
                label="A closed port answers",
            )
        )
    return tuple(facts)


# -- sections ------------------------------------------------------------------

REBUILT = (
    "Note: tutor rebuilt these headers from what the socket saw, so the ISNs and "
    "options are tutor's stand-ins; a live capture shows the ones your OS picked."
)


def story_sections(
    story: Story,
    reconstructed: bool,
    embedded: bool,
    port_range: tuple[int, int] | None = None,
) -> tuple[Section, ...]:
    """`port_range`: the range this machine picks ephemeral ports from, when known."""
    sections = [_handshake_table(story), _handshake_notes(story, reconstructed)]
    if story.data:
        sections.append(_counting(story))
    sections += [
        _options(story, reconstructed),
        _ports(story, embedded, port_range),
        _closing(story),
    ]
    return tuple(sections)


def _handshake_table(story: Story) -> Section:
    syn, synack, ack = story.syn, story.synack, story.ack
    rows = [
        (
            syn,
            f"Let's talk. My numbering starts at my initial sequence number (ISN), {syn.seq}.",
        ),
        (synack, f"Yes. My ISN is {synack.seq}; {_plus_one(synack, syn, 'your')}."),
        (ack, f"Got it: {_plus_one(ack, synack, 'your')}. The connection is open."),
    ]
    lines = ["Packet\tFrom\tFlags\tseq\tack\tWhat it says"]
    for seg, says in rows:
        acked = str(seg.ack) if seg.has("ACK") else "(none)"
        lines.append(f"{ref(seg)}\t{story.who(seg)}\t{seg.flag_names}\t{seg.seq}\t{acked}\t{says}")
    return Section("The handshake, number by number", "\n".join(lines), kind="table")


def _plus_one(ack: Segment, syn: Segment, whose: str) -> str:
    if ack.ack == syn.next_seq:
        return f"ack {ack.ack} = {whose} ISN + 1"
    return ack_relation(ack, syn)


def _handshake_notes(story: Story, reconstructed: bool) -> Section:
    body = (
        "Each side starts numbering its bytes at a random point, its initial sequence "
        "number (ISN), so that a "
        "stray packet from an old connection cannot be mistaken for this one. An ack "
        "always names the next byte expected; a SYN counts as one byte, which is why "
        f"the SYN-ACK says {story.synack.ack} and not {story.syn.seq}. Wireshark shows "
        "relative numbers by default (the SYN as 0); the raw numbers above are the "
        "fields tcp.seq_raw and tcp.ack_raw."
    )
    return Section("Why plus one", f"{body}\n\n{REBUILT}" if reconstructed else body)


def _preview(payload: bytes) -> str:
    text = payload[:40].decode("ascii", "replace").replace("\n", "\\n").replace("\r", "\\r")
    return f'"{text}"' + ("..." if len(payload) > 40 else "")


def _counting(story: Story) -> Section:
    lines: list[str] = []
    for seg in story.data[:4]:
        line = (
            f"{ref(seg)}: the {story.who(seg)} sends {seg.length} bytes ({_preview(seg.payload)}) "
            f"starting at seq {seg.seq}."
        )
        acker = story.acked_by(seg)
        if acker is not None:
            line += (
                f" {ref(acker)}: the {story.who(acker)} answers with "
                f"{ack_relation(acker, seg)}: everything before byte {acker.ack} has "
                "arrived, send that one next."
            )
        lines.append(line)
    lines.append(
        "Only data bytes are counted, never the headers; that is how TCP notices a "
        "missing piece and sends it again."
    )
    return Section("Counting bytes: the next ack is seq + length", "\n\n".join(lines))


def _offer(seg: Segment, who: str) -> str:
    parts = []
    mss, scale = seg.mss, seg.wscale
    if mss is not None:
        parts.append(f"MSS {mss} (the largest piece of data it wants in one segment)")
    if scale is not None:
        parts.append(f"window scale {scale} (multiply its window field by 2^{scale} = {2**scale})")
    if seg.sack:
        parts.append("SACK permitted (it can say exactly which pieces arrived)")
    if seg.timestamps:
        parts.append("timestamps (to measure the round trip)")
    offered = "; ".join(parts) if parts else "no options at all"
    return f"The {who}'s {seg.flag_names} ({ref(seg)}) offers: {offered}."


def _options(story: Story, reconstructed: bool) -> Section:
    lines = [_offer(story.syn, "client"), _offer(story.synack, "server")]
    shift = story.window_scale(story.ack)
    if shift is not None:
        window = story.ack.window
        lines.append(
            f"Both sides offered window scaling, so from now on the window field is "
            f"multiplied: in {ref(story.ack)} the client's window field {window} means "
            f"{window} x {2**shift} = {window << shift} bytes it can still receive."
        )
    else:
        lines.append(
            f"Without window scaling on both sides the window field is the number of bytes "
            f"itself: {story.ack.window} in {ref(story.ack)}, at most 65535."
        )
    mss = story.syn.mss
    if mss is not None and story.syn.src.startswith(("127.", "::1")):
        lines.append(
            f"An MSS of {mss} is large because this connection never leaves the machine "
            "(loopback); across Ethernet or Wi-Fi it is usually 1460."
        )
    if reconstructed:
        lines.append(REBUILT)
    return Section("Options in the SYN and SYN-ACK", "\n\n".join(lines))


def _ports(story: Story, embedded: bool, span: tuple[int, int] | None) -> Section:
    cport, sport = story.syn.sport, story.syn.dport
    lines = [
        f"The client's port is {cport}."
        + (
            " The operating system picked it for this one connection: an ephemeral port."
            if cport >= 1024
            else " That is below 1024, the range of well-known ports: unusual for a client."
        )
    ]
    if span is not None:
        low, high = span
        inside = "inside" if low <= cport <= high else "outside"
        lines.append(
            f"This machine picks ephemeral ports from {low} to {high}; {cport} is {inside} it."
        )
    if sport in WELL_KNOWN or sport < 1024:
        name = WELL_KNOWN.get(sport, "a well-known service")
        lines.append(f"The server listens on port {sport}, the well-known port for {name}.")
    else:
        lines.append(
            f"The server listens on port {sport}. Real services listen on fixed, well-known "
            "ports (80 HTTP, 443 HTTPS, 53 DNS, 22 SSH) so that clients know where to knock."
            + (
                " The lab's own server took whatever free port the OS offered, so it never "
                "clashes with a real service."
                if embedded
                else ""
            )
        )
    return Section("Ports: ephemeral and well-known", "\n\n".join(lines))


def _closing(story: Story) -> Section:
    lines: list[str] = []
    for fin in story.fins:
        line = f"{ref(fin)}: the {story.who(fin)} sends FIN (seq {fin.seq}): I have nothing more to send."
        acker = story.acked_by(fin)
        if acker is not None:
            line += f" {ref(acker)} acknowledges it: {ack_relation(acker, fin)}."
        lines.append(line)
    if len(story.fins) >= 2:
        lines.append("Both sides said goodbye and every byte was acknowledged: a graceful close.")
    knock, rst = story.knock, story.rst
    if knock is not None and rst is not None:
        lines.append(
            f"{ref(knock)}: the client sends SYN to port {knock.dport}, where nothing listens. "
            f"{ref(rst)}: the operating system itself answers {rst.flag_names}, "
            f"{ack_relation(rst, knock)}. No program was involved; yours sees "
            "'Connection refused' (ECONNREFUSED)."
        )
        lines.append(
            "FIN versus RST: FIN is a polite goodbye after all data is delivered; RST means "
            "stop now: no handshake, no goodbye, anything still in flight is thrown away."
        )
    return Section("Closing: FIN versus RST", "\n\n".join(lines))


def syn_schedule(retries: int, linear: int) -> tuple[list[int], int]:
    """When Linux resends an unanswered SYN (seconds after the first) and when
    connect() gives up: `linear` resends 1 s apart (Linux 6.5+), then
    `retries` more with the wait doubling from 1 s (ip-sysctl documentation)."""
    times = list(range(1, linear + 1))
    t, wait = linear, 1
    for _ in range(retries):
        t += wait
        times.append(t)
        wait *= 2
    return times, t + wait


def timers_section(timers: dict[str, int]) -> Section:
    """This machine's own TCP timers, read from /proc/sys when the lab ran."""
    lines = []
    if "tcp_syn_retries" in timers:
        linear = timers.get("tcp_syn_linear_timeouts", 0)
        times, give_up = syn_schedule(timers["tcp_syn_retries"], linear)
        retries = timers["tcp_syn_retries"]
        # The linear resends come on top of tcp_syn_retries (ip-sysctl: 6 and
        # 4 give the last SYN at about 67 s): a learner counted 10 times for
        # "retries = 6" when the sentence did not say so.
        kernel = (
            f"tcp_syn_linear_timeouts = {linear}: {linear} resends 1 s apart first, "
            f"then tcp_syn_retries = {retries} more, each wait twice the last, from 1 s"
            if "tcp_syn_linear_timeouts" in timers
            else f"tcp_syn_retries = {retries} resends, each wait twice the last, from "
            "1 s; this kernel has no tcp_syn_linear_timeouts (it came in Linux 6.5)"
        )
        lines.append(
            f"If nobody answers a SYN, this machine resends it {len(times)} times, at about "
            f"{', '.join(map(str, times))} s after the first, and gives up after about "
            f"{give_up} s ({kernel}). So a connection "
            "attempt to a server behind a firewall that drops packets hangs for about "
            f"{give_up} s unless the program sets its own timeout."
        )
    if "tcp_keepalive_time" in timers:
        lines.append(
            f"TCP keepalive is off unless a program turns it on; when on, the first "
            f"probe goes after {timers['tcp_keepalive_time']} s of silence "
            f"(tcp_keepalive_time), then every {timers.get('tcp_keepalive_intvl', '?')} s, "
            f"{timers.get('tcp_keepalive_probes', '?')} times. NAT gateways and load "
            "balancers often forget an idle connection after a few minutes, far sooner."
        )
    lines.append(
        "Read from /proc/sys/net/ipv4 on this machine when the lab ran; other systems "
        "and kernel versions differ (Linux ip-sysctl documentation)."
    )
    return Section("This machine's TCP timers", "\n\n".join(lines))
