"""A field in the capture screen's tree reads as the CLI writes it: the
value once, with its unit, and the raw value only where the reading hides it."""

from labs.model.trace import Field
from tutor.screens.trace_view import field_label


def _field(name: str, flt: str, value: str, show: str) -> Field:
    return Field(name=name, filter=flt, value=value, show=show, offset=0, length=1)


def test_a_value_is_said_once() -> None:
    assert field_label(_field("Header length", "tcp.hdr_len", "40", "40 bytes"), False) == (
        "Header length: 40 bytes  [tcp.hdr_len]"
    )
    seq = _field("Sequence number (relative)", "tcp.seq", "0", "0 (relative)")
    assert field_label(seq, False) == "Sequence number (relative): 0  [tcp.seq]"


def test_a_reading_that_hides_the_value_keeps_it() -> None:
    flags = _field("Flags", "tcp.flags", "0x0002", "SYN")
    assert field_label(flags, False) == "Flags: 0x0002 (SYN)  [tcp.flags]"
