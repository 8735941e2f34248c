"""Spaced-repetition review of glossary terms, scheduled by FSRS (the `fsrs`
package): the terms of a lesson the learner opened, and the protocols read
about in a lab's or a capture's packets (`Met`), become cards; due cards come first; each grade
(Again, Hard, Good, Easy) sets the next due date. Cards and grades live in the progress database (tables `review_card`
and `review_log`, created by migration 2 in `tutor.progress`)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tutor.content import Term
    from tutor.progress import Store

#: New terms introduced a day, at most (like Anki's "new cards/day"): a first
#: lab can meet a hundred terms, and a hundred at once teaches none of them.
NEW_PER_DAY = 15

#: Grade keys, as on the review screen.
GRADES = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}


@dataclass(frozen=True)
class Due:
    """How much review is waiting. Like Anki's (and FSRS's) new cards and due
    reviews: a term met in a lab or a lesson but never graded is new, to
    learn; only a graded one falls due again."""

    #: Terms to go through now: `reviews` + `new`.
    count: int
    scheduled: int
    #: When the next card falls due, if none is due now.
    next_due: datetime | None
    #: Graded terms whose due date has come.
    reviews: int = 0
    #: Never-graded terms, within today's allowance (`NEW_PER_DAY`).
    new: int = 0

    def title(self) -> str:
        """What is waiting, in a few words ("15 new terms to learn", "3 due
        for review, 15 new": short enough for the outline's title at 80
        columns); empty when nothing is."""
        if self.reviews and self.new:
            return f"{self.reviews} due for review, {self.new} new"
        if self.reviews:
            return f"{self.reviews} term{'s' if self.reviews != 1 else ''} due for review"
        return f"{self.new} new term{'s' if self.new != 1 else ''} to learn" if self.new else ""


class Review:
    """The learner's review deck, on top of the progress store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def schedule(self, term_ids: Iterable[str], source: str) -> int:
        """Add cards for terms not yet in the deck, due now. Returns how many were added."""
        return len(self.add(term_ids, source))

    def add(self, term_ids: Iterable[str], source: str) -> list[str]:
        """`schedule`, returning the ids that were new to the deck."""
        from fsrs import Card

        now = time.time()
        added = []
        with self.store.write() as db:
            for term_id in dict.fromkeys(term_ids):
                card = Card()
                cur = db.execute(
                    "INSERT INTO review_card VALUES (?, ?, ?, ?, ?) ON CONFLICT (term_id) DO NOTHING",
                    (term_id, card.to_json(), now, source, now),
                )
                if cur.rowcount:
                    added.append(term_id)
        return added

    def in_deck(self) -> set[str]:
        """The ids of every term with a card."""
        return {r["term_id"] for r in self.store.read("SELECT term_id FROM review_card")}

    def due_terms(self, now: float | None = None) -> list[str]:
        """Term ids to review now: reviewed terms that are due, the most overdue
        first, then new terms in the order they were met, up to today's
        allowance of new terms."""
        reviews, new = self.queue(now)
        return reviews + new

    def queue(self, now: float | None = None) -> tuple[list[str], list[str]]:
        """`due_terms` in its two parts: (due reviews, new terms)."""
        now = now if now is not None else time.time()
        reviewed = self.store.read(
            "SELECT term_id FROM review_card WHERE due <= ? AND term_id IN "
            "(SELECT term_id FROM review_log) ORDER BY due, term_id",
            (now,),
        )
        midnight = datetime.fromtimestamp(now).replace(hour=0, minute=0, second=0, microsecond=0)
        started_today = self.store.read(
            "SELECT count(*) AS n FROM (SELECT term_id FROM review_log GROUP BY term_id "
            "HAVING min(time) >= ?)",
            (midnight.timestamp(),),
        )[0]["n"]
        allowance = max(0, NEW_PER_DAY - started_today)
        new = self.store.read(
            "SELECT term_id FROM review_card WHERE due <= ? AND term_id NOT IN "
            "(SELECT term_id FROM review_log) ORDER BY added, term_id LIMIT ?",
            (now, allowance),
        )
        return [r["term_id"] for r in reviewed], [r["term_id"] for r in new]

    def waiting(self, now: float | None = None) -> int:
        """New terms due but past today's allowance: they come `NEW_PER_DAY`
        a day on the days after."""
        now = now if now is not None else time.time()
        unstarted = self.store.read(
            "SELECT count(*) AS n FROM review_card WHERE due <= ? AND term_id NOT IN "
            "(SELECT term_id FROM review_log)",
            (now,),
        )[0]["n"]
        return max(0, unstarted - len(self.queue(now)[1]))

    def status(self, now: float | None = None) -> Due:
        now = now if now is not None else time.time()
        reviews, new = self.queue(now)
        total = self.store.read("SELECT count(*) AS n FROM review_card")[0]["n"]
        nxt = self.store.read("SELECT min(due) AS d FROM review_card WHERE due > ?", (now,))[0]["d"]
        when = datetime.fromtimestamp(nxt, UTC) if nxt else None
        return Due(len(reviews) + len(new), total, when, len(reviews), len(new))

    def grade(self, term_id: str, rating: int, now: datetime | None = None) -> datetime:
        """Record a grade (1 Again .. 4 Easy) and return when the term is due next."""
        from fsrs import Card, Rating, Scheduler

        if rating not in GRADES:
            raise ValueError(f"rating must be 1-4, not {rating}")
        rows = self.store.read("SELECT card FROM review_card WHERE term_id = ?", (term_id,))
        card = Card.from_json(rows[0]["card"]) if rows else Card()
        when = now or datetime.now(UTC)
        card, _log = Scheduler(enable_fuzzing=False).review_card(card, Rating(rating), when)
        due = card.due.timestamp()
        with self.store.write() as db:
            db.execute(
                "INSERT INTO review_card VALUES (?, ?, ?, 'review', ?) "
                "ON CONFLICT (term_id) DO UPDATE SET card = excluded.card, due = excluded.due",
                (term_id, card.to_json(), due, when.timestamp()),
            )
            db.execute(
                "INSERT INTO review_log (term_id, rating, time, next_due) VALUES (?, ?, ?, ?)",
                (term_id, rating, when.timestamp(), due),
            )
        return card.due


