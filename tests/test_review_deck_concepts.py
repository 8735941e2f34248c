"""Which glossary terms join the review deck from a trace: the protocols the
learner read about (TCP, IP, HTTP), not every header field the packet tree
names. Browsing a lab run's packets once filled the deck with Checksum, TTL,
Window scaling and some twenty more field names, 15 new a day for weeks."""

from __future__ import annotations

import importlib
from pathlib import Path

from labs import registry
from labs.kit import load_recording
from labs.model.trace import Trace
from tutor.app import make_app
from tutor.content import load_course
from tutor.progress import Store
from tutor.review import Met, Review
from tutor.screens.lab import LabScreen
from tutor.widgets.packet_view import PacketView

GOLDEN = Path(__file__).parent / "data" / "golden"
FIXTURE = Path(__file__).parent / "data" / "course"


def stored(lab: str, variant: str) -> Trace:
    """A stored run of a lab, explained as the lab explains it today."""
    run = importlib.import_module(f"{registry.get(lab).package}.run")
    return run.explain(load_recording(GOLDEN / lab / variant / "recording.json", run.RESULT))


async def test_browsing_every_field_of_a_lab_run_adds_only_its_protocols():
    trace = stored("tcp-handshake", "default")
    store = Store.memory()
    app = make_app(load_course(), store)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = LabScreen("tcp-handshake")
        app.push_screen(screen)
        await pilot.pause()
        screen.show_trace(trace)
        await pilot.pause()
        view = screen.query_one(PacketView)
        # Every packet opened and every field of its tree selected: the most
        # a learner can read about this run.
        for packet in trace.packets:
            view.show(packet)
            for li, layer in enumerate(packet.layers):
                for fi in range(len(layer.fields)):
                    view.highlight((li, fi))
            await pilot.pause()
        deck = Review(store).in_deck()  # the app closes the store when it ends
    assert "checksum" not in deck and "ttl" not in deck and "window-scaling" not in deck
    # 26 terms before; now the run's two protocols, which its words name.
    assert deck == {"tcp", "ip"}, sorted(deck)


def test_a_protocol_is_met_where_words_about_its_fields_name_it():
    met = Met(load_course(FIXTURE).glossary.terms)
    # TCP: tcp.* fields on show and the words say "TCP".
    assert [t.id for t in met.named(["tcp.dstport"], "TCP destination port: 443")] == ["tcp"]
    # A header field's name is not a concept met: Port, Packet stay out.
    assert met.named(["tcp.dstport"], "Destination port: 443") == []
    assert met.named(["frame.len", "tcp.dstport"], "a Port number, then a datagram") == []
    # Named, but none of its fields on show.
    assert met.named(["udp.srcport"], "TCP destination port: 443") == []
