"""The course cites current RFCs: none that the RFC index marks obsolete.

OBSOLETED is a small table kept by hand from the RFC Editor's index
(https://www.rfc-editor.org/rfc-index.html, "Obsoleted by"): the RFCs a
networking course is likely to cite and what replaced them. When a lesson or
glossary entry cites one, cite the replacement instead. Two ways to mention an
old RFC on purpose remain allowed: "obsoletes RFC 6125" (saying what the new
one replaced), and RFCs in ALLOWED_WITH, cited in the same source or paragraph
as the old protocol version they are the specification of (TLS 1.2 is still in
use and still only specified by RFC 5246).

When you cite an RFC the table does not know, check its "Obsoleted by" line in
the index; when the IETF replaces one of the RFCs the course uses, add it here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tutor.content import Course, load_course

#: obsolete RFC -> the RFC(s) that now hold its content (RFC Editor index).
OBSOLETED: dict[int, str] = {
    # TCP
    793: "RFC 9293",
    879: "RFC 9293",
    6528: "RFC 9293 section 3.4.1",
    6691: "RFC 9293 section 3.7.1",
    1323: "RFC 7323",
    2581: "RFC 5681",
    2988: "RFC 6298",
    # IPv6
    1883: "RFC 8200",
    2460: "RFC 8200",
    3513: "RFC 4291",
    6555: "RFC 8305",
    # Addresses and IANA registries
    3330: "RFC 6890",
    5735: "RFC 6890",
    7042: "RFC 9542",
    # DNS
    7719: "RFC 9499",
    8499: "RFC 9499",
    4408: "RFC 7208",
    # HTTP, URIs, JSON
    2616: "RFC 9110, RFC 9111, RFC 9112",
    2617: "RFC 7617 (Basic) and RFC 7616 (Digest)",
    2818: "RFC 9110",
    7230: "RFC 9110 and RFC 9112",
    7231: "RFC 9110",
    7232: "RFC 9110",
    7233: "RFC 9110",
    7234: "RFC 9111",
    7235: "RFC 9110",
    7540: "RFC 9113",
    2396: "RFC 3986",
    4627: "RFC 8259",
    7159: "RFC 8259",
    5988: "RFC 8288",
    2965: "RFC 6265",
    3548: "RFC 4648",
    # TLS and certificates
    2246: "RFC 8446",
    4346: "RFC 8446",
    5246: "RFC 8446",
    5077: "RFC 8446",
    6961: "RFC 8446",
    4366: "RFC 6066",
    7525: "RFC 9325",
    6125: "RFC 9525",
    3280: "RFC 5280",
    # Email
    2821: "RFC 5321",
}

#: obsolete RFCs still right to cite for the old version they specify, when
#: the same source string or paragraph names that version.
ALLOWED_WITH: dict[int, str] = {
    5246: "TLS 1.2",
}

RFC = re.compile(r"RFC\s?(\d{3,5})")
OBSOLETES_BEFORE = re.compile(r"obsoletes\s+$", re.IGNORECASE)


def obsolete_citations(text: str) -> Iterator[str]:
    """Each obsolete RFC that `text` cites, as "RFC n (now ...)"."""
    for m in RFC.finditer(text):
        number = int(m.group(1))
        if number not in OBSOLETED:
            continue
        if OBSOLETES_BEFORE.search(text[max(0, m.start() - 20) : m.start()]):
            continue
        if number in ALLOWED_WITH and ALLOWED_WITH[number] in text:
            continue
        yield f"RFC {number} (now {OBSOLETED[number]})"


def lesson_texts(course: Course) -> Iterator[tuple[str, str]]:
    for lesson in course.lessons:
        for source in lesson.sources:
            yield f"{lesson.path} sources", source
        for i, paragraph in enumerate(re.split(r"\n\s*\n", lesson.body)):
            yield f"{lesson.path} body paragraph {i + 1}", paragraph
        for check in lesson.checks:
            yield f"{lesson.path} check {check.question[:40]!r}", check.explain
        for predict in lesson.predicts:
            yield f"{lesson.path} predict {predict.question[:40]!r}", predict.explain


def glossary_texts(course: Course) -> Iterator[tuple[str, str]]:
    for term in course.glossary.terms:
        for part in term.source.split(";"):
            yield f"{term.path} {term.id} source", part
        yield f"{term.path} {term.id} explain", term.explain


@pytest.fixture(scope="module")
def course() -> Course:
    return load_course()


def test_lessons_cite_no_obsolete_rfc(course):
    found = [
        f"{where}: {c}" for where, text in lesson_texts(course) for c in obsolete_citations(text)
    ]
    assert found == []


def test_glossary_cites_no_obsolete_rfc(course):
    found = [
        f"{where}: {c}" for where, text in glossary_texts(course) for c in obsolete_citations(text)
    ]
    assert found == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("RFC 8499 (DNS terminology)", ["RFC 8499 (now RFC 9499)"]),
        ("RFC 9499 (DNS terminology; obsoletes RFC 8499)", []),
        ("RFC 5246 section 7.4.2 (TLS 1.2 Certificate)", []),
        ("RFC 8446 section 4, RFC 5246 section 7.3", ["RFC 5246 (now RFC 8446)"]),
        ("RFC793 and RFC 9293", ["RFC 793 (now RFC 9293)"]),
        ("RFC 7930 is not RFC 793", ["RFC 793 (now RFC 9293)"]),
    ],
)
def test_the_check_itself(text, expected):
    assert list(obsolete_citations(text)) == expected


def test_replacements_are_not_obsolete_themselves():
    stale = {
        old: new
        for old, new in OBSOLETED.items()
        if any(int(n) in OBSOLETED for n in RFC.findall(new))
    }
    assert stale == {}
