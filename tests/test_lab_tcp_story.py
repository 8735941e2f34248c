"""The tcp-handshake lab's reading of packets, from stored bytes: a real
capture on lo of one echo exchange (port 36731) and a knock on closed port
41831, taken with scapy as root, dissected once as any trace is. Every
number asserted is in these bytes."""

from __future__ import annotations

from labs.catalog.tcp_handshake.explain import ack_relation, story_facts, story_sections
from labs.catalog.tcp_handshake.story import parse_segment, read_story
from labs.core.base import RawPacket
from labs.dissect.core import dissect_all
from labs.model.trace import Layer, Packet

SERVER, CLOSED = 36731, 41831
CAPTURE = [
    (
        0.000000,
        "4500003c9c0840004006a0b17f0000017f000001dee28f7bbee41b9300000000a002ffd7fe3000000204ffd70402080a8484405f000000000103030a",
    ),
    (
        0.000017,
        "4500003c0000400040063cba7f0000017f0000018f7bdee22aea02f1bee41b94a012ffcbfe3000000204ffd70402080a91ba59d98484405f0103030a",
    ),
    (
        0.000035,
        "450000349c0940004006a0b87f0000017f000001dee28f7bbee41b942aea02f280100040fe2800000101080a8484405f91ba59d9",
    ),
    (
        0.001641,
        "450000409c0a40004006a0ab7f0000017f000001dee28f7bbee41b942aea02f280180040fe3400000101080a8484406191ba59d968656c6c6f207475746f720a",
    ),
    (
        0.001651,
        "450000345d6240004006df5f7f0000017f0000018f7bdee22aea02f2bee41ba080100040fe2800000101080a91ba59db84844061",
    ),
    (
        0.001804,
        "4500005c5d6340004006df367f0000017f0000018f7bdee22aea02f2bee41ba080180040fe5000000101080a91ba59db8484406168656c6c6f2066726f6d207475746f722c20796f7520736169643a2068656c6c6f207475746f720a",
    ),
    (
        0.001823,
        "450000349c0b40004006a0b67f0000017f000001dee28f7bbee41ba02aea031a80100040fe2800000101080a8484406191ba59db",
    ),
    (
        0.001856,
        "450000349c0c40004006a0b57f0000017f000001dee28f7bbee41ba02aea031a80110040fe2800000101080a8484406191ba59db",
    ),
    (
        0.001923,
        "450000345d6440004006df5d7f0000017f0000018f7bdee22aea031abee41ba180110040fe2800000101080a91ba59db84844061",
    ),
    (
        0.001944,
        "450000349c0d40004006a0b47f0000017f000001dee28f7bbee41ba12aea031b80100040fe2800000101080a8484406191ba59db",
    ),
    (
        0.004053,
        "4500003c28234000400614977f0000017f000001806fa3679ca15bec00000000a002ffd7fe3000000204ffd70402080a12753bf5000000000103030a",
    ),
    (0.004062, "450000280000400040063cce7f0000017f000001a367806f000000009ca15bed5014000095680000"),
]
PACKETS = dissect_all(RawPacket(t, bytes.fromhex(h)) for t, h in CAPTURE)


def story():
    found = read_story(PACKETS, SERVER, CLOSED)
    assert found is not None
    return found


def test_handshake_is_found_with_both_isns():
    st = story()
    assert [s.index for s in st.handshake] == [0, 1, 2]
    assert (st.syn.flag_names, st.synack.flag_names, st.ack.flag_names) == (
        "SYN",
        "SYN, ACK",
        "ACK",
    )
    assert st.syn.seq == 3202620307 and st.synack.seq == 719979249
    assert st.synack.ack == st.syn.seq + 1 and st.ack.ack == st.synack.seq + 1
    assert st.client == ("127.0.0.1", 57058) and st.server == ("127.0.0.1", SERVER)


def test_data_is_acked_at_seq_plus_length():
    st = story()
    line, answer = st.data
    assert (line.index, line.length, line.payload) == (3, 12, b"hello tutor\n")
    assert answer.length == 40 and not st.from_client(answer)
    acker = st.acked_by(line)
    assert acker is not None and acker.index == 4 and acker.ack == line.seq + 12
    # The text names the line by its number in the packet list (Wireshark's No.), index + 1.
    assert "ack 3202620320 = 3202620308 (seq of #4) + 12" in ack_relation(acker, line)


def test_close_and_knock():
    st = story()
    assert [f.index for f in st.fins] == [7, 8]
    assert [s.index for s in st.closing] == [7, 8, 9]
    assert st.knock is not None and st.knock.index == 10 and st.knock.dport == CLOSED
    assert st.rst is not None and st.rst.index == 11 and st.rst.flag_names == "RST, ACK"
    assert st.rst.ack == st.knock.seq + 1


def test_options_and_window_scale():
    st = story()
    assert st.syn.mss == 65495 and st.syn.wscale == 10
    assert st.syn.sack and st.syn.timestamps and st.ack.mss is None
    assert st.window_scale(st.ack) == 10 and st.window_scale(st.syn) is None


def test_facts_carry_values_and_evidence():
    facts = {f.name: f for f in story_facts(story())}
    assert (facts["handshake_packets"].value, facts["handshake_packets"].packets) == (
        "3",
        (0, 1, 2),
    )
    assert facts["syn_ack_number"].value == "client ISN + 1"
    assert facts["syn_ack_number"].packets == (0, 1)
    assert facts["client_port_kind"].value == "ephemeral"
    assert facts["closed_port_answer"].value == "RST"
    assert facts["closed_port_answer"].packets == (11,)
    assert facts["closed_port_answer"].filter == "tcp.flags.reset"
    assert facts["client_mss"].value == "65495"


def test_sections_use_this_capture_numbers():
    made = story_sections(story(), reconstructed=False, embedded=True, port_range=(32768, 60999))
    sections = {s.title: s for s in made}
    table = sections["The handshake, number by number"]
    assert table.kind == "table"
    rows = [row.split("\t") for row in table.body.splitlines()]
    assert rows[0][:5] == ["Packet", "From", "Flags", "seq", "ack"]
    assert rows[2][:5] == ["#2", "server", "SYN, ACK", "719979249", "3202620308"]
    options = sections["Options in the SYN and SYN-ACK"].body
    assert "MSS 65495" in options and "64 x 1024 = 65536" in options
    closing = sections["Closing: FIN versus RST"].body
    assert "port 41831" in closing and "RST, ACK" in closing
    ports = sections["Ports: ephemeral and well-known"].body
    assert "57058" in ports and "from 32768 to 60999; 57058 is inside it" in ports
    assert "lab's own server" in ports
    assert "rebuilt" not in options


def test_reconstructed_sections_say_so():
    sections = story_sections(story(), reconstructed=True, embedded=True)
    assert any("rebuilt" in s.body for s in sections)


def test_missing_handshake_is_none():
    assert read_story(PACKETS[3:], SERVER, CLOSED) is None
    assert read_story([], SERVER) is None


def test_a_tcp_header_quoted_in_an_icmp_error_is_not_a_segment():
    own = PACKETS[0]
    quoted = tuple(Layer(f"{layer.name} (quoted)", layer.offset, layer.length, layer.fields)
                   for layer in own.layers)  # fmt: skip
    icmp = Packet(0, 0.0, own.src, own.dst, "ICMP", own.hex, "", (own.layers[0], *quoted[1:]))
    assert parse_segment(own) is not None and parse_segment(icmp) is None
    assert read_story([icmp, *PACKETS[1:]], SERVER) is None
