"""The course as data: modules, lessons, checks, predictions and glossary
terms, as frozen dataclasses. `tutor.content` loads them from `lessons/`;
`tutor.lesson_files` parses one file into them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

FRONT = "+++"
LINK_RE = re.compile(r"\[\[([^\]|]+)(?:\|([^\]]+))?\]\]")
ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Problem:
    """Something wrong in a content file, said so a writer can fix it."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Check:
    """A multiple-choice quick-check question."""

    question: str
    choices: tuple[str, ...]
    answer: int
    explain: str
    #: A SQL check: the query whose result the question asks for. The choices
    #: are queries, graded by running them on the lesson's lab's sample data
    #: (`tutor.sqlcheck`); `answer` is the one with the same result.
    sql: str = ""
    #: One entry per choice (or none): for a wrong choice, the misconception it
    #: stands for and its correction; the right answer's entry may be "".
    feedback: tuple[str, ...] = ()

    def feedback_for(self, choice: int) -> str:
        """What to tell a learner who picked `choice` ("" when there is nothing)."""
        return self.feedback[choice] if 0 <= choice < len(self.feedback) else ""


@dataclass(frozen=True)
class Predict:
    """A question answered before a lab runs and checked against its trace."""

    question: str
    choices: tuple[str, ...]
    fact: str
    explain: str


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    module: int
    order: int
    objectives: tuple[str, ...]
    terms: tuple[str, ...]
    lab: str | None
    sources: tuple[str, ...]
    checks: tuple[Check, ...]
    predicts: tuple[Predict, ...]
    body: str
    path: str
    #: Line in the file where the Markdown body starts.
    body_line: int = 1
    #: Set when the file could not be loaded; the lesson is then unavailable.
    error: str | None = None

    @property
    def available(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class Module:
    number: int
    id: str
    title: str
    summary: str
    lessons: tuple[Lesson, ...]


@dataclass(frozen=True)
class Term:
    id: str
    term: str
    aliases: tuple[str, ...]
    short: str
    explain: str
    related: tuple[str, ...]
    source: str
    fields: tuple[str, ...] = ()
    path: str = ""


@dataclass(frozen=True)
class Glossary:
    terms: tuple[Term, ...]

    def get(self, term_id: str) -> Term | None:
        return self._by_id().get(term_id)

    def resolve(self, name: str) -> Term | None:
        """The term whose id, name or alias is `name` (case-insensitive)."""
        key = name.strip().lower()
        return self._by_id().get(key) or self._by_name().get(key)

    def search(self, query: str) -> list[Term]:
        """Terms matching `query`: exact names first, then prefixes, then a word
        of a name or alias starting with it, then a word of the definition.
        Only at the start of a word: "nat" is NAT, not PagiNATion or DestiNATion."""
        q = query.strip().lower()
        if not q:
            return sorted(self.terms, key=lambda t: t.term.lower())
        word = re.compile(r"(?<![a-z0-9])" + re.escape(q))
        scored: list[tuple[int, str, Term]] = []
        for t in self.terms:
            names = [t.term.lower(), t.id, *(a.lower() for a in t.aliases)]
            if q in names:
                rank = 0
            elif any(n.startswith(q) for n in names):
                rank = 1
            elif any(word.search(n) for n in names):
                rank = 2
            elif word.search(t.short.lower()) or word.search(t.explain.lower()):
                rank = 3
            else:
                continue
            scored.append((rank, t.term.lower(), t))
        return [t for _, _, t in sorted(scored, key=lambda x: (x[0], x[1]))]

    @cache  # noqa: B019 - the glossary is frozen and lives for the whole process
    def _by_id(self) -> dict[str, Term]:
        return {t.id: t for t in self.terms}

    @cache  # noqa: B019
    def _by_name(self) -> dict[str, Term]:
        out: dict[str, Term] = {}
        for t in self.terms:
            for name in (t.term, *t.aliases):
                out.setdefault(name.lower(), t)
        return out


@dataclass(frozen=True)
class Course:
    modules: tuple[Module, ...]
    glossary: Glossary
    problems: tuple[Problem, ...]

    @property
    def lessons(self) -> tuple[Lesson, ...]:
        return tuple(lesson for m in self.modules for lesson in m.lessons)

    def lesson(self, lesson_id: str) -> Lesson | None:
        return next((x for x in self.lessons if x.id == lesson_id), None)

    def lessons_using(self, term_id: str) -> tuple[Lesson, ...]:
        return tuple(x for x in self.lessons if term_id in x.terms)

    def place(self, lesson: Lesson) -> str:
        """ "module 6, lesson 1": where a lesson sits, as the outline numbers it."""
        module = next((m for m in self.modules if m.number == lesson.module), None)
        if module is None or lesson not in module.lessons:
            return f"module {lesson.module}"
        return f"module {lesson.module}, lesson {module.lessons.index(lesson) + 1}"
