"""The steps of application protocols that say what their packets did: a
DNS step counts its questions and answers (RFC 1035), a TFTP step tells each
transfer, its file, blocks and errors (RFC 1350), and is titled with the
files ("Download notes.txt over TFTP").

`facts` reads what they need of a packet into its `View.app` (a few
strings, small enough to cross between processes); the stories are fed
Views one at a time, so that `steps.group` and the streamed `tutor explain
--json` say the same words."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from labs.dissect.connect_steps import only_syns, refused_text, syns_text
from labs.dissect.patterns import host, port
from labs.model.timewords import took
from labs.model.trace import Layer

if TYPE_CHECKING:
    from labs.dissect.steps import View

_DNS = ("dns.flags.response", "dns.qry.type", "dns.qry.name", "dns.flags.rcode")
_TFTP = (
    "tftp.opcode",
    "tftp.source_file",
    "tftp.destination_file",
    "tftp.block",
    "data.len",
    "tftp.error.code",
    "tftp.error.message",
)
#: Questions named at most in a DNS step's explanation, files in a TFTP step's title.
_LISTED = 5
_TITLED = 2
#: TFTP's well-known port, where a client sends its request (RFC 1350).
_TFTP_PORT = "69"


def facts(layers: tuple[Layer, ...]) -> tuple[str, ...]:
    """("dns", qr, type, name, rcode) or ("tftp", opcode, file, block, data
    length, error code, error message, block size accepted) of a packet; ()
    for others. Shown
    values (the type "A", the rcode "NXDOMAIN") as Wireshark shows them."""
    for layer in layers:
        # Over TCP, a message in several segments is read on its last one.
        if layer.name == "DNS" or layer.name.startswith("DNS (reassembled"):
            dns = {fl.filter: fl for fl in reversed(layer.fields) if fl.filter in _DNS}
            qr = dns["dns.flags.response"].value if "dns.flags.response" in dns else ""
            return ("dns", qr, *(dns[n].show if n in dns else "" for n in _DNS[1:]))
        if layer.name == "TFTP":
            f = {fl.filter: fl.value for fl in reversed(layer.fields) if fl.filter in _TFTP}
            shown = layer.field("tftp.error.code")
            if shown is not None and shown.show != shown.value:
                f["tftp.error.code"] += f" ({shown.show})"
            if shown is not None and f.get("tftp.error.message") == shown.show:
                f["tftp.error.message"] = ""  # the message only repeats the code's name
            name = f.get("tftp.source_file") or f.get("tftp.destination_file", "")
            size = ""  # the block size an option acknowledgment accepts (RFC 2348)
            if f.get("tftp.opcode") == "6":
                options = [
                    fl for fl in layer.fields if fl.filter and fl.filter.startswith("tftp.option")
                ]
                for key, value in zip(options[::2], options[1::2], strict=False):
                    if key.value.lower() == "blksize":
                        size = value.value
            tail = (f.get(n, "") for n in _TFTP[3:])
            return ("tftp", f.get("tftp.opcode", ""), name, *tail, size)
    return ()


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


class DnsStory:
    """A DNS step's questions (type and name, in order) and answers."""

    def __init__(self) -> None:
        self.questions = 0
        self.answers = 0
        self.asked: dict[str, None] = {}
        self.errors: dict[str, int] = {}
        #: (client, server, type, name) -> when the question was sent
        self.pending: dict[tuple[str, str, str, str], float] = {}
        #: how long each answered question waited for its answer
        self.waits: list[float] = []
        self.first = self.last = 0.0

    def add(self, v: View) -> None:
        if v.app[:1] != ("dns",):
            return
        qr, qtype, name, rcode = v.app[1:5]
        if not self.questions and not self.answers:
            self.first = v.time
        self.last = v.time
        if qr == "1":
            self.answers += 1
            asked = self.pending.pop((v.dst, v.src, qtype, name), None)
            if asked is not None and len(self.waits) < 4096:
                self.waits.append(v.time - asked)
            if rcode and rcode not in ("0", "NOERROR", "No error"):
                self.errors[rcode] = self.errors.get(rcode, 0) + 1
        else:
            self.questions += 1
            if len(self.pending) < 4096:
                self.pending.setdefault((v.src, v.dst, qtype, name), v.time)
        if name:
            self.asked.setdefault(f"{qtype} {name}".strip(), None)

    def text(self) -> str:
        asked = list(self.asked)
        listed = ", ".join(asked[:_LISTED])
        if len(asked) > _LISTED:
            listed += f" and {len(asked) - _LISTED} more"
        about = f" ({listed})" if listed else ""
        q, a = self.questions, self.answers
        errors = ""
        if self.errors and a == 1:
            errors = f" ({next(iter(self.errors))})"
        elif self.errors:
            said = [f"{n} {rcode}" for rcode, n in self.errors.items()]
            errors = (
                f" ({said[0].replace(' ', ' of them ', 1)}{''.join(', ' + x for x in said[1:])})"
            )
        if not q:
            return f"{'an answer' if a == 1 else _plural(a, 'answer')}{about}{errors}"
        asks = "a question" if q == 1 else _plural(q, "question")
        if not a:
            return f"{asks}{about}; no answer in this step"
        if a == q:
            answers = "its answer" if q == 1 else f"their {a} answers"
        else:
            answers = _plural(a, "answer")
        return f"{asks}{about} and {answers}{errors}{self._timing()}"

    def _timing(self) -> str:
        """How long the lookups took, when a step holds several: its own time
        is mostly the pauses between them, not DNS being slow."""
        waits = self.waits
        if len(waits) < 2:
            return ""
        low, high = took(min(waits)), took(max(waits))
        each = f"in {low}" if low == high else f"in {low} to {high}"
        lookups = f"{len(waits)} lookups, each answered {each}"
        span = self.last - self.first
        if span > 2 * sum(waits):
            return f"; {lookups}: most of the step's {took(span)} is time between them"
        return f"; {lookups}"


