"""The dns lab's recursive walk, live: a real Unbound walks the lab's own
root, TLD and authoritative servers (on 127.53.N.x, port 53), then answers
the same question from its cache with a lower TTL. Checked packet by packet,
against tshark on the saved pcap, and for what it leaves behind."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tshark_rows import tshark_rows

from labs.catalog.dns import leftovers, recursive
from labs.catalog.dns.hops import read_hops
from labs.catalog.dns.spec import SPEC
from labs.kit import load_recording
from labs.model.errors import Cancelled
from labs.model.trace import Packet, Trace
from labs.registry import run_lab

GOLDEN = Path(__file__).parent / "data" / "golden" / "dns" / "recursive"
walk_here = pytest.mark.skipif(
    recursive.why_not() is not None, reason=f"no walk here: {recursive.why_not()}"
)


def run(cancel: threading.Event | None = None, progress=None, **given: str) -> Trace:
    from labs.registry import run_lab as _run

    return _run(SPEC.request(None, None, given), progress=progress, cancel=cancel)


@pytest.fixture(scope="module")
def walk() -> Iterator[Trace]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TUTOR_CAPTURE", "live")
        yield run()


def all_values(packet: Packet, name: str) -> str:
    """Every value of a field, comma-joined, as tshark's `-T fields` shows them."""
    return ",".join(f.value for f in packet.fields(name))


def unbounds() -> list[int]:
    """Our lab's Unbound processes still running (any run of this process)."""
    mine = f"/tutor-dns-{os.getpid()}-".encode()
    found = []
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and mine in Path(f"/proc/{entry}/cmdline").read_bytes():
                found.append(int(entry))
        except OSError:
            continue
    return found


@pytest.mark.needs_root
@walk_here
def test_the_walk_goes_root_tld_zone_then_back(walk):
    res_port = int(walk.target.rsplit(":", 1)[1])
    assert walk.capture == "live"
    hops = [s.title for s in walk.steps[:5]]
    assert hops == [
        "your computer -> the resolver: A shop.example.",
        "the resolver -> the root server: NS .",
        "the resolver -> the root server: A shop.example.",
        "the resolver -> the TLD server: A shop.example.",
        "the resolver -> the zone's own server: A shop.example.",
    ]
    first = walk.steps[0]
    # The stub's answer comes after the resolver's four exchanges.
    assert first.packets == (0, 9)
    for p in walk.packets:
        assert {p.number("udp.srcport"), p.number("udp.dstport")} & {53, res_port}, p.index
    facts = {f.name: f.value for f in walk.facts}
    assert facts["walk_servers"] == "3" and facts["referrals"] == "2"
    assert facts["aa_set_by"] == "the zone's own server"
    assert facts["authoritative"] == "no"  # the copy your computer gets


@pytest.mark.needs_root
@walk_here
def test_referrals_carry_ns_and_glue_and_the_flags_say_who_is_who(walk):
    p = walk.packets
    stub_q, stub_a = p[0], p[9]
    assert stub_q.number("dns.flags.recdesired") == 1
    assert (
        stub_a.number("dns.flags.recavail") == 1 and stub_a.number("dns.flags.authoritative") == 0
    )
    for query in (p[1], p[3], p[5], p[7]):
        assert query.number("dns.flags.recdesired") == 0
    for referral in (p[4], p[6]):
        assert referral.number("dns.flags.authoritative") == 0
        assert referral.number("dns.count.answers") == 0
        assert referral.number("dns.count.auth_rr") == 1
        assert referral.number("dns.count.add_rr") >= 1
    assert all_values(p[4], "dns.ns") == "a.nic.example"
    assert all_values(p[6], "dns.ns") == "ns1.shop.example"
    # Glue: the address of the server the referral names, where the next question goes.
    assert p[5].dst.startswith(all_values(p[4], "dns.a") + ":")
    assert p[7].dst.startswith(all_values(p[6], "dns.a") + ":")
    assert p[8].number("dns.flags.authoritative") == 1 and all_values(p[8], "dns.a") == "192.0.2.10"


@pytest.mark.needs_root
@walk_here
def test_the_second_answer_comes_from_the_cache_with_a_lower_ttl(walk):
    second = walk.steps[5]
    assert second.title == "your computer -> the resolver: A shop.example."
    assert second.packets == (10, 11)  # nothing in between: no walk
    first_ttl = walk.packets[9].number("dns.resp.ttl")
    cached_ttl = walk.packets[11].number("dns.resp.ttl")
    assert first_ttl == 300 and cached_ttl is not None and cached_ttl < first_ttl
    facts = {f.name: f for f in walk.facts}
    assert facts["second_lookup_packets"].value == "2"
    assert facts["cached_ttl"].value == "lower"
    body = next(s.body for s in walk.sections if s.title.startswith("Asked again"))
    assert f"{first_ttl} in the first answer and {cached_ttl} in the second" in body


