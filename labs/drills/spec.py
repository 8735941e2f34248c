"""The drills as data (see README.md in this folder): a drill, one seeded
variant of it (its broken world, choices, answer, evidence, hints), and what
a session hands the app (probe results, hints, grades, state, report)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from labs.model.trace import Trace

#: The layer choices every drill offers (key, words).
LAYERS: tuple[tuple[str, str], ...] = (
    ("dns", "DNS: the name and its address"),
    ("ip", "IP: routes, the gateway, NAT, packet size (MTU)"),
    ("tcp", "TCP: ports, firewalls, nothing listening"),
    ("tls", "TLS: certificates and encryption"),
    ("http", "HTTP: the application's answers"),
)

SIMULATED = "SIMULATED"


@dataclass(frozen=True)
class Choice:
    key: str
    text: str
    #: A "who to call" choice: what that team looks after (says why it is not them).
    scope: str = ""


@dataclass(frozen=True)
class Diagnosis:
    layer: str
    fault: str
    call: str


@dataclass(frozen=True)
class Evidence:
    """Where the proof is: the probe that shows it, a display filter that
    selects the packet, the Wireshark field and the value tshark prints."""

    probe: str
    filter: str
    field: str
    value: str
    says: str


# --- the world a variant builds ---------------------------------------------


@dataclass(frozen=True)
class Record:
    """An A record: `name` -> `address`, with its TTL in seconds."""

    name: str
    address: str
    ttl: int = 300


@dataclass(frozen=True)
class Service:
    """A server in the server namespace: reached at `address:port`, bound to
    `bind` (None: `address`; "127.0.0.1": the listening-on-localhost fault).
    kind: "http", "https", or "module:NAME" (labs/drills/servers/NAME.py).
    cert (https): "ok", "expired" or "wrong-name"; `name` is the name the
    certificate should carry."""

    address: str
    port: int
    kind: str = "http"
    name: str = ""
    bind: str | None = None
    cert: str = "ok"
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rule:
    """A firewall rule on the ISP router: TCP to `port` is dropped or rejected."""

    port: int
    action: str  # "drop" | "reject"


@dataclass(frozen=True)
class World:
    records: tuple[Record, ...]
    services: tuple[Service, ...]
    #: What the office resolver still has cached (served instead of the truth).
    stale: tuple[Record, ...] = ()
    #: Seconds the office resolver waits before answering.
    dns_delay: float = 0.0
    rules: tuple[Rule, ...] = ()
    nat: bool = True
    #: The laptop's default gateway (the office gateway is 192.168.1.1).
    client_gateway: str = "192.168.1.1"
    #: Whether the office gateway has its default route toward the ISP.
    gateway_default: bool = True
    #: The MTU of the cable between the office gateway and the ISP (0: 1500).
    mtu: int = 0
    #: The gateway drops the ICMP "fragmentation needed" it should send.
    blackhole: bool = False


@dataclass(frozen=True)
class Variant:
    seed: int
    story: str
    world: World
    layers: tuple[Choice, ...]
    faults: tuple[Choice, ...]
    calls: tuple[Choice, ...]
    answer: Diagnosis
    evidence: Evidence
    hints: tuple[str, str, str]
    explain: str
    #: The name and URL the story is about (what the learner starts probing).
    url: str = ""


@dataclass(frozen=True)
class Drill:
    id: str
    title: str
    summary: str
    variant: Callable[[int], Variant]
    needs: str = "netns"


@dataclass(frozen=True)
class DrillInfo:
    id: str
    title: str
    summary: str
    needs: str
    #: What a learner calls it (`tutor drill start 4`): the id names the fault.
    number: int = 0


# --- what a session returns ---------------------------------------------------


@dataclass(frozen=True)
class ProbeResult:
    number: int
    kind: str
    arg: str
    like: str
    outcome: str
    words: str
    details: tuple[tuple[str, str], ...] = ()
    trace: Trace | None = None
    simulated: bool = False


@dataclass(frozen=True)
class Hint:
    number: int
    text: str
    left: int


@dataclass(frozen=True)
class Part:
    given: str
    right: bool
    correct: str
    text: str
    #: Why the choice given is not the one (empty when it is right).
    why: str = ""


@dataclass(frozen=True)
class Found:
    """The evidence, and where the learner's own probes show it."""

    evidence: Evidence
    probe_number: int | None = None
    packet: int | None = None


@dataclass(frozen=True)
class Grade:
    layer: Part
    fault: Part
    call: Part
    correct: bool
    explanation: str
    found: Found
    seconds: float
    hints_used: int
    note: str = ""
    #: The probes the explanation cites (probe syntax, "connect HOST:80") that
    #: the learner did not run: what it rests on that they have not seen.
    unseen: tuple[str, ...] = ()


@dataclass(frozen=True)
class State:
    drill: str
    title: str
    story: str
    seed: int
    mode: str  # "live" | "simulated"
    started: float
    url: str
    layers: tuple[Choice, ...]
    faults: tuple[Choice, ...]
    calls: tuple[Choice, ...]
    probes: tuple[ProbeResult, ...] = ()
    hints_used: int = 0
    alive: bool = True
    finished: bool = False
    grade: Grade | None = None
    label: str = field(default="")
    #: The drill's number (`tutor drill list`), which does not name the fault.
    number: int = 0

    @property
    def simulated(self) -> bool:
        return self.mode == "simulated"


@dataclass(frozen=True)
class Report:
    state: State
    grade: Grade | None
    #: The traces of the probes the learner ran (the evidence's first).
    traces: tuple[tuple[ProbeResult, Trace], ...]
    simulated: bool