class _Transfer:
    __slots__ = (
        "client",
        "server",
        "file",
        "write",
        "port",
        "blocks",
        "size",
        "last",
        "error",
        "options",
    )

    def __init__(self, client: str, server: str, file: str, write: bool):
        self.client, self.server, self.file, self.write = client, server, file, write
        self.port = ""
        self.blocks: set[str] = set()
        self.size = self.last = 0
        self.error = ""
        self.options = False


class TftpStory:
    """Each transfer (from its read or write request): who asked for which
    file, the port the other side answered from, the blocks and bytes
    carried, an error."""

    def __init__(self) -> None:
        self.transfers: list[_Transfer] = []
        #: a client's endpoint -> its latest transfer
        self.by_client: dict[str, _Transfer] = {}

    def add(self, v: View) -> None:
        if v.app[:1] != ("tftp",):
            return
        op, file, block, length, error, message = v.app[1:7]
        if op in ("1", "2"):
            t = _Transfer(v.src, v.dst, file, op == "2")
            self.transfers.append(t)
            self.by_client[v.src] = t
            return
        found = self.by_client.get(v.dst) or self.by_client.get(v.src)
        if found is None:
            found = _Transfer("", "", file, False)
            self.transfers.append(found)
            self.by_client[v.dst] = found
        t = found
        server_side = v.dst == t.client
        if server_side and not t.port:
            t.port = port(v.src)
        if op == "3" and block not in t.blocks:
            t.blocks.add(block)
            n = int(length) if length.isdigit() else 0
            t.size += n
            t.last = n
        elif op == "5":
            t.error = f"error {error}" + (f': "{message}"' if message else "")
        elif op == "6":
            t.options = True

    def title(self) -> str:
        files = list(dict.fromkeys(t.file for t in self.transfers if t.file))
        kinds = {t.write for t in self.transfers if t.file}
        if not files:
            return "Transfer a file over TFTP"
        verb = "Transfer" if len(kinds) > 1 else "Upload" if kinds == {True} else "Download"
        if len(files) > _TITLED:
            return f"{verb} {len(files)} files over TFTP"
        return f"{verb} {' and '.join(files)} over TFTP"

    def text(self) -> str:
        said, told = [], False
        for t in self.transfers:
            said.append(self._one(t, told))
            told = told or bool(t.port and not t.error)
        return "TFTP (RFC 1350): " + " ".join(said)

    @staticmethod
    def _one(t: _Transfer, told: bool) -> str:
        what = "write" if t.write else "read"
        if t.client:
            out = f"{host(t.client)} asks {host(t.server)} to {what} {t.file or 'a file'}"
        else:
            out = "A transfer whose request came before the capture"
        parts = []
        if t.error:
            parts.append(f"it answers with {t.error}")
        elif t.port and port(t.server) == _TFTP_PORT and t.port != _TFTP_PORT:
            parts.append(
                f"it answers from port {t.port}"
                + (
                    ""
                    if told
                    else ", not 69: each transfer gets a port of its own (its transfer ID)"
                )
            )
        if t.options:
            parts.append("it accepts the options the client proposed (RFC 2347)")
        if t.blocks:
            sender = "the client" if t.write else "the server"
            n = len(t.blocks)
            parts.append(
                f"{sender} sends {_plural(n, 'block')} ({t.size:,} bytes), each acknowledged "
                "before the next"
            )
            if n > 1 and t.last < (t.size - t.last) // (n - 1):
                parts.append(
                    f"the last, {t.last} bytes, is shorter than the others, which ends the transfer"
                )
        return out + "".join(f"; {p}" for p in parts) + "."


#: FTP's well-known ports (RFC 959): an FTP session closes several connections,
#: and a close on one of these ports says which kind ended.
_FTP_ROLES = {
    "21": ", FTP's control connection (port 21: its commands and replies; each file or "
    "listing travels on a data connection of its own)",
    "20": ", an FTP data connection (port 20: where the server sends a file or listing from "
    "in active mode)",
}