def when(due: datetime, now: datetime | None = None) -> str:
    """'in 10 minutes', 'in 3 days': how far away a due date is."""
    seconds = (due - (now or datetime.now(UTC))).total_seconds()
    if seconds < 60:
        return "now"
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            n = round(seconds / size)
            return f"in {n} {unit}{'s' if n != 1 else ''}"
    return "soon"


#: Wireshark's pseudo-protocols: the capture's own record of a frame and the
#: bytes no dissector read. "data" is an alias of Payload, which is no protocol.
NOT_PROTOCOLS = frozenset({"frame", "data", "_ws"})


class Met:
    """Which glossary terms a learner meets reading a trace: only protocols.
    A term is met when it is the term of a protocol whose fields are on show
    (TCP for `tcp.flags`: its id, name or alias is the Wireshark protocol
    name) and the words on show about a packet or a field name it (its name
    or an alias, as a whole word). Every other term joins the deck from the
    lesson that teaches it (the lesson's `terms`, when it opens): a packet
    tree names Checksum, TTL or Window in every packet, and reading a lab
    run's fields once put some twenty such names in the deck, learnt from no
    lesson, fifteen new a day for weeks."""

    def __init__(self, terms: Iterable[Term]) -> None:
        self.by_protocol: dict[str, Term] = {}
        for term in terms:
            for name in (term.id, term.term, *term.aliases):
                self.by_protocol.setdefault(name.lower(), term)
        self._words: dict[str, re.Pattern[str]] = {}

    def protocol(self, field: str) -> Term | None:
        """The term of the protocol `field` belongs to (TCP for tcp.flags)."""
        name = field.split(".", 1)[0].lower()
        return None if name in NOT_PROTOCOLS else self.by_protocol.get(name)

    def named(self, fields: Iterable[str], text: str) -> list[Term]:
        """The terms of the protocols of `fields` that `text` names, in the
        order it names them."""
        found: dict[str, tuple[int, Term]] = {}
        for name in fields:
            term = self.protocol(name)
            if term is None or term.id in found:
                continue
            match = self._pattern(term).search(text)
            if match:
                found[term.id] = (match.start(), term)
        return [term for _at, term in sorted(found.values(), key=lambda f: f[0])]

    def _pattern(self, term: Term) -> re.Pattern[str]:
        pattern = self._words.get(term.id)
        if pattern is None:
            # Whole words only: "IP" is not met in "ZIP", nor "ACK" in "packet".
            names = "|".join(re.escape(n) for n in (term.term, *term.aliases) if n)
            pattern = self._words[term.id] = re.compile(rf"(?<!\w)(?:{names})(?!\w)", re.I)
        return pattern
