"""Walk the course in reading order and find glossary terms used before their
meaning: in a lesson before the one that introduces them (lists them in
`terms`, which every [[link]] must also be in), or in the introducing lesson
above its first [[link]] to them.

`python tests/term_order.py` prints every finding and the counts per module;
tests/test_content_terms.py fails on any.

What counts as a use of a term (the design, so the test finds the real gaps
without drowning in false alarms):

- The body's text is scanned once with every name and alias of every term,
  longest first, and each stretch of text belongs to one term: "IP address"
  is a use of `ip-address`, not also of `ip`; "SYN-ACK" is not also "SYN";
  "TCP port" is `port`. Word edges are letters and digits, so "nat" never
  matches inside "destination"; a plural "s"/"es" is allowed.
- Acronyms and code-like names (two capitals or more, or a capital after the
  first letter: NAT, MTU, IPv4, ClientHello, SYN-ACK) match case-sensitively,
  so "Get" is not GET and "A packet" is not an A record; the other names
  ignore case.
- EVERYDAY lists names that are ordinary English words or phrases ("port",
  "record", "gateway", "window", "reset", "request", "data", ...). In plain
  text they mean what English means, so they count only where linked: the
  overloaded word's glossary sense is the one the writer marks. One-letter
  names and bare numbers ("A", "200") count only where linked too.
- Code is skipped, fenced blocks and `inline` spans alike (command output,
  identifiers and examples quote what the text around them explains); headings are skipped only for the order inside
  the introducing lesson (a heading may name what its paragraph links).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from tutor.course import LINK_RE, Course, Lesson, Term

# Ordinary English words or phrases that are also glossary names or aliases.
# Plain, they are read in their everyday sense; linked, in the glossary's.
EVERYDAY = frozenset(
    """
    port record gateway window reset finish flags data delay loss capacity host hosts
    interface switch table row column index filter report query request response body
    method verb origin scope cursor zone domain stub mask prefix reference relation
    standby secondary anonymous propagation compression via hop route handshake cipher
    issuer preface replay breaker poll grouping aggregate frame segment layer bit byte
    resend synchronize database timeout time-out cookie encrypt encrypted encryption
    unencrypted certificate cert protocol server client header packet redirect lo
    acknowledgement acknowledgment heartbeat pong backend throughput accept location
    authorization forbidden unauthorized bearer quota opcode range
    """.split()
) | frozenset(
    [
        "round trip",
        "in the clear",
        "clear text",
        "key pair",
        "public key",
        "secret key",
        "symmetric key",
        "server key",
        "key file",
        "masking key",
        "intermediate ca",
        "full chain",
        "name check",
        "connection reuse",
        "read timeout",
        "request timeout",
        "connect timeout",
        "back end",
        "web app",
        "api client",
        "client library",
        "client secret",
        "client id",
        "access token",
        "stale read",
        "transaction id",
        "trust store",
        "web address",
        "signing secret",
        "identity provider",
        "code flow",
        "state parameter",
        "public keys",
        "safe method",
        "next page",
        "start line",
        "response line",
        "network card",
        "network id",
        "internet address",
        "global address",
        "edge network",
        "trace id",
        "page token",
        "network prefix",
        "end host",
        "end system",
        "not found",
    ]
)

EDGE_L = r"(?<![A-Za-z0-9])"
INLINE_CODE = re.compile(r"`[^`]*`")
EDGE_R = r"(?:s|es)?(?![A-Za-z0-9])"


def case_sensitive(name: str) -> bool:
    """NAT, IPv4, ClientHello, SYN-ACK: the capitals are part of the name."""
    return sum(c.isupper() for c in name) >= 2 or any(c.isupper() for c in name[1:])


def counts_unlinked(name: str) -> bool:
    """Whether plain text naming `name` is a use of the term (see the module doc)."""
    key = name.strip().lower()
    return len(key) > 1 and not key.replace(".", "").isdigit() and key not in EVERYDAY


@dataclass(frozen=True)
class Finding:
    module: int
    lesson: str
    path: str
    line: int
    term: str
    words: str
    why: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.term} ({self.words!r}) {self.why}"


class Scanner:
    """Finds the uses of every countable name; each use names its term."""

    def __init__(self, terms: tuple[Term, ...]) -> None:
        self.names: dict[str, str] = {}  # name -> term id
        for t in terms:
            for name in (t.term, *t.aliases):
                if counts_unlinked(name):
                    self.names.setdefault(name, t.id)
        self._compiled: dict[frozenset[str], tuple[re.Pattern[str], list[str]]] = {}

    def _regex(self, text: str) -> tuple[re.Pattern[str], list[str]]:
        # One alternation over ~900 names is slow in `re`; only the names that
        # occur somewhere in the text (ignoring case) can match, so build it of those.
        low = re.sub(r"\s+", " ", text.lower())
        present = frozenset(n for n in self.names if n.lower() in low)
        if present not in self._compiled:
            ordered = sorted(present, key=len, reverse=True)
            parts = []
            for name in ordered:
                body = re.escape(name).replace(r"\ ", r"\s+")
                parts.append(f"({body})" if case_sensitive(name) else f"((?i:{body}))")
            alternation = "|".join(parts) or "(?!)"
            regex = re.compile(EDGE_L + "(?:" + alternation + ")" + EDGE_R)
            self._compiled[present] = (regex, [self.names[n] for n in ordered])
        return self._compiled[present]

    def uses(self, text: str) -> list[tuple[str, str]]:
        """(term id, the words) for each use in `text`, left to right."""
        return [(term_id, words) for term_id, words, _at in self.uses_at(text)]

    def uses_at(self, text: str) -> list[tuple[str, str, int]]:
        """(term id, the words, where they start) for each use in `text`."""
        regex, ids = self._regex(text)
        out = []
        for m in regex.finditer(text):
            if m.lastindex is not None:
                out.append((ids[m.lastindex - 1], m.group(m.lastindex), m.start(m.lastindex)))
        return out


def body_blocks(lesson: Lesson) -> list[tuple[int, str, bool]]:
    """(file line where it starts, text, is a heading) outside fenced code, with
    inline code blanked out. Consecutive prose lines form one block, so a name
    that wraps ("load\nbalancer") is still read; headings and table rows stand
    alone, since a name never runs from one row into the next."""
    out: list[tuple[int, str, bool]] = []
    fenced = False
    block: list[str] = []
    start = 0

    def flush() -> None:
        if block:
            # An `inline code` span may wrap too; blank it keeping its newlines.
            text = INLINE_CODE.sub(lambda m: re.sub(r"[^\n]", " ", m[0]), "\n".join(block))
            out.append((start, text, False))
            block.clear()

    for n, line in enumerate(lesson.body.splitlines(), lesson.body_line):
        stripped = line.lstrip()
        if stripped.startswith(("```", "~~~")):
            flush()
            fenced = not fenced
            continue
        if fenced:
            continue
        if not stripped or stripped.startswith(("#", "|")):
            flush()
            if stripped:
                out.append((n, INLINE_CODE.sub(" ", line), stripped.startswith("#")))
            continue
        if stripped.startswith(("- ", "* ", "+ ")) or re.match(r"\d+\. ", stripped):
            flush()  # a list item starts a block of its own
        if not block:
            start = n
        block.append(line)
    flush()
    return out


def walk(course: Course) -> list[Finding]:
    scanner = Scanner(course.glossary.terms)
    introduced: set[str] = set()
    findings: list[Finding] = []
    for lesson in course.lessons:
        if not lesson.available:
            continue
        mine = set(lesson.terms)
        linked: set[str] = set()
        seen: set[str] = set()  # reported once per lesson
        for first, text, heading in body_blocks(lesson):
            # A term linked on a line may be named just before its link on that
            # line ("a hop limit, called [[ttl|TTL]]"): that is its gloss, not a slip.
            links_on: dict[int, set[str]] = {}
            for link in LINK_RE.finditer(text):
                term = course.glossary.resolve(link.group(1))
                if term is not None:
                    line = first + text.count("\n", 0, link.start())
                    links_on.setdefault(line, set()).add(term.id)
            pos = 0
            for m in [*LINK_RE.finditer(text), None]:
                plain_end = m.start() if m else len(text)
                for term_id, words, at in scanner.uses_at(text[pos:plain_end]):
                    line = first + text.count("\n", 0, pos + at)
                    if term_id in introduced or term_id in linked or term_id in seen:
                        continue
                    if term_id in links_on.get(line, set()):
                        continue
                    if term_id in mine and (heading or not _linked_later(lesson, term_id, course)):
                        continue
                    seen.add(term_id)
                    why = (
                        "used above this lesson's first link to it"
                        if term_id in mine
                        else "used before any lesson introduces it (link it, or list it in "
                        "`terms` and gloss it here)"
                    )
                    findings.append(
                        Finding(lesson.module, lesson.id, lesson.path, line, term_id, words, why)
                    )
                if m is not None:
                    term = course.glossary.resolve(m.group(1))
                    if term is not None:
                        linked.add(term.id)
                    pos = m.end()
        introduced |= mine
    return findings


def _linked_later(lesson: Lesson, term_id: str, course: Course) -> bool:
    """Whether the lesson links the term at all (else `terms` alone glosses it)."""
    for m in LINK_RE.finditer(lesson.body):
        term = course.glossary.resolve(m.group(1))
        if term is not None and term.id == term_id:
            return True
    return False


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tutor.content import load_course

    course = load_course()
    findings = walk(course)
    for f in findings:
        print(f)
    per_module: dict[int, int] = {}
    for f in findings:
        per_module[f.module] = per_module.get(f.module, 0) + 1
    print(f"\n{len(findings)} terms used before their meaning")
    for number in sorted(per_module):
        print(f"  module {number}: {per_module[number]}")
    return 1 if findings else 0


if __name__ == "__main__":
    raise SystemExit(main())