#: A data connection the packets showed carrying FTP data (a file or listing
#: the control connection's PASV, EPSV, PORT or EPRT exchange set up).
_FTP_DATA = (
    ", an FTP data connection (it carried a file or a listing, set up on the control connection)"
)


def is_reply(p: View) -> bool:
    """From the lower port to the higher: a server's answer, when no SYN
    showed which side is the client."""
    try:
        return int(p.src.rsplit(":", 1)[1]) < int(p.dst.rsplit(":", 1)[1])
    except (IndexError, ValueError):
        return False


#: The step names of a connection's close (an FTP data connection's says so).
CLOSES = frozenset({"close", "ftp-data-close"})


def explain_run(name: str, n: int, src: str, dst: str, summaries: Sequence[str]) -> str:
    """The explanation of a step of `n` packets, the first from `src` to
    `dst`; `summaries` (in order) are read for "tcp-connect" and for the
    steps that list what they hold ("data", "other")."""
    count = f"{n} packet{'s' if n != 1 else ''}"

    def verb(plural: str, single: str) -> str:
        return f"{count} {plural if n != 1 else single}"

    if name == "tcp-connect" and only_syns(summaries):
        return syns_text(n, src, dst)
    if name == "tcp-connect":
        return (
            f"{verb('open', 'opens')} a TCP connection between {src} and {dst}: "
            + ", ".join(s.removeprefix("TCP ") for s in summaries)
            + "."
        )
    if name == "refused":
        return refused_text(src, dst)
    if name in CLOSES:
        ports = (end.rpartition(":")[2] for end in (dst, src))
        role = next((_FTP_ROLES[p] for p in ports if p in _FTP_ROLES), "")
        if name == "ftp-data-close" and not role:
            role = _FTP_DATA
        return (
            f"{verb('close', 'closes')} the connection between {src} and {dst}{role}: each "
            "side says it is finished (FIN) or aborts (RST), and the other acknowledges."
        )
    if name == "tls":
        return f"{verb('set', 'sets')} up encryption: the two sides agree on keys; from then on the content is unreadable on the wire."
    if name == "retransmit":
        return (
            f"{verb('send', 'sends')} again data the other side had not acknowledged yet "
            "(lost on the way, or late); its ACKs say what it still misses."
        )
    if name == "request":
        return f"{verb('carry', 'carries')} the request from {src} to {dst}."
    if name == "response":
        return f"{verb('carry', 'carries')} the response from {src} back to {dst}."
    # A summary may end a sentence of its own ("220 ready.", "226 Transfer
    # complete."): no ".;" between two, and no second full stop at the end.
    pieces = list(dict.fromkeys(summaries))
    listed = "; ".join([p.removesuffix(".") for p in pieces[:-1]] + pieces[-1:])
    return f"{count}: {listed}" + ("" if listed.endswith(".") else ".")


class OldSynStory:
    """An "old-syn" step (`labs.dissect.steps`): a closed connection's first
    SYN sent again, with its old initial sequence number, and what answers
    it, each said from the packets' flags and numbers."""

    def __init__(self) -> None:
        self.syn: View | None = None
        self.synack: View | None = None
        self.synacks = 0
        #: an ACK from the SYN's side acknowledged the SYN-ACK (its number + 1)
        self.completed = False
        self.resets: dict[str, None] = {}
        self.listed: list[str] = []

    def add(self, v: View) -> None:
        # "[TCP Retransmission] TCP SYN" -> "SYN": the flags, not the tags.
        self.listed.append(v.summary.rpartition("] ")[2].removeprefix("TCP "))
        bits = v.bits
        if bits & 0x12 == 0x02 and self.syn is None:
            self.syn = v
        elif bits & 0x12 == 0x12:
            self.synacks += 1
            self.synack = self.synack or v
        elif bits & 0x04:
            self.resets[v.src] = None
        elif self.synack is not None and v.src == self.synack.dst:
            self.completed |= v.ack == (self.synack.seq + 1) % 2**32

    def text(self, n: int) -> str:
        listed = ", ".join(self.listed)
        syn, synack = self.syn, self.synack
        if syn is None:
            return f"{_plural(n, 'packet')} answering a closed connection's first SYN sent again: {listed}."
        out = (
            f"{_plural(n, 'packet')} after the connection between {syn.src} and {syn.dst} had "
            f"ended: {syn.src} sends its first SYN again, with the initial sequence number that "
            f"connection began with ({syn.seq}), so Wireshark calls it a retransmission and "
            "keeps it in that conversation, not a new connection."
        )
        if synack is not None:
            times = f" ({self.synacks} times)" if self.synacks > 1 else ""
            out += f" {synack.src} answers it with a SYN-ACK{times}, as to a new connection"
            out += (
                ", and the handshake completes."
                if self.completed
                else f", but no ACK acknowledges that SYN-ACK (it would answer {(synack.seq + 1) % 2**32})."
            )
        if self.resets:
            out += f" Resets (RST) from {' and '.join(self.resets)} end it."
        return f"{out} Packets: {listed}."
