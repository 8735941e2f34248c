"""Loading the course: modules, lessons and the glossary, from `lessons/`.

Content is validated as it loads. A broken file never stops the course: it
becomes a `Problem` naming the file and line, and a broken lesson is listed
as unavailable. The format is described in `lessons/FORMAT.md`.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

# The course model lives in tutor.course (the file parsers build it too);
# it is re-exported here, where the app has always found it.
from tutor.course import (  # noqa: F401
    FRONT,
    ID_RE,
    LINK_RE,
    Check,
    Course,
    Glossary,
    Lesson,
    Module,
    Predict,
    Problem,
    Term,
)
from tutor.lesson_files import ContentError, parse_glossary, parse_lesson


def content_root() -> Path:
    import lessons

    return Path(lessons.__file__).parent


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


def _load_modules(root: Path, problems: list[Problem]) -> list[dict[str, Any]]:
    path = root / "modules.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return list(data["module"])
    except (OSError, KeyError, tomllib.TOMLDecodeError) as err:
        problems.append(Problem(_rel(path, root), 0, f"cannot read the module list: {err}"))
        return []


def _unavailable(path: Path, root: Path, module: int, order: int, err: str) -> Lesson:
    return Lesson(
        id=path.stem.split("-", 1)[-1] if "-" in path.stem else path.stem,
        title=f"{path.stem} (unavailable)",
        module=module,
        order=order,
        objectives=(),
        terms=(),
        lab=None,
        sources=(),
        checks=(),
        predicts=(),
        body="",
        path=_rel(path, root),
        error=err,
    )


def load_course(root: Path | None = None) -> Course:
    """Load and validate everything under `root` (the installed `lessons` package)."""
    root = root or content_root()
    problems: list[Problem] = []
    glossary_terms: list[Term] = []
    for path in sorted((root / "glossary").glob("*.toml")):
        try:
            glossary_terms.extend(
                parse_glossary(path.read_text(encoding="utf-8"), _rel(path, root))
            )
        except (OSError, UnicodeDecodeError) as err:
            problems.append(Problem(_rel(path, root), 0, f"cannot read: {err}"))
        except ContentError as err:
            problems.append(Problem(_rel(path, root), err.line, err.message))
    seen: set[str] = set()
    unique_terms = []
    for t in glossary_terms:
        if t.id in seen:
            problems.append(Problem(t.path, 0, f"term id {t.id!r} is defined twice"))
            continue
        seen.add(t.id)
        unique_terms.append(t)
    glossary = Glossary(tuple(unique_terms))

    modules = []
    lesson_ids: set[str] = set()
    for meta in _load_modules(root, problems):
        number, mod_id = meta.get("number"), meta.get("id")
        if not isinstance(number, int) or not isinstance(mod_id, str):
            problems.append(
                Problem(
                    _rel(root / "modules.toml", root),
                    0,
                    f"a module needs a whole-number `number` and an `id`: {meta!r}",
                )
            )
            continue
        folder = root / f"{number:02d}-{mod_id}"
        lessons: list[Lesson] = []
        for i, path in enumerate(sorted(folder.glob("*.md")), 1):
            rel = _rel(path, root)
            try:
                lesson = parse_lesson(path.read_text(encoding="utf-8"), rel)
            except (OSError, UnicodeDecodeError) as err:
                problems.append(Problem(rel, 0, f"cannot read: {err}"))
                lessons.append(_unavailable(path, root, number, i, str(err)))
                continue
            except ContentError as err:
                problems.append(Problem(rel, err.line, err.message))
                lessons.append(
                    _unavailable(path, root, number, i, f"line {err.line}: {err.message}")
                )
                continue
            if lesson.module != number:
                problems.append(
                    Problem(
                        rel,
                        1,
                        f"module = {lesson.module} but the file is in module {number}'s folder",
                    )
                )
            if lesson.id in lesson_ids:
                problems.append(Problem(rel, 2, f"lesson id {lesson.id!r} is used twice"))
            lesson_ids.add(lesson.id)
            lessons.append(lesson)
        lessons.sort(key=lambda x: (x.order, x.path))
        modules.append(
            Module(
                number,
                mod_id,
                str(meta.get("title", "")),
                str(meta.get("summary", "")),
                tuple(lessons),
            )
        )
    known = {f"{m.number:02d}-{m.id}" for m in modules}
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and p.name[:2].isdigit()):
        if folder.name not in known and any(folder.glob("*.md")):
            problems.append(
                Problem(
                    _rel(folder, root),
                    0,
                    "this folder matches no module in modules.toml, so its lessons are not shown",
                )
            )
    return Course(tuple(modules), glossary, tuple(problems))


@cache
def course() -> Course:
    """The installed course, loaded once per process (and parsed once per
    change of its files: tutor.course_cache)."""
    from tutor.course_cache import cached_course

    return cached_course(content_root(), load_course)


def link_problems(lesson: Lesson, glossary: Glossary) -> list[Problem]:
    """Glossary links that point nowhere, and linked terms not listed in `terms`."""
    out = []
    for t in lesson.terms:
        if glossary.get(t) is None:
            out.append(
                Problem(lesson.path, 1, f"`terms` names {t!r}, which is not in the glossary")
            )
    for n, line in enumerate(lesson.body.splitlines(), lesson.body_line):
        for m in LINK_RE.finditer(line):
            term = glossary.resolve(m.group(1))
            if term is None:
                out.append(
                    Problem(lesson.path, n, f"link [[{m.group(1)}]] matches no glossary term")
                )
            elif term.id not in lesson.terms:
                out.append(
                    Problem(
                        lesson.path,
                        n,
                        f"link [[{m.group(1)}]] ({term.id}) is not listed in `terms`",
                    )
                )
    return out


def markdown_with_links(body: str, glossary: Glossary) -> str:
    """The lesson body with [[term]] links turned into Markdown links
    `[text](term:ID)` that the reader opens as glossary entries."""

    def repl(m: re.Match[str]) -> str:
        target, text = m.group(1), m.group(2) or m.group(1)
        term = glossary.resolve(target)
        return f"[{text}](term:{term.id})" if term else text

    return LINK_RE.sub(repl, body)


def plain_text(body: str) -> str:
    """The body with [[links]] reduced to their text (for the terminal)."""
    return LINK_RE.sub(lambda m: m.group(2) or m.group(1), body)


def reading_body(lesson: Lesson) -> str:
    """The body as readers show it: a first `# heading` that repeats the title
    is dropped, since the reader and `tutor show` print the title already."""
    first, _, rest = lesson.body.partition("\n")
    if first.startswith("# ") and plain_text(first[2:]).strip().lower() == lesson.title.lower():
        return rest.lstrip("\n")
    return lesson.body
