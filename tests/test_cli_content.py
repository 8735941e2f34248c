"""`tutor lessons`, `tutor show` and `tutor glossary`: on the fixture course
in-process, and once through the installed command on the real course."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tutor import content
from tutor.cli import main
from tutor.progress import Store

FIXTURE = Path(__file__).parent / "data" / "course"
TUTOR = Path(sys.executable).parent / "tutor"


@pytest.fixture(autouse=True)
def fixture_course(monkeypatch):
    course = content.load_course(FIXTURE)
    monkeypatch.setattr(content, "course", lambda: course)
    return course


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_lessons_json_shape_and_progress(capsys):
    Store.open().mark_done("packets")
    code, out, err = run(capsys, "lessons", "--json")
    assert code == 0
    data = json.loads(out)
    assert [(m["number"], m["id"], m["title"]) for m in data] == [
        (1, "layers", "How the Internet is layered"),
        (2, "addresses", "Addresses"),
    ]
    assert all(set(m) == {"number", "id", "title", "lessons"} for m in data)
    assert data[0]["lessons"][0] == {
        "id": "packets",
        "title": "What is a packet?",
        "module": 1,
        "done": True,
        "checks": 3,
        "lab": "tcp-handshake",
    }
    assert data[0]["lessons"][1]["done"] is False and data[0]["lessons"][1]["lab"] is None
    # The broken lesson is listed (it is in the outline) and reported on stderr.
    assert data[1]["lessons"][1]["checks"] == 0
    assert "02-ports.md:13" in err


def test_lessons_text_marks(capsys):
    Store.open().mark_done("packets")
    Store.open().mark_started("layers")
    code, out, _ = run(capsys, "lessons")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "1  How the Internet is layered  (1/2 done)"
    assert lines[1].split()[:2] == ["✓", "packets"] and "lab tcp-handshake" in lines[1]
    assert lines[2].split()[:2] == ["◐", "layers"]
    broken = next(x for x in lines if "ports" in x)
    assert broken.split()[0] == "✗" and "02-ports.md" in broken and "line 13" in broken


def test_show_prints_the_lesson_without_answers(capsys, fixture_course):
    code, out, _ = run(capsys, "show", "packets")
    assert code == 0
    assert out.startswith("What is a packet?\n=================\nModule 1: How the Internet")
    assert "  • Name the two parts of every packet" in out
    assert "A packet° is a small piece of a message" in out
    assert "[[" not in out and "term:" not in out
    assert "  • RFC 791 section 2.1" in out
    assert "at least 2 right" in out
    assert "1. What does a packet's header hold?\n   a) The message itself" in out
    for check in fixture_course.lesson("packets").checks:
        assert check.explain not in out


@pytest.mark.parametrize(
    ("argv", "code", "words"),
    [
        (("show", "no-such-lesson"), 2, "no lesson 'no-such-lesson'"),
        (("show", "ports"), 1, "cannot be loaded"),
        (("glossary", "zzz"), 2, "no glossary term matches 'zzz'"),
        (("glossary", "zzz", "--json"), 2, "no glossary term matches"),
    ],
)
def test_errors_are_one_line(capsys, argv, code, words):
    got, out, err = run(capsys, *argv)
    assert got == code and out == ""
    assert err.count("\n") == 1 and err.startswith("tutor: ") and words in err


def test_glossary_exact_match_prints_the_entry(capsys):
    code, out, _ = run(capsys, "glossary", "Transmission Control Protocol")
    assert code == 0
    assert out.startswith("TCP\n  also called: Transmission Control Protocol\n")
    assert "Source: RFC 9293" in out and "Related: Packet, Port" in out
    assert "Lessons that use it:\n  module 1, lesson 1: " in out and "(tutor show packets)" in out
    assert "tcp.flags, tcp.seq" in out


def test_glossary_lists_matches(capsys):
    code, out, _ = run(capsys, "glossary", "p")
    assert code == 0
    lines = out.splitlines()
    # Names that start with the query first, each with its one-line definition.
    assert lines[0].split()[0] == "Packet" and lines[1].split()[0] == "Port"
    assert lines[1].endswith("A number that says which program on a machine a packet is for.")
    assert len(lines) > 2


def test_glossary_json_has_every_field(capsys):
    code, out, _ = run(capsys, "glossary", "--json", "port")
    assert code == 0
    terms = json.loads(out)
    assert terms[0] == {
        "id": "port",
        "term": "Port",
        "aliases": ["port number"],
        "short": "A number that says which program on a machine a packet is for.",
        "explain": "One machine runs many programs; the port tells them apart. "
        "HTTPS servers listen on port 443.",
        "related": ["tcp", "ip-address"],
        "source": "RFC 9293",
        "fields": ["tcp.dstport"],
    }
    code, out, _ = run(capsys, "glossary", "--json")
    assert len(json.loads(out)) == 6


def test_the_installed_command_on_the_real_course(tmp_path):
    env_home = {"TUTOR_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [str(TUTOR), "lessons", "--json"], capture_output=True, text=True, env=env_home
    )
    assert result.returncode == 0, result.stderr
    modules = json.loads(result.stdout)
    assert [m["number"] for m in modules] == list(range(1, 11))
    first = modules[0]["lessons"][0]["id"]
    shown = subprocess.run(
        [str(TUTOR), "show", first], capture_output=True, text=True, env=env_home
    )
    assert shown.returncode == 0 and shown.stdout.strip()
    missing = subprocess.run(
        [str(TUTOR), "show", "no-such-lesson"], capture_output=True, text=True, env=env_home
    )
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1


def test_review_with_nothing_due_says_so_without_opening_the_tui(capsys):
    assert main(["glossary", "--review"]) == 0
    assert "Nothing to review yet" in capsys.readouterr().out


def test_review_without_a_terminal_says_what_waits_in_one_line(capsys, monkeypatch):
    from tutor.review import Review

    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a terminal
    Review(Store.open()).schedule(["tcp", "udp"], "lab:test")
    assert main(["glossary", "--review"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    # Never graded: new terms to learn, not terms "due" (as the outline says).
    assert len(err) == 1 and "2 new terms to learn, but --review needs a terminal" in err[0]


async def test_review_start_opens_on_the_due_term():
    """What `tutor glossary --review` runs when terms are due."""
    from tutor.app import make_app
    from tutor.review import Review
    from tutor.screens.review import ReviewScreen

    store = Store.open()
    Review(store).schedule(["tcp"], "lesson:test")
    app = make_app(store=store, start="review")
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)
        assert app.screen.current == "tcp"
        await pilot.press("space", "3")
        await pilot.pause()
        assert app.screen.current is None
    assert Review(Store.open()).status().count == 0


def test_show_marks_links_and_lists_the_terms(capsys):
    code, out, _ = run(capsys, "show", "packets")
    assert code == 0
    # On a pipe a linked word is followed by a mark; plain words are not.
    assert "A packet° is a small piece" in out and "a header° that says" in out
    assert "the piece of your message" in out and "message°" not in out
    block = out[out.index("Terms in this lesson") :]
    assert "  • TCP: " in block and "(`tutor glossary tcp`)" in block
    assert out.index("Terms in this lesson") < out.index("Sources:")
    assert "--answers" in out


def test_show_answers_prints_each_choices_feedback(fixture_course):
    from dataclasses import replace

    from tutor.commands.show import render

    module = fixture_course.modules[0]
    lesson = module.lessons[0]
    check = replace(lesson.checks[0], feedback=("Misconception: header = message.", "", "No."))
    changed = replace(lesson, checks=(check, *lesson.checks[1:]))
    module = replace(module, lessons=(changed, *module.lessons[1:]))
    fixture_course = replace(fixture_course, modules=(module, *fixture_course.modules[1:]))
    out = render(fixture_course, changed, answers=True)
    assert "   a) The message itself\n      Misconception: header = message.\n" in out
    assert "   b) Where the packet comes from and where it goes  ✓ right\n   c) A picture" in out
    assert "   Why: The header is the envelope" in out
    assert "Misconception" not in render(fixture_course, changed)


def test_show_on_a_terminal_underlines_links(capsys, fixture_course, monkeypatch):
    from tutor.commands.show import print_rich

    monkeypatch.setenv("FORCE_COLOR", "1")  # rich then styles as on a terminal
    monkeypatch.setenv("COLUMNS", "100")
    print_rich(fixture_course, fixture_course.lesson("packets"))
    out = capsys.readouterr().out
    link = out[: out.index("A packet")].rsplit("\x1b[", 1)[-1]
    assert link.startswith("4;") or ";4;" in link or link.startswith("4m")  # underline
    assert "A packet°" not in out and "links are underlined in the text" in out


def test_ctrl_c_while_the_cli_is_still_starting_is_one_line_and_130(capsys, monkeypatch):
    # Ctrl-C in the first fraction of a second lands while the parser and the
    # command modules are imported, before a command handles it.
    from tutor import cli

    def interrupted(*_commands: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "build_parser", interrupted)
    assert cli.main(["lessons"]) == 130
    err = capsys.readouterr().err
    assert err == "tutor: stopped.\n"


def test_show_wraps_objectives_sources_and_choices_under_their_bullet(fixture_course):
    # A long objective, source or choice went on at column 0 once wrapped.
    from dataclasses import replace

    from tutor.commands.show import render

    module = fixture_course.modules[0]
    lesson = module.lessons[0]
    long = "Say in your own words " + "which layer reads which header " * 4 + "and why"
    check = replace(lesson.checks[0], choices=(long, *lesson.checks[0].choices[1:]))
    changed = replace(lesson, objectives=(long,), sources=(long,), checks=(check,))
    module = replace(module, lessons=(changed, *module.lessons[1:]))
    fixture_course = replace(fixture_course, modules=(module, *fixture_course.modules[1:]))
    lines = render(fixture_course, changed, width=60).splitlines()
    assert max(len(line) for line in lines if "which layer" in line) <= 60
    for start in ("  • Say in your own words", "   a) Say in your own words"):
        at = next(i for i, line in enumerate(lines) if line.startswith(start))
        follow = lines[at + 1]
        assert follow.startswith(" " * (len(start) - len(start.lstrip()) + 2)), follow
        assert follow.strip() and "which layer" in lines[at + 1] + lines[at + 2]
