"""Reading the course in order, no glossary term comes before its meaning
(tests/term_order.py explains what counts as a use), and every quick check
says what each wrong choice gets wrong. Both per module, so a module that is
still being written fails on its own."""

from __future__ import annotations

import pytest
from term_order import Finding, Scanner, walk

from tutor.content import Course, load_course
from tutor.course import Glossary, Term

COURSE = load_course()
MODULES = [m.number for m in COURSE.modules]


@pytest.fixture(scope="module")
def findings() -> list[Finding]:
    return walk(COURSE)


@pytest.mark.parametrize("module", MODULES)
def test_no_term_before_its_meaning(findings, module):
    here = [str(f) for f in findings if f.module == module]
    assert here == [], "\n".join(here)


@pytest.mark.parametrize("module", MODULES)
def test_every_check_has_feedback_on_every_choice(module):
    missing = [
        f"{lesson.path}: check {n} ({check.question[:60]!r}) has no `feedback`"
        for m in COURSE.modules
        if m.number == module
        for lesson in m.lessons
        for n, check in enumerate(lesson.checks, 1)
        if len(check.feedback) != len(check.choices)
    ]
    assert missing == [], "\n".join(missing)


def _term(term_id: str, name: str, *aliases: str) -> Term:
    return Term(term_id, name, aliases, "short", "explain", (), "RFC 1")


SCANNER = Scanner(
    (
        _term("ip", "IP", "Internet Protocol"),
        _term("ip-address", "IP address"),
        _term("nat", "NAT"),
        _term("syn", "SYN"),
        _term("syn-ack", "SYN-ACK"),
        _term("port", "Port", "TCP port"),
        _term("a-record", "A record", "A"),
        _term("load-balancer", "Load balancer"),
        _term("200-ok", "200 OK", "200"),
    )
)


@pytest.mark.parametrize(
    ("text", "uses"),
    [
        ("an IP address", [("ip-address", "IP address")]),  # the longest name wins
        ("the SYN-ACK and a SYN", [("syn-ack", "SYN-ACK"), ("syn", "SYN")]),
        ("destination nat or Nat", []),  # acronyms: whole word, case kept
        ("two load balancers", [("load-balancer", "load balancer")]),
        ("load\nbalancer", [("load-balancer", "load\nbalancer")]),
        ("the switch port, then a TCP port", [("port", "TCP port")]),  # plain "port" is English
        ("A packet took 200 ms", []),  # one letter and bare numbers only when linked
        ("an A record and 200 OK", [("a-record", "A record"), ("200-ok", "200 OK")]),
    ],
)
def test_what_counts_as_a_use(text, uses):
    assert SCANNER.uses(text) == uses


def _lesson_course(tmp_path, bodies: list[tuple[list[str], str]]) -> Course:
    root = tmp_path / "lessons"
    (root / "glossary").mkdir(parents=True)
    (root / "modules.toml").write_text(
        '[[module]]\nnumber = 1\nid = "m"\ntitle = "M"\nsummary = "s"\n', encoding="utf-8"
    )
    (root / "glossary" / "g.toml").write_text(
        '[[term]]\nid = "nat"\nterm = "NAT"\nshort = "s"\nexplain = "e"\nsource = "RFC 1"\n'
        '[[term]]\nid = "mtu"\nterm = "MTU"\nshort = "s"\nexplain = "e"\nsource = "RFC 1"\n',
        encoding="utf-8",
    )
    (root / "01-m").mkdir()
    for n, (terms, body) in enumerate(bodies, 1):
        front = (
            f'+++\nid = "l{n}"\ntitle = "L{n}"\nmodule = 1\norder = {n}\n'
            f'objectives = ["o"]\nterms = {terms!r}\nsources = ["RFC 1"]\n+++\n'
        ).replace("'", '"')
        (root / "01-m" / f"0{n}-l{n}.md").write_text(front + body + "\n", encoding="utf-8")
    return load_course(root)


def test_the_walk_reports_lesson_term_and_line(tmp_path):
    course = _lesson_course(
        tmp_path,
        [
            ([], "Intro.\n\nYour router does NAT."),  # NAT before any lesson has it
            (["nat", "mtu"], "MTU first, unlinked.\n\nThen [[MTU]] and [[NAT]]."),
            ([], "NAT and MTU are known by now."),
        ],
    )
    assert isinstance(course.glossary, Glossary) and not course.problems
    got = [(f.lesson, f.term, f.line, f.words) for f in walk(course)]
    # The body starts on line 10: l1's NAT is on 12; l2's "MTU" on 10 stands above its link.
    assert got == [("l1", "nat", 12, "NAT"), ("l2", "mtu", 10, "MTU")]


def test_a_name_split_over_two_lines_is_still_a_use(tmp_path):
    # Prose wraps anywhere: "load\nbalancer" is read as one name, and the line
    # reported is the one where the name starts; `code` that wraps is still code.
    root = tmp_path / "lessons"
    body = "Intro.\n\nA box called a load\nbalancer, and NAT, and `the\nMTU` in code."
    _lesson_course(tmp_path, [([], body)])
    glossary = root / "glossary" / "g.toml"
    glossary.write_text(
        glossary.read_text(encoding="utf-8")
        + '[[term]]\nid = "load-balancer"\nterm = "Load balancer"\nshort = "s"\n'
        'explain = "e"\nsource = "RFC 1"\n',
        encoding="utf-8",
    )
    course = load_course(root)
    got = [(f.lesson, f.term, f.line, f.words) for f in walk(course)]
    assert got == [("l1", "load-balancer", 12, "load\nbalancer"), ("l1", "nat", 13, "NAT")]