@pytest.mark.needs_root
@walk_here
@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
def test_wireshark_reads_the_same_values_on_the_saved_pcap(walk, tmp_path):
    from labs.files.pcapio import write_pcap

    port = int(walk.target.rsplit(":", 1)[1])
    path = tmp_path / "walk.pcap"
    write_pcap(walk, path)
    names = [
        "ip.src", "ip.dst", "ip.ttl", "dns.id", "dns.flags", "dns.flags.response",
        "dns.flags.authoritative", "dns.flags.recdesired", "dns.flags.recavail",
        "dns.flags.rcode", "dns.qry.name", "dns.qry.type", "dns.count.answers",
        "dns.count.auth_rr", "dns.count.add_rr", "dns.resp.ttl", "dns.ns", "dns.a",
        "dns.cname", "dns.aaaa",
    ]  # fmt: skip
    rows = tshark_rows(path, names, [f"udp.port=={port},dns"])
    assert len(rows) == len(walk.packets) > 20
    for packet, theirs in zip(walk.packets, rows, strict=True):
        ours = {n: all_values(packet, n) for n in names}
        assert ours == theirs, packet.index


@pytest.mark.needs_root
@walk_here
def test_nothing_is_left_running(walk):
    assert unbounds() == []
    for host in {p.dst.rpartition(":")[0] for p in walk.packets}:
        if host.startswith("127.53."):
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.bind((host, 53))  # the lab's servers let go of port 53
    assert not list(Path("/tmp").glob(f"tutor-dns-{os.getpid()}-*"))


@pytest.mark.needs_root
@walk_here
def test_cancel_in_the_middle_stops_unbound_and_the_servers():
    cancel = threading.Event()

    def progress(message: str) -> None:
        if "Waiting a moment" in message:
            cancel.set()

    with pytest.raises(Cancelled):
        run(cancel=cancel, progress=progress)
    assert unbounds() == []


@pytest.mark.kills_runs
@pytest.mark.needs_root
@walk_here
def test_a_killed_run_leaves_unbound_that_cleanup_kills(tmp_path):
    code = (
        "import os, time\n"
        "from labs.catalog.dns.unbound import Unbound\n"
        "u = Unbound('127.53.255.1', '127.53.255.2').__enter__()\n"
        "print(u.proc.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    child = subprocess.Popen(
        [sys.executable, "-I", "-c", code], stdout=subprocess.PIPE, cwd="/", env=env
    )
    try:
        assert child.stdout is not None
        pid = int(child.stdout.readline())
        assert (pid, child.pid) not in leftovers.orphans()  # its run is alive
        child.kill()
        child.wait()
        assert (pid, child.pid) in leftovers.orphans()
        removed = leftovers.cleanup_leftovers()
        assert any(f"pid {pid}" in line for line in removed)
        for _ in range(100):
            if not Path(f"/proc/{pid}").exists() or b"Z" in _state(pid):
                break
            time.sleep(0.05)
        assert not Path(f"/proc/{pid}").exists() or b"Z" in _state(pid)
    finally:
        child.kill()
        child.wait()
        for folder in Path("/tmp").glob(f"tutor-dns-{child.pid}-*"):
            shutil.rmtree(folder)


def _state(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()[0]
    except OSError:
        return b"Z"


@pytest.mark.needs_root
@walk_here
def test_reconstructed_the_walk_is_recorded_at_the_labs_servers(monkeypatch):
    monkeypatch.setenv("TUTOR_CAPTURE", "reconstructed")
    trace = run()
    assert trace.capture == "reconstructed"
    assert [s.title for s in trace.steps[:5]] == [
        "your computer -> the resolver: A shop.example.",
        "the resolver -> the root server: NS .",
        "the resolver -> the root server: A shop.example.",
        "the resolver -> the TLD server: A shop.example.",
        "the resolver -> the zone's own server: A shop.example.",
    ]
    facts = {f.name: f.value for f in trace.facts}
    assert facts["walk_servers"] == "3" and facts["second_lookup_packets"] == "2"
    assert facts["cached_ttl"] == "lower"
    assert trace.sections[0].title.startswith("Reconstructed: where the resolver's questions")
    assert unbounds() == []


def test_without_the_walk_the_lab_says_why_and_asks_the_zone_server(monkeypatch):
    monkeypatch.setenv("TUTOR_CAPTURE", "reconstructed")
    monkeypatch.setattr(recursive, "why_not", lambda: "no Unbound in this test")
    said: list[str] = []
    trace = run_lab(SPEC.request(None, None, {}), progress=said.append)
    assert any(m.startswith("No recursive walk here: no Unbound in this test.") for m in said)
    assert trace.sections[0].title.startswith("Not the recursive walk")
    assert "no Unbound in this test" in trace.sections[0].body
    assert len(trace.steps) == 6 and trace.fact("authoritative").value == "yes"  # type: ignore[union-attr]


def test_the_stored_walk_reads_back_hop_by_hop():
    """The golden run (live, root): who asked whom, from its packets alone."""
    from labs.catalog.dns.run import RESULT, explain

    rec = load_recording(GOLDEN / "recording.json", RESULT)
    trace = explain(rec)
    hops = read_hops(trace.packets, rec.result)
    kinds = [(h.stub, h.kind) for h in hops[:6]]
    assert kinds == [
        (True, "answer"),
        (False, "priming"),
        (False, "referral"),
        (False, "referral"),
        (False, "answer"),
        (True, "answer"),
    ]
    facts = {f.name: f.value for f in trace.facts}
    assert facts["walk_servers"] == "3" and facts["cached_ttl"] == "lower"
