"""`tutor show LESSON`: a lesson printed for the terminal, quick check included
(without the answers, so it still tests you in the app; `--answers` adds them
with each choice's feedback). Glossary links stay visible: underlined on a
terminal, the text followed by LINK_MARK on a pipe, and listed at the end.
Written as wide as `tutor explain` writes (`tutor.tracetext.text_width`); on
a pipe the body's Markdown is text to read (`prose`), as rich shows it on a
terminal."""

from __future__ import annotations

import argparse
import re
import textwrap
from collections.abc import Sequence

from tutor.commands import fail
from tutor.content import Course, Lesson

#: Follows a glossary link's text in plain output, where no style can show it.
LINK_MARK = "°"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "show",
        help="print a lesson",
        description="Print a lesson: title, objectives, text, sources and its quick-check "
        "questions (without the answers). `tutor lessons` lists the lesson ids.",
    )
    p.add_argument("lesson", metavar="LESSON", help="a lesson id, e.g. tcp-ip-model")
    p.add_argument(
        "--answers",
        action="store_true",
        help="also print each quick check's answer, explanation and the feedback on every "
        "choice (the misconception a wrong choice stands for)",
    )
    p.set_defaults(func=run)


def marked_body(lesson: Lesson) -> str:
    """The body as printed on a pipe: each [[link]] as its text + LINK_MARK."""
    from tutor.content import LINK_RE, reading_body

    return LINK_RE.sub(lambda m: (m.group(2) or m.group(1)) + LINK_MARK, reading_body(lesson))


#: Block starts in a lesson's Markdown (lessons/FORMAT.md): a code fence, a
#: heading, a table row, a list item, a quote.
FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)[\s#]*$")
ITEM = re.compile(r"^(\s*)([-*+]|\d+[.)])\s+(.*)$")
QUOTE = re.compile(r"^\s*>\s?(.*)$")
#: Outside code spans: bold and emphasis marks, links, images, escapes.
_INLINE = (
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])"), r"\1"),
    (re.compile(r"!?\[([^\]]*)\]\(([^)\s]+)\)"), r"\1 (\2)"),
    (re.compile(r"\\([\\`*_\[\]()#+.!|>-])"), r"\1"),
)


def inline(text: str) -> str:
    """A line's Markdown marks taken out, code spans kept with their
    backticks (as the rest of the output quotes commands); a short code span
    keeps its spaces from wrapping (a no-break space, undone after wrapping)."""
    spans: list[str] = []

    def keep(m: re.Match[str]) -> str:
        # Set aside while the marks go: **`USER` / 331** is bold around code.
        code = m.group(0)
        spans.append(code.replace(" ", "\xa0") if len(code) <= 30 else code)
        return f"\x00{len(spans) - 1}\x00"

    text = re.sub(r"`[^`]+`", keep, text)
    for pattern, repl in _INLINE:
        text = pattern.sub(repl, text)
    return re.sub("\x00(\\d+)\x00", lambda m: spans[int(m.group(1))], text)


