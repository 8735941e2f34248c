"""The loader with broken files: each problem names the file and the line,
the rest of the course still loads, and a broken lesson is unavailable."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tutor.content import Course, load_course, markdown_with_links, plain_text

FIXTURE = Path(__file__).parent / "data" / "course"
GOOD = (FIXTURE / "01-layers" / "01-packets.md").read_text(encoding="utf-8")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A private copy of the fixture course to break."""
    return Path(shutil.copytree(FIXTURE, tmp_path / "course"))


@dataclass
class Broken:
    """A copy of the fixture's first lesson with one edit, added as a third lesson."""

    text: str
    path: str
    course: Course
    line: int
    message: str


def add_broken(root: Path, old: str, new: str, count: int = -1) -> Broken:
    text = GOOD.replace('id = "packets"', 'id = "extra"').replace(old, new, count)
    (root / "01-layers" / "03-extra.md").write_text(text, encoding="utf-8")
    path = "course/01-layers/03-extra.md"
    course = load_course(root)
    return Broken(text, path, course, *only_problem(course, path))


def only_problem(course: Course, path: str) -> tuple[int, str]:
    mine = [p for p in course.problems if p.path == path]
    assert len(mine) == 1, course.problems
    return mine[0].line, mine[0].message


def assert_rest_loads(course: Course) -> None:
    assert [x.id for x in course.lessons if x.available] == ["packets", "layers", "ip-addresses"]
    assert len(course.glossary.terms) == 6


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def test_the_fixture_course_has_exactly_its_one_broken_lesson():
    course = load_course(FIXTURE)
    assert_rest_loads(course)
    assert [str(p) for p in course.problems] == [
        "course/02-addresses/02-ports.md:13: check 1: answer 5 is not an index into its 2 choices"
    ]


def test_bad_toml(root):
    b = add_broken(root, 'title = "What is a packet?"', 'title = "unterminated')
    assert b.line == line_of(b.text, "unterminated") and "not valid TOML" in b.message
    assert_rest_loads(b.course)
    lesson = next(x for x in b.course.lessons if x.path == b.path)
    assert not lesson.available and f"line {b.line}" in (lesson.error or "")


def test_missing_field(root):
    b = add_broken(
        root, 'explain = "Ethernet carries at most 1,500 bytes of IP packet per frame."\n', ""
    )
    # The second [[check]] lost its explanation: the error points at that check.
    assert b.line == [n for n, x in enumerate(b.text.splitlines(), 1) if x == "[[check]]"][1]
    assert "missing `explain`" in b.message
    assert_rest_loads(b.course)


def test_missing_top_level_field(root):
    b = add_broken(root, 'sources = ["RFC 791 section 2.1"]\n', "")
    assert "missing `sources`" in b.message and b.line == 2  # the top of the front matter


def test_answer_out_of_range(root):
    b = add_broken(root, "answer = 0", "answer = 3", 1)
    assert b.line == line_of(b.text, "answer = 3")
    assert b.message == "check 2: answer 3 is not an index into its 3 choices"


def test_lesson_in_the_wrong_module(root):
    b = add_broken(root, "module = 1", "module = 7")
    assert "module = 7" in b.message and "module 1's folder" in b.message


def test_folder_of_an_unknown_module(root):
    (root / "07-nowhere").mkdir()
    (root / "07-nowhere" / "01-lost.md").write_text(GOOD, encoding="utf-8")
    course = load_course(root)
    assert any(
        p.path == "course/07-nowhere" and "matches no module" in p.message for p in course.problems
    )
    assert_rest_loads(course)


def test_broken_glossary_file_keeps_lessons(root):
    (root / "glossary" / "broken.toml").write_text(
        '[[term]]\nid = "x"\nterm = \n', encoding="utf-8"
    )
    course = load_course(root)
    line, message = only_problem(course, "course/glossary/broken.toml")
    assert line == 3 and "not valid TOML" in message
    assert_rest_loads(course)


def test_glossary_term_missing_a_field_names_its_line(root):
    text = '[[term]]\nid = "ok"\nterm = "OK"\nshort = "s"\nexplain = "e"\nsource = "RFC 1"\n\n[[term]]\nid = "bad"\nterm = "Bad"\n'
    (root / "glossary" / "more.toml").write_text(text, encoding="utf-8")
    line, message = only_problem(load_course(root), "course/glossary/more.toml")
    assert line == 8 and "missing `short`" in message


def test_links_become_term_hrefs_for_the_reader_and_plain_text_for_the_terminal():
    course = load_course(FIXTURE)
    body = course.lesson("packets").body
    assert markdown_with_links(body, course.glossary).startswith("[A packet](term:packet) is")
    assert "[TCP](term:tcp) makes" in markdown_with_links(body, course.glossary)
    assert plain_text(body).startswith("A packet is") and "[[" not in plain_text(body)


@pytest.mark.parametrize(
    ("feedback", "message"),
    [
        ('["", "Misconception: x."]', "`feedback` has 2 entries but there are 3 choices"),
        ('["Misconception: x.", "", ""]', "`feedback` for wrong choice(s) [3] is empty"),
        ("[]", "`feedback` is empty"),
        ('"one string"', "`feedback` must be a list of strings"),
    ],
)
def test_check_feedback_must_match_the_choices(root, feedback, message):
    anchor = 'explain = "The header is the envelope'
    broken = add_broken(root, anchor, f"feedback = {feedback}\n{anchor}", 1)
    assert broken.line == line_of(broken.text, "feedback = ")
    assert message in broken.message and broken.message.startswith("check 1: ") == (
        "must be a list" not in message
    )
    assert_rest_loads(broken.course)


def test_check_feedback_loads_one_entry_per_choice(root):
    anchor = 'explain = "The header is the envelope'
    fb = '["Misconception: the header is the message.", "", "Misconception: a picture."]'
    text = GOOD.replace('id = "packets"', 'id = "extra"').replace(
        anchor, f"feedback = {fb}\n{anchor}", 1
    )
    (root / "01-layers" / "03-extra.md").write_text(text, encoding="utf-8")
    check = load_course(root).lesson("extra").checks[0]
    assert check.feedback_for(0) == "Misconception: the header is the message."
    assert check.feedback_for(1) == "" and check.feedback_for(7) == ""
    assert load_course(root).lesson("packets").checks[0].feedback == ()
