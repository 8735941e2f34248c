"""`tutor.review.Met`: a glossary term is met when words about a packet or a
field name it, and it is a term about that field; a field alone is not enough."""

from __future__ import annotations

from pathlib import Path

from tutor.content import load_course
from tutor.review import Met

COURSE = Path(__file__).parent / "data" / "course"


def ids(terms) -> list[str]:
    return [t.id for t in terms]


def test_a_term_is_met_when_the_words_about_its_field_name_it():
    met = Met(load_course(COURSE).glossary.terms)
    # "Destination port" names Port, a term about tcp.dstport.
    assert ids(met.named(["tcp.dstport"], "Destination port: 443")) == ["port"]
    # An alias counts, in any case; the order is the text's.
    text = "a Port number, then a datagram"
    assert ids(met.named(["frame.len", "tcp.dstport"], text)) == ["port", "packet"]


def test_a_field_alone_or_a_word_inside_another_is_not_meeting_a_term():
    met = Met(load_course(COURSE).glossary.terms)
    assert met.named(["tcp.dstport"], "Destination: 443") == []  # the field, unnamed
    assert met.named(["ip.src"], "Destination port: 443") == []  # named, not this field's
    assert met.named(["tcp.dstport"], "the passport office") == []  # not a whole word
