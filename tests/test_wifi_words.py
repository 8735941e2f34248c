"""An 802.11 capture told in sentences that read: the network's name said
once, as the frame uses it, and a control frame's lone address said as the
receiver's, not as a blank sender."""

from pathlib import Path

from labs.api import explain_file

WIFI = Path(__file__).parent / "data" / "pcaps" / "wifi.pcap"


def test_each_frame_names_its_network_in_a_sentence_of_its_own() -> None:
    packets = explain_file(WIFI).packets
    beacon, probe, answer = (packets[i].explain for i in range(3))
    assert (
        'announces its network (about ten times a second). The network\'s name (SSID) is "CafeWiFi".'
        in beacon
    )
    assert 'It asks for the network "CafeWiFi".' in probe
    assert "answers a device's probe with its network's details." in answer
    assert "here is my network" not in answer and ") for the network" not in beacon


def test_an_acknowledgement_names_only_its_receiver() -> None:
    ack = explain_file(WIFI).packets[4]
    assert ack.explain.startswith("To 02:aa:bb:cc:dd:ee: Acknowledgement:")
    assert "carry only the receiver's address" in ack.explain
