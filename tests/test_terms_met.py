"""`tutor.review.Met`: from a capture or a lab run, a glossary term is met
when words about a packet or a field name it and it is the protocol of that
field; a field alone is not enough."""

from __future__ import annotations

from pathlib import Path

from tutor.content import load_course
from tutor.review import Met

COURSE = Path(__file__).parent / "data" / "course"


def ids(terms) -> list[str]:
    return [t.id for t in terms]


def test_from_a_capture_only_a_protocol_named_joins():
    met = Met(load_course(COURSE).glossary.terms)
    # "Destination port" names Port, a header field's term: it joins from its
    # lesson, not from every packet tree a learner browses.
    assert met.named(["tcp.dstport"], "Destination port: 443") == []
    # TCP, the protocol the field belongs to, named: it joins.
    assert ids(met.named(["tcp.dstport"], "TCP: Destination port 443")) == ["tcp"]


def test_a_field_alone_or_a_word_inside_another_is_not_meeting_a_term():
    met = Met(load_course(COURSE).glossary.terms)
    assert met.named(["tcp.dstport"], "Destination: 443") == []  # the field, unnamed
    assert met.named(["ip.src"], "Destination port: 443") == []  # named, not this field's
    assert met.named(["tcp.dstport"], "the passport office") == []  # not a whole word