def fill(text: str, width: int, first: str = "", rest: str = "") -> list[str]:
    """`text` wrapped to `width` between words, never inside one: a URL or a
    command longer than the line stays whole."""
    lines = textwrap.wrap(
        inline(text),
        width,
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return [line.replace("\xa0", " ") for line in lines]


def _cells(row: str) -> str:
    """A Markdown table row as tab-separated cells (`tutor.texttable`)."""
    cells = re.split(r"(?<!\\)\|", row.strip().strip("|"))
    return "\t".join(inline(c.strip()).replace("\xa0", " ") for c in cells)


def prose(body: str, width: int) -> list[str]:
    """A lesson's Markdown as text `width` columns wide: paragraphs and list
    items wrapped (an item's lines under its first word), headings on a line
    of their own (underlined: = - ~ by level), tables as columns
    (`tutor.texttable`), code blocks line for line, 4 spaces in: a diagram
    or a capture line re-wrapped would say something else.

    Written here, not drawn by rich's Markdown as on a terminal: into a pipe
    rich (15.0) centres headings, pads every line with spaces to the width,
    and drops a link's URL and a code span's backticks, which is text that
    greps and pastes badly."""
    from tutor.texttable import table

    out: list[str] = []
    lines = body.splitlines()
    para: list[str] = []

    def gap() -> None:
        if out and out[-1]:
            out.append("")

    def flush() -> None:
        if para:
            gap()
            out.extend(fill(" ".join(para), width))
            para.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        fence, heading = FENCE.match(line), HEADING.match(line)
        item, quote = ITEM.match(line), QUOTE.match(line)
        if not line.strip():
            flush()
        elif fence:
            flush()
            gap()
            lead = len(line) - len(line.lstrip())
            i += 1
            while i < len(lines) and not lines[i].strip().startswith(fence.group(1)):
                code = lines[i]
                # The fence's own indent (a block inside a list item) goes; the code's stays.
                cut = min(lead, len(code) - len(code.lstrip()))
                out.append(("    " + code[cut:]).rstrip())
                i += 1
            out.append("")
        elif heading:
            flush()
            gap()
            title = fill(heading.group(2), width)
            out += title
            rule = {1: "=", 2: "-"}.get(len(heading.group(1)), "~")
            out += [rule * max(map(len, title)), ""]
        elif line.lstrip().startswith("|"):
            flush()
            rows = []
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                if not re.fullmatch(r"[\s|:-]+", lines[i]):  # the rule under the header
                    rows.append(_cells(lines[i]))
                i += 1
            gap()
            out += [*table("\n".join(rows), width), ""]
            continue
        elif item or quote:
            flush()
            if item:
                depth = len(item.group(1)) // 2
                mark = "•" if item.group(2) in ("-", "*", "+") else item.group(2)
                first = "  " * depth + f"  {mark} "
                text = [item.group(3)]
            else:
                first, text = "  > ", [quote.group(1) if quote else ""]
            # The item's (or quote's) next lines, up to a blank line or the next block.
            while i + 1 < len(lines) and lines[i + 1].strip():
                nxt = lines[i + 1]
                if item and (ITEM.match(nxt) or FENCE.match(nxt) or not nxt[:1].isspace()):
                    break
                if quote and not QUOTE.match(nxt):
                    break
                text.append(QUOTE.sub(r"\1", nxt).strip() if quote else nxt.strip())
                i += 1
            if quote or not out or not out[-1].startswith(" "):
                gap()  # a list starts after a blank line; its items follow one another
            rest = " " * len(first) if item else first
            out += fill(" ".join(text), width, first, rest)
        else:
            para.append(line.strip())
        i += 1
    flush()
    while out and not out[-1]:
        out.pop()
    return out


def terms_block(course: Course, lesson: Lesson, styled: bool = False, width: int = 88) -> list[str]:
    """ "Terms in this lesson": each with the command that explains it."""
    terms = [t for t in map(course.glossary.get, lesson.terms) if t]
    if not terms:
        return []
    shown = "underlined" if styled else f"marked {LINK_MARK}"
    out = textwrap.wrap(f"Terms in this lesson (links are {shown} in the text):", width)
    for t in terms:
        out += fill(f"{t.term}: {t.short} (`tutor glossary {t.id}`)", width, "  • ", "    ")
    return [*out, ""]


def bullets(items: Sequence[str], width: int) -> list[str]:
    """Each item after a bullet, wrapped under its own first word."""
    return [line for item in items for line in fill(item, width, "  • ", "    ")]


def parts(
    course: Course, lesson: Lesson, answers: bool = False, styled: bool = False, width: int = 88
) -> tuple[list[str], list[str]]:
    """The lines before the lesson's body and the lines after it; `styled`
    when the body is shown by rich (links underlined rather than marked)."""
    from tutor.progress import needed_to_pass

    module = next((m for m in course.modules if m.number == lesson.module), None)
    where = f"Module {lesson.module}" + (f": {module.title}" if module else "")
    if module:
        where += f" · lesson {module.lessons.index(lesson) + 1} of {len(module.lessons)}"
    title = textwrap.wrap(lesson.title, width)
    before = [*title, "=" * max(map(len, title)), *textwrap.wrap(where, width), ""]
    if lesson.objectives:
        before += ["After this lesson you can:", *bullets(lesson.objectives, width), ""]
    out = terms_block(course, lesson, styled, width)
    if lesson.sources:
        out += ["Sources:", *bullets(lesson.sources, width), ""]
    if lesson.lab:
        out += [*textwrap.wrap(f"Lab: {lesson.lab} (`tutor lab run {lesson.lab}`)", width), ""]
    if lesson.checks:
        n = len(lesson.checks)
        said = (
            f"Quick check: {n} questions; to pass, answer all with at least "
            f"{needed_to_pass(n)} right (take it in the app: `tutor`"
            + ("" if answers else f"; `tutor show {lesson.id} --answers` prints the answers")
            + ")."
        )
        out += [*textwrap.wrap(said, width), ""]
        for i, check in enumerate(lesson.checks, 1):
            out += textwrap.wrap(
                check.question, width, initial_indent=f"{i}. ", subsequent_indent="   "
            )
            for k, choice in enumerate(check.choices):
                right = answers and k == check.answer
                out += textwrap.wrap(
                    choice + ("  ✓ right" if right else ""),
                    width,
                    initial_indent=f"   {chr(ord('a') + k)}) ",
                    subsequent_indent="      ",
                )
                said = check.feedback_for(k) if answers else ""
                if said:
                    out += textwrap.wrap(
                        said, width, initial_indent="      ", subsequent_indent="      "
                    )
            if answers:
                out += textwrap.wrap(
                    check.explain, width, initial_indent="   Why: ", subsequent_indent="   "
                )
            out.append("")
    return before, out


def render(
    course: Course, lesson: Lesson, answers: bool = False, styled: bool = False, width: int = 88
) -> str:
    """The lesson as text `width` columns wide (`parts` around the body as
    `prose`); `answers` adds each quick check's answer and feedback."""
    before, after = parts(course, lesson, answers, styled, width)
    out = [*before, *prose(marked_body(lesson), width), "", *after]
    return "\n".join(out).rstrip() + "\n"


def run(args: argparse.Namespace) -> int:
    from tutor.content import course

    loaded = course()
    lesson = loaded.lesson(args.lesson)
    if lesson is None:
        return fail(f"there is no lesson {args.lesson!r}; `tutor lessons` lists them.")
    if not lesson.available:
        return fail(f"lesson {lesson.id!r} cannot be loaded: {lesson.path}: {lesson.error}", 1)
    import sys

    from tutor.tracetext import text_width

    # One width rule for every text command: COLUMNS, else the terminal's, else 100.
    width = text_width(sys.stdout)
    if sys.stdout.isatty():
        print_rich(loaded, lesson, args.answers, width)
    else:
        print(render(loaded, lesson, args.answers, width=width), end="")
    return 0


def print_rich(course: Course, lesson: Lesson, answers: bool = False, width: int = 88) -> None:
    """On a terminal, the body's Markdown (headings, tables, code) is rendered
    by rich, glossary links underlined in colour; the parts around it are the
    same as the plain text."""
    from rich.console import Console
    from rich.markdown import Markdown
    from rich.theme import Theme

    from tutor.content import markdown_with_links, reading_body

    console = Console(theme=Theme({"markdown.link": "underline cyan"}), width=width)
    before, after = parts(course, lesson, answers, styled=True, width=width)
    console.print("\n".join(before), highlight=False, markup=False)
    # The links point at `term:ID`, which no terminal opens: rich shows their
    # text styled and, with hyperlinks off, the target after it, so keep them on.
    console.print(Markdown(markdown_with_links(reading_body(lesson), course.glossary)))
    console.print("\n" + "\n".join(after).rstrip(), highlight=False, markup=False)
