"""Reading one content file: a lesson (Markdown with TOML front matter) or a
glossary file, into `tutor.content`'s dataclasses. Every mistake raises
`ContentError` with the line it is on, so a writer can fix it."""

from __future__ import annotations

import re
import tomllib
from typing import Any

from tutor.course import FRONT, ID_RE, Check, Lesson, Predict, Term


class ContentError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def _toml_line(err: tomllib.TOMLDecodeError) -> int:
    m = re.search(r"line (\d+)", str(err))
    return int(m.group(1)) if m else 0


def _strs(data: dict[str, Any], key: str, line: int, required: bool = True) -> tuple[str, ...]:
    value = data.get(key, None)
    if value is None:
        if required:
            raise ContentError(line, f"missing `{key}` (a list of strings)")
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ContentError(line, f"`{key}` must be a list of strings")
    return tuple(value)


def _str(data: dict[str, Any], key: str, line: int, required: bool = True) -> str:
    value = data.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise ContentError(line, f"missing `{key}` (a non-empty string)")
    return value


def _int(data: dict[str, Any], key: str, line: int) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ContentError(line, f"missing `{key}` (a whole number)")
    return value


def _choices(item: dict[str, Any], what: str, n: int, line: int) -> tuple[str, ...]:
    choices = _strs(item, "choices", line)
    if len(choices) < 2:
        raise ContentError(line, f"{what} {n} needs at least two `choices`")
    return choices


def _feedback(item: dict[str, Any], n: int, count: int, answer: int, line: int) -> tuple[str, ...]:
    """A check's optional per-choice feedback: one entry per choice, and a
    non-empty one for every wrong choice (the right one's may be "")."""
    feedback = _strs(item, "feedback", line, required=False)
    if not feedback:
        if "feedback" in item:
            raise ContentError(line, f"check {n}: `feedback` is empty; leave it out or fill it")
        return ()
    if len(feedback) != count:
        raise ContentError(
            line,
            f"check {n}: `feedback` has {len(feedback)} entries but there are "
            f'{count} choices (one entry per choice, "" allowed for the right one)',
        )
    empty = [k + 1 for k, text in enumerate(feedback) if k != answer and not text.strip()]
    if empty:
        raise ContentError(line, f"check {n}: `feedback` for wrong choice(s) {empty} is empty")
    return feedback


class _Where:
    """File line numbers of keys in a lesson's front matter, so an error points
    at the line to fix rather than the top of the file."""

    def __init__(self, front: list[str], first: int) -> None:
        self.front = front  # the front-matter lines
        self.first = first  # file line number of front[0]
        self.tables = [i for i, line in enumerate(front) if line.strip().startswith("[")]

    def line(self, key: str | None = None, table: str | None = None, n: int = 1) -> int:
        """The line of `key` at the top level, or in the n-th `[[table]]` (1-based);
        the table's header (or the first line) when the key is not there."""
        start, stop = 0, len(self.front)
        if table is not None:
            headers = [i for i in self.tables if self.front[i].strip() == f"[[{table}]]"]
            if n > len(headers):
                return self.first
            start = headers[n - 1]
        stop = next((i for i in self.tables if i > start), stop)
        if key is not None:
            pattern = re.compile(rf"\s*{re.escape(key)}\s*=")
            for i in range(start, stop):
                if pattern.match(self.front[i]):
                    return self.first + i
        return self.first + start


def parse_lesson(text: str, path: str) -> Lesson:
    """Parse one lesson file; raises ContentError(line, message)."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != FRONT:
        raise ContentError(1, f"a lesson must start with a `{FRONT}` line (TOML front matter)")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == FRONT)
    except StopIteration:
        raise ContentError(1, f"the front matter is never closed with a `{FRONT}` line") from None
    try:
        meta = tomllib.loads("\n".join(lines[1:end]))
    except tomllib.TOMLDecodeError as err:
        line = _toml_line(err)
        raise ContentError(
            line + 1 if line else 1, f"front matter is not valid TOML: {err}"
        ) from None
    at = _Where(lines[1:end], 2)
    lesson_id = _str(meta, "id", at.line("id"))
    if not ID_RE.match(lesson_id):
        raise ContentError(at.line("id"), f"id {lesson_id!r} must be kebab-case (a-z, 0-9, -)")
    checks = []
    for n, item in enumerate(meta.get("check", []), 1):
        choices = _choices(item, "check", n, at.line("choices", "check", n))
        answer = _int(item, "answer", at.line("answer", "check", n))
        if not 0 <= answer < len(choices):
            raise ContentError(
                at.line("answer", "check", n),
                f"check {n}: answer {answer} is not an index into its {len(choices)} choices",
            )
        checks.append(
            Check(
                _str(item, "question", at.line("question", "check", n)),
                choices,
                answer,
                _str(item, "explain", at.line("explain", "check", n)),
                _str(item, "sql", at.line("sql", "check", n), required=False),
                _feedback(item, n, len(choices), answer, at.line("feedback", "check", n)),
            )
        )
    predicts = []
    for n, item in enumerate(meta.get("predict", []), 1):
        predicts.append(
            Predict(
                _str(item, "question", at.line("question", "predict", n)),
                _choices(item, "predict", n, at.line("choices", "predict", n)),
                _str(item, "fact", at.line("fact", "predict", n)),
                _str(item, "explain", at.line("explain", "predict", n)),
            )
        )
    lab = meta.get("lab")
    if lab is not None and not isinstance(lab, str):
        raise ContentError(at.line("lab"), "`lab` must be a lab id string")
    if any(c.sql for c in checks) and not lab:
        raise ContentError(at.line(None, "check"), "a check with `sql` needs the lesson's `lab`")
    if predicts and not lab:
        raise ContentError(at.line(None, "predict"), "`predict` questions need the lesson's `lab`")
    return Lesson(
        id=lesson_id,
        title=_str(meta, "title", at.line("title")),
        module=_int(meta, "module", at.line("module")),
        order=_int(meta, "order", at.line("order")),
        objectives=_strs(meta, "objectives", at.line("objectives")),
        terms=_strs(meta, "terms", at.line("terms")),
        lab=lab,
        sources=_strs(meta, "sources", at.line("sources")),
        checks=tuple(checks),
        predicts=tuple(predicts),
        body="\n".join(lines[end + 1 :]).strip("\n"),
        path=path,
        body_line=end + 2,
    )


def parse_glossary(text: str, path: str) -> list[Term]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ContentError(_toml_line(err), f"not valid TOML: {err}") from None
    lines = text.splitlines()
    starts = [i + 1 for i, line in enumerate(lines) if line.strip() == "[[term]]"]
    terms = []
    for n, item in enumerate(data.get("term", [])):
        line = starts[n] if n < len(starts) else 0
        term_id = _str(item, "id", line)
        if not ID_RE.match(term_id):
            raise ContentError(line, f"term id {term_id!r} must be kebab-case")
        terms.append(
            Term(
                id=term_id,
                term=_str(item, "term", line),
                aliases=_strs(item, "aliases", line, required=False),
                short=_str(item, "short", line),
                explain=_str(item, "explain", line),
                related=_strs(item, "related", line, required=False),
                source=_str(item, "source", line),
                fields=_strs(item, "fields", line, required=False),
                path=f"{path}:{line}",
            )
        )
    return terms
