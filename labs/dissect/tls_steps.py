"""TLS's goodbye as a step of its own ("Say goodbye, most likely (TLS)":
the title hedges as its text does, since the encryption hides the alert),
between the last request or response and the TCP close.

A side ends its sending in TLS with an alert, close_notify (RFC 8446 §6.1;
RFC 5246 §7.2.1). The packets show no more than this: TLS 1.2 leaves an
encrypted record's type readable (21, Alert), and in TLS 1.3 every
encrypted record says Application Data outside (RFC 8446 §5.2), so only a
record of exactly an encrypted alert's size (`labs.dissect.proto.tls_record`
marks it) can be one. Either is a goodbye only if its side sends no more
data after it: `Goodbyes` names it so when it comes, and takes the name back
(renames it to what it would be otherwise: a request, a response) if more
data from that side follows before the connection closes. The timing
waterfall leaves the same packets out (`labs.model.waterfall_tls`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from labs.dissect.app_steps import CLOSES, explain_run
from labs.model.trace import Layer
from labs.model.waterfall_tls import ALERT_SIZED

if TYPE_CHECKING:
    from labs.dissect.steps import View

GOODBYE = "goodbye"
#: What `View.app` says of a goodbye packet (`record_facts`).
_FACT = "tls-goodbye"


def record_facts(layers: tuple[Layer, ...]) -> tuple[bool, tuple[str, ...]]:
    """Of a packet's TLS records: whether one belongs to the handshake (a
    handshake, change cipher spec or readable alert record), and, when every
    one is a goodbye, ("tls-goodbye", "1.2" or "1.3", how many, the length of
    the last): TLS 1.2's Encrypted Alert, or a TLS 1.3 record of an encrypted
    alert's size; else ()."""
    setup = other = False
    kind, goodbyes, length = "", 0, ""
    for layer in layers:
        if not layer.name.startswith("TLS"):
            continue
        alert = layer.name.startswith("TLS Encrypted Alert")
        sized = False
        for f in layer.fields:
            if f.filter == "tls.record.content_type":
                setup = setup or f.value in ("20", "22") or (f.value == "21" and not alert)
            elif f.filter == "tls.record.length":
                length = f.value
            elif f.filter is None and f.name == ALERT_SIZED:
                sized = True
        if alert or sized:
            goodbyes += 1
            kind = "1.3" if sized else "1.2"
        else:
            other = True
    return setup, ((_FACT, kind, str(goodbyes), length) if goodbyes and not other else ())


class Goodbyes:
    """The goodbyes of each conversation (`steps.Classifier`) that more data
    from their side may still take back; the first FIN or RST settles them
    (what follows it is the close)."""

    def __init__(self) -> None:
        #: conversation -> [(index, sender, or "" for a packet without data
        #: that joined the step, the name it has otherwise)]
        self.pending: dict[str, list[tuple[int, str, str]]] = {}

    def name(self, i: int, v: View, conv: str, name: str, renames: list[tuple[int, str]]) -> str:
        """The step name of TCP packet `i` (`name`: what it is named
        otherwise); earlier goodbyes it takes back go to `renames`."""
        held = self.pending.get(conv)
        if name in CLOSES:  # after a FIN or RST: the goodbyes before it stay
            self.pending.pop(conv, None)
        elif not v.seg or v.bits & 0x02:
            if held and name == GOODBYE:  # joins the step: what it is otherwise, with it
                held.append((i, "", held[-1][2]))
        elif v.app[:1] == (_FACT,):
            if held is None:
                held = self.pending[conv] = []
            held.append((i, v.src, name))
            return GOODBYE
        elif held:
            # More data from this side: its goodbyes were not, nor the
            # packets without data that joined the step right after them.
            back, after = [], ""
            for e in held:
                after = e[1] or after
                if after == v.src:
                    back.append(e)
            if back:
                renames.extend((e[0], e[2]) for e in back)
                held[:] = [e for e in held if e not in back]
                if not held:
                    del self.pending[conv]
        return name

    def settled(self, conv: str) -> None:
        """`conv` is over: nothing can take its goodbyes back."""
        self.pending.pop(conv, None)


