"""A stand-in for the drill session (`labs.api.drill_*`) for the TUI tests:
the same data classes, a stored DNS trace as every probe's packets, and a
log of every call so a test can check what the screen asked for."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from labs.drills.spec import (
    LAYERS,
    Choice,
    DrillInfo,
    Evidence,
    Found,
    Grade,
    Hint,
    Part,
    ProbeResult,
    Report,
    State,
)
from labs.model.trace import loads

TRACE = Path(__file__).parent / "data" / "golden" / "dns" / "default" / "trace.json"
STARTED = 1_700_000_000.0

INFOS = (
    DrillInfo(
        "dns-nxdomain", "The API's name does not resolve", "A missing DNS record.", "netns", 1
    ),
    DrillInfo(
        "lb-503",
        "Checkout fails for some customers",
        "A load balancer's backend is down.",
        "netns",
        2,
    ),  # fmt: skip
)
FAULTS = (
    Choice("no-record", "billing.shop.example has no DNS record"),
    Choice("server-down", "the API server at 203.0.113.10 is down"),
    Choice("fw-drop", "a firewall drops port 443"),
)
CALLS = (
    Choice("dns-admin", "whoever runs the shop.example DNS zone"),
    Choice("network", "the office network team"),
    Choice("api-team", "the billing API's developers"),
)
EVIDENCE = Evidence(
    "resolve billing.shop.example",
    "dns.flags.rcode == 3",
    "dns.flags.rcode",
    "3",
    "the DNS answer for billing.shop.example is NXDOMAIN",
)


class FakeSession:
    def __init__(self, simulated: bool = True) -> None:
        self.simulated = simulated
        self.calls: list[tuple[object, ...]] = []
        self.current: State | None = None
        self.hints = 0
        self.stopped = 0
        self.seed = 41

    def install(self, monkeypatch) -> FakeSession:
        import labs.api

        for name in ("list", "start", "state", "probe", "hint", "answer", "report", "stop"):
            monkeypatch.setattr(labs.api, f"drill_{name}", getattr(self, name))
        monkeypatch.setattr(labs.api, "drill_save_pcap", self.save_pcap)
        return self

    def list(self) -> tuple[DrillInfo, ...]:
        return INFOS

    def start(self, home, drill_id, seed=None, simulate=False, owner=None) -> State:
        self.calls.append(("start", drill_id, seed))
        self.owner = owner
        self.seed += 1
        self.hints = 0
        self.current = State(
            drill=drill_id,
            title=next(i.title for i in INFOS if i.id == drill_id),
            story="Since this morning every call to https://billing.shop.example/ fails with "
            "'could not resolve host'. www.shop.example works fine.",
            seed=self.seed,
            mode="simulated" if self.simulated else "live",
            started=STARTED,
            url="https://billing.shop.example/",
            layers=tuple(Choice(k, t) for k, t in LAYERS),
            faults=FAULTS,
            calls=CALLS,
        )
        return self.current

    def state_(self) -> State | None:
        return self.current

    def state(self, home) -> State | None:  # type: ignore[no-redef]
        return self.current

    def probe(self, home, kind, arg, capture=False) -> ProbeResult:
        self.calls.append(("probe", kind, arg, capture))
        assert self.current is not None
        trace = loads(TRACE.read_text())
        if self.simulated:
            trace = replace(trace, capture="simulated")
        result = ProbeResult(
            number=len(self.current.probes) + 1,
            kind=kind,
            arg=arg,
            like=f"dig {arg}",
            outcome="nxdomain",
            words=f"The resolver says {arg} does not exist (NXDOMAIN).",
            details=(("rcode", "NXDOMAIN (3)"), ("time", "1.2 ms")),
            trace=trace,
            simulated=self.simulated,
        )
        summary = replace(result, trace=None)
        self.current = replace(self.current, probes=(*self.current.probes, summary))
        return result

    def hint(self, home) -> Hint:
        self.hints += 1
        self.calls.append(("hint", self.hints))
        assert self.current is not None
        self.current = replace(self.current, hints_used=self.hints)
        return Hint(self.hints, f"Hint number {self.hints}: resolve the name.", 3 - self.hints)

    def answer(self, home, layer, fault, call, note="") -> Grade:
        self.calls.append(("answer", layer, fault, call, note))
        assert self.current is not None

        def part(given: str, correct: str, choices) -> Part:
            text = next(c.text for c in choices if c.key == correct)
            return Part(given, given == correct, correct, text)

        grade = Grade(
            layer=part(layer, "dns", self.current.layers),
            fault=part(fault, "no-record", FAULTS),
            call=replace(
                part(call, "dns-admin", CALLS),
                why="" if call == "dns-admin" else f"Not {call}: the fault is in the DNS zone.",
            ),
            correct=(layer, fault, call) == ("dns", "no-record", "dns-admin"),
            explanation="The resolver answered NXDOMAIN: the name does not exist.",
            found=Found(EVIDENCE, 1 if self.current.probes else None, 2),
            seconds=83.0,
            hints_used=self.hints,
            note=note,
        )
        self.current = replace(self.current, finished=True, grade=grade, alive=False)
        return grade

    def report(self, home) -> Report:
        assert self.current is not None
        return Report(self.current, self.current.grade, (), self.simulated)

    def save_pcap(self, report, path) -> int:
        self.calls.append(("save_pcap", str(path)))
        Path(path).write_bytes(b"")
        return 4

    def stop(self, home) -> list[str]:
        self.calls.append(("stop",))
        self.stopped += 1
        self.current = None
        return []


def frozen_clock() -> float:
    return STARTED + 83
