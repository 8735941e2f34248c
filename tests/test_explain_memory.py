"""`tutor explain --json` keeps the waterfall's residue of each packet in a
file, not in memory, and reads back only the packets that can change the
first `MAX_EXCHANGES` exchanges (`labs.files.seens`): the waterfall must be
the one every packet gives (issue 16 item 10, issue 10 item 6)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from labs.dissect.core import dissect_all
from labs.files import seens
from labs.files.pcapio import read_capture
from labs.files.seens import SeenStore, waterfall_of
from labs.files.streamjson import _Compact
from labs.model import waterfall as wf
from labs.model.waterfall import Seen, from_seen

PCAPS = Path(__file__).parent / "data" / "pcaps"
NAMES = sorted(p.name for p in PCAPS.iterdir())


def _stores(all_seens: list[Seen], parts: int = 2) -> list[SeenStore]:
    """The Seens spread over `parts` stores (as two processes would write them)."""
    stores = [SeenStore() for _ in range(parts)]
    for s in all_seens:
        stores[hash((s.src, s.dst)) % parts].add(s)
    return stores


def _limit(monkeypatch: pytest.MonkeyPatch, n: int) -> None:
    monkeypatch.setattr(wf, "MAX_EXCHANGES", n)
    monkeypatch.setattr(seens, "MAX_EXCHANGES", n)


@pytest.mark.parametrize("limit", [1, 2, 4, 500])
def test_the_stored_captures_give_the_same_waterfall(monkeypatch, limit):
    _limit(monkeypatch, limit)
    left_out = 0
    for name in NAMES:
        raws, _link = read_capture(PCAPS / name)
        packets = dissect_all(raws)
        compact = _Compact()
        stores = _stores([compact(p) for p in packets])
        plan = seens._plan(stores)[0]
        left_out += sum(not plan.keeps(r) for store in stores for r in store.records())
        assert waterfall_of(stores) == wf.waterfall(packets), name
        for store in stores:
            store.close()
    if limit < 4:
        assert left_out, "no packet was ever left out: the test proves nothing"


def _seen(i: int, t: float, src: str, dst: str, values: dict[str, str], summary: str) -> Seen:
    kind = "TCP" if "tcp.flags" in values else "UDP"
    layers = {"IPv4", kind} | ({"DNS"} if "dns.id" in values else set())
    fields = {k: (v,) for k, v in values.items()}
    return Seen(i, t, src, dst, summary, "wire", "", frozenset(layers), fields, {}, "A")


def _synthetic(rng: random.Random) -> list[Seen]:
    """Connections (some reusing an earlier one's ports), DNS lookups naming
    early and late servers, timestamps a little out of order."""
    out: list[Seen] = []
    t = 0.0

    def add(src: str, dst: str, summary: str = "", **values: str) -> None:
        nonlocal t
        t += rng.choice((0.001, 0.002, -0.0005))
        fields = {k.replace("_", "."): v for k, v in values.items()}
        out.append(_seen(len(out), round(t, 6), src, dst, fields, summary))

    for n in range(60):
        # Only the servers in 10.0.0.0/24 have names.
        host = f"10.0.{rng.randrange(2)}.{rng.randrange(1, 30)}"
        if rng.random() < 0.3:
            q, a, named = f"10.9.0.1:{5000 + n}", "10.9.0.53:53", f"10.0.0.{rng.randrange(1, 30)}"
            add(q, a, kind="UDP", dns_id=str(n), dns_flags_response="0", dns_qry_name="x")
            add(
                a,
                q,
                kind="UDP",
                dns_id=str(n),
                dns_flags_response="1",
                dns_qry_name="x",
                dns_a=named,
            )
        port = 40000 + (n if rng.random() < 0.8 else rng.randrange(0, max(n, 1)))
        c, s = f"10.9.0.1:{port}", f"{host}:80"
        add(
            c,
            s,
            tcp_flags="0x0002",
            tcp_len="0",
            tcp_srcport=str(port),
            tcp_dstport="80",
            summary="TCP SYN",
        )
        if rng.random() < 0.9:
            add(s, c, tcp_flags="0x0012", tcp_len="0")
        add(c, s, tcp_flags="0x0010", tcp_len="0")
        for _ in range(rng.randrange(0, 3)):
            add(c, s, tcp_flags="0x0018", tcp_len="100", http_request_method="GET")
            add(s, c, tcp_flags="0x0010", tcp_len="0")
            add(s, c, tcp_flags="0x0018", tcp_len="300")
        add(c, s, tcp_flags="0x0011", tcp_len="0")
        add(s, c, tcp_flags="0x0011", tcp_len="0")
    return out


@pytest.mark.parametrize("seed", range(30))
def test_many_exchanges_give_the_same_waterfall(monkeypatch, seed):
    _limit(monkeypatch, 8)
    packets = _synthetic(random.Random(seed))
    stores = _stores(packets)
    assert waterfall_of(stores) == from_seen(packets)
    for store in stores:
        store.close()


def _by_conversation(all_seens: list[Seen], parts: int = 2) -> list[SeenStore]:
    """The Seens spread over stores a conversation at a time, as the two
    processes read them (`labs.files.claims`)."""
    stores = [SeenStore() for _ in range(parts)]
    for s in all_seens:
        stores[hash(frozenset((s.src, s.dst))) % parts].add(s)
    return stores


def _lasts(all_seens: list[Seen]) -> bytearray:
    """`Survey.last` of Seens: 1 at each conversation's last packet."""
    at = {frozenset((s.src, s.dst)): s.index for s in all_seens}
    out = bytearray(len(all_seens))
    for i in at.values():
        out[i] = 1
    return out


@pytest.mark.parametrize("seed", range(30))
def test_connections_closed_at_their_last_packet_give_the_same_waterfall(monkeypatch, seed):
    """With `last`, the first pass keeps only the connections that may be
    among the first exchanges (the others go to a file, read again only when
    a DNS answer names their host), and pairs a conversation's DNS lookups
    at its last packet (into a file)."""
    _limit(monkeypatch, 8)
    monkeypatch.setattr(seens, "_BATCH", 3)  # the lookups paired early go to their file
    packets = _synthetic(random.Random(seed))
    stores = _by_conversation(packets)
    last = _lasts(packets)
    dropped = 0
    real_drop = seens._Conns._drop

    def counting(self: seens._Conns, key: str, first: float) -> None:
        nonlocal dropped
        dropped += 1
        real_drop(self, key, first)

    monkeypatch.setattr(seens._Conns, "_drop", counting)
    assert waterfall_of(stores, last) == from_seen(packets)
    # The plan itself is the one every packet held in memory gives.
    (closing, _), (holding, _) = seens._plan(stores, last), seens._plan(stores)
    assert (closing.conns, closing.dns, closing.u) == (holding.conns, holding.dns, holding.u)
    assert dropped, "no connection was ever dropped: the test proves nothing"
    for store in stores:
        store.close()


@pytest.mark.parametrize("limit", [1, 2, 500])
def test_the_stored_captures_give_the_same_waterfall_with_last(monkeypatch, limit):
    from labs.files.survey import survey_stream

    _limit(monkeypatch, limit)
    for name in NAMES:
        raws, _link = read_capture(PCAPS / name)
        packets = dissect_all(raws)
        compact = _Compact()
        stores = _by_conversation([compact(p) for p in packets])
        last = survey_stream(enumerate(raws)).last()
        assert waterfall_of(stores, last) == wf.waterfall(packets), name
        for store in stores:
            store.close()


def test_late_lookups_and_syns_are_left_out(monkeypatch):
    """What the second pass keeps does not grow with the capture: neither
    the DNS packets of late lookups nor the SYNs of late connections."""
    _limit(monkeypatch, 8)
    left: dict[str, int] = {"DNS": 0, "SYN": 0, "TCP": 0}
    for seed in range(30):
        stores = _stores(_synthetic(random.Random(seed)))
        plan = seens._plan(stores)[0]
        for store in stores:
            for r in store.records():
                if not plan.keeps(r):
                    left["DNS" if "DNS" in r[7] else "SYN" if r[4] else "TCP"] += 1
            store.close()
    assert left["DNS"] and left["SYN"], left


def test_the_store_keeps_nothing_in_memory_but_a_batch():
    store = SeenStore()
    packets = _synthetic(random.Random(1)) * 60
    for s in packets:
        store.add(s)
    assert len(store.batch) < seens._BATCH
    assert list(store.records()) == [
        (s.index, s.time, s.src, s.dst, s.summary, s.origin, s.interface,
         s.layers, s.values, s.quoted, s.qtype)
        for s in packets
    ]  # fmt: skip
    store.close()


@pytest.mark.parametrize("every", [1, 3])
def test_idle_conversations_frozen_analyze_the_same(monkeypatch, every):
    """TCP analysis keeps an idle conversation as bytes: thawed, it flags
    every later segment as if it had stayed in memory."""
    from labs.dissect import tcp_analysis

    names = [n for n in NAMES if n not in ("wifi.pcap", "vlan-mld.pcap")]
    expected = {name: dissect_all(read_capture(PCAPS / name)[0]) for name in names}
    monkeypatch.setattr(tcp_analysis, "_SWEEP", every)
    frozen = 0
    real_freeze = tcp_analysis._freeze

    def counting(conv: object) -> bytes:
        nonlocal frozen
        frozen += 1
        return real_freeze(conv)  # type: ignore[arg-type]

    monkeypatch.setattr(tcp_analysis, "_freeze", counting)
    for name in names:
        assert dissect_all(read_capture(PCAPS / name)[0]) == expected[name], name
    assert frozen


def _segments(rng: random.Random) -> list[object]:
    """Three connections' segments interleaved: data, ACKs, and now and then
    a segment sent again or an ACK repeated."""
    from labs.dissect.tcp_analysis import Segment

    out = []
    state = {n: [1000 * n, 5000 * n, []] for n in range(3)}  # next seq, ack, sent
    t = 0.0
    for i in range(400):
        n = rng.randrange(3)
        c, s = f"10.0.0.1:{4000 + n}", "10.0.0.2:80"
        seq, ack, sent = state[n]
        t += rng.random() / 100
        pick = rng.random()
        if pick < 0.15 and sent:
            old = rng.choice(sent)
            out.append(Segment(c, s, old, ack, 0x18, 100, 500, None, t, i))
        elif pick < 0.3:
            out.append(Segment(s, c, ack, seq - rng.choice((0, 100)), 0x10, 0, 500, None, t, i))
        else:
            out.append(Segment(c, s, seq, ack, 0x18, 100, 500, None, t, i))
            sent.append(seq)
            state[n][0] = seq + 100
    return out


@pytest.mark.parametrize("seed", range(5))
def test_a_frozen_conversation_remembers_its_sent_data(monkeypatch, seed):
    from labs.dissect import tcp_analysis

    segments = _segments(random.Random(seed))
    plain = tcp_analysis.Analyzer()
    expected = [plain.analyze(s, 34) for s in segments]  # type: ignore[arg-type]
    monkeypatch.setattr(tcp_analysis, "_SWEEP", 1)
    frozen = tcp_analysis.Analyzer()
    assert [frozen.analyze(s, 34) for s in segments] == expected  # type: ignore[arg-type]
    assert frozen.frozen


def test_conversations_forgotten_after_their_last_packet_read_the_same(monkeypatch):
    """What dissection remembers of a conversation goes after its last
    packet (as the survey finds it): every packet reads the same."""
    from labs.dissect import core, idle
    from labs.files.survey import survey_stream

    forgotten = 0
    real_forget = idle.forget

    def counting(*args: object) -> None:
        nonlocal forgotten
        forgotten += 1
        real_forget(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(idle, "forget", counting)
    for name in NAMES:
        raws = read_capture(PCAPS / name)[0]
        last = survey_stream(enumerate(raws)).last()
        t0 = raws[0].time if raws else 0.0
        read = list(core.dissect_stream(enumerate(raws), t0, last=last))
        assert tuple(read) == dissect_all(raws), name
    assert forgotten > len(NAMES)


def test_the_classifier_forgets_a_conversation_after_its_last_packet():
    """Step names are the same when the classifier drops what it holds of a
    conversation at its last packet (as the survey finds it)."""
    from labs.dissect.steps import Classifier, classify, view
    from labs.files.survey import survey_stream

    dropped = 0
    for name in NAMES:
        raws = read_capture(PCAPS / name)[0]
        views = [view(p) for p in dissect_all(raws)]
        classifier = Classifier(survey_stream(enumerate(raws)).last())
        names: list[str] = []
        for v in views:
            got, renames = classifier.feed(v)
            for at, new in renames:
                names[at] = new
            names.append(got)
        assert names == classify(views)[0], name
        plain = Classifier()
        for v in views:
            plain.feed(v)
        dropped += len(plain.state) - len(classifier.state)
    assert dropped > len(NAMES)