class GoodbyeStory:
    """A goodbye step's words: who sent what, said from the records."""

    def __init__(self) -> None:
        #: sender -> (kind, records, length) of its goodbye packets
        self.sent: dict[str, list[tuple[str, int, str]]] = {}

    def add(self, v: View) -> None:
        if v.app[:1] == (_FACT,):
            kind, count, length = v.app[1:4]
            self.sent.setdefault(v.src, []).append((kind, int(count), length))

    def text(self) -> str:
        groups: dict[tuple[str, str], dict[str, int]] = {}
        for src, got in self.sent.items():
            for kind, count, length in got:
                by = groups.setdefault((kind, length if kind == "1.3" else ""), {})
                by[src] = by.get(src, 0) + count
        said = []
        for (kind, length), by in groups.items():
            who = list(by)
            senders = who[0] if len(who) == 1 else f"{', '.join(who[:-1])} and {who[-1]}"
            verb = "sends" if len(who) == 1 else "each send"
            if kind == "1.3":
                what = "one encrypted record" if set(by.values()) == {1} else "encrypted records"
                said.append(
                    f"{senders} {verb} {what} of {length} bytes and no more data after it: "
                    "exactly the size of an encrypted TLS alert (2 bytes, plus 1 byte of type "
                    f"and a {int(length) - 3}-byte tag), which is how TLS 1.3 says 'I am done "
                    "sending' (close_notify, RFC 8446 §6.1); the encryption hides whether it "
                    "is one."
                )
            else:
                what = (
                    "an encrypted TLS alert" if set(by.values()) == {1} else "encrypted TLS alerts"
                )
                said.append(
                    f"{senders} {verb} {what} and no more data after it: the type (21, Alert) "
                    "is readable before TLS 1.3, not which alert it is: 'I am done sending' "
                    "(close_notify, RFC 5246 §7.2.1) or an error."
                )
        return " ".join(said)


class HandshakeStory:
    """A handshake step's words, and what the server sent in it after the
    readable handshake and before the client sent more than its own:
    `steps.Classifier` keeps such encrypted records in this step, as they
    answer no request. TLS 1.3 encrypts the server's certificate and
    Finished (RFC 8446 §2) and the session tickets it sends once the
    handshake is done (NewSessionTicket, §4.6.1), and every encrypted
    record says Application Data outside (§5.2): the packets cannot tell
    which these are, nor a greeting from a protocol whose server speaks first."""

    def __init__(self) -> None:
        self.first: View | None = None
        #: (server, client) -> packets of encrypted records without a handshake record
        self.early: dict[tuple[str, str], int] = {}

    def add(self, v: View) -> None:
        if self.first is None:
            self.first = v
        if v.seg and not v.tls_setup and "TLS" in v.names:
            key = (v.src, v.dst)
            self.early[key] = self.early.get(key, 0) + 1

    def text(self, n: int) -> str:
        first = self.first
        out = explain_run("tls", n, first.src, first.dst, ()) if first else ""
        for (server, client), count in self.early.items():
            out += (
                f" Then {server} sends {count} packet{'s' if count != 1 else ''} of encrypted "
                f"records before {client} sends anything beyond its handshake, so they answer "
                "no request: in TLS 1.3 the rest of the server's handshake (its certificate and "
                "Finished) and then, typically, session tickets for resuming later "
                "(NewSessionTicket, RFC 8446 §4.6.1) travel encrypted like this, as does a "
                "greeting from a server that speaks first; the encryption hides which these are."
            )
        return out


__all__ = ["GOODBYE", "GoodbyeStory", "Goodbyes", "HandshakeStory", "record_facts"]
