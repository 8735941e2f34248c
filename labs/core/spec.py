"""A lab as declared: what it is, what it needs, what target it takes and its
options, each option typed once. The CLI's flags, the TUI's option bar, the
validation and the error wording are generated from these declarations, so
the command line and the screen accept exactly the same things.

Cheap to import (no scapy, no lab code): the registry reads every lab's spec
to list them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from labs.model.errors import BadInput

#: Option kinds: "text" (one value), "choice" (one of `choices`), "flag"
#: (on/off), "list" (repeatable text).
KINDS = ("text", "choice", "flag", "list")
#: What a lab needs to run its real version: "capture" (live capture, else
#: reconstructed) or "netns" (network namespaces, else simulated).
NEEDS = ("capture", "netns")
#: The most a learner may ask a lab to wait, in seconds.
MAX_TIMEOUT = 3600.0
DEFAULT_TIMEOUT = 10.0


@dataclass(frozen=True)
class Option:
    """One thing a learner can ask of a lab, besides its target and timeout."""

    #: The key the lab reads it by (`request.option(name)`).
    name: str
    #: The CLI flag, with its dashes: "--type".
    flag: str
    #: What the TUI calls its control, in the learner's words ("the type").
    label: str
    kind: str
    help: str
    choices: tuple[str, ...] = ()
    #: Used when the learner gives nothing (None: the lab's own scenario).
    default: Any = None
    metavar: str = ""
    #: Text the TUI shows in an empty box ("name to look up").
    placeholder: str = ""
    #: Turns one given text into the value the lab gets, or raises BadInput.
    parse: Callable[[str], Any] | None = None
    #: Common values offered as completions for a "text" option (any valid
    #: text is still accepted, unlike `choices`).
    suggest: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"{self.name}: kind must be one of {KINDS}, not {self.kind!r}")
        if (self.kind == "choice") != bool(self.choices):
            raise ValueError(f"{self.name}: choices go with kind 'choice' and only there")
        if not self.flag.startswith("--"):
            raise ValueError(f"{self.name}: flag {self.flag!r} must start with --")

    def value(self, given: Any) -> Any:
        """The validated value of what the learner gave (None/False/() if nothing)."""
        if self.kind == "flag":
            return bool(given)
        if self.kind == "list":
            return tuple(self._one(str(v)) for v in given or ())
        if given is None or (isinstance(given, str) and not given.strip()):
            return self.default
        return self._one(str(given))

    def _one(self, text: str) -> Any:
        text = text.strip()
        if self.kind == "choice":
            match = next((c for c in self.choices if c.lower() == text.lower()), None)
            if match is None:
                raise BadInput(
                    f"{self.flag} {text!r} is not one of {', '.join(self.choices)}.",
                )
            text = match
        return self.parse(text) if self.parse else text


@dataclass(frozen=True)
class Target:
    """What a lab's target looks like: `kind` "url", "host-port" or "none"
    (the lab builds its own network and takes no target)."""

    kind: str
    hint: str

    @property
    def accepted(self) -> bool:
        return self.kind != "none"


@dataclass(frozen=True)
class LabSpec:
    """A lab as the learner sees it in a list, and how to reach its code."""

    id: str
    title: str
    #: The course module the lab belongs to.
    module: int
    summary: str
    #: The package of the lab's folder; its `run` module has `record`,
    #: `explain` and `RESULT`.
    package: str
    target: Target
    needs: str = "capture"
    options: tuple[Option, ...] = ()
    #: Options that shape the request to the learner's own target. Without
    #: --target the lab runs its own scenario, so giving one is refused
    #: (named, one line), never silently ignored.
    target_options: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.needs not in NEEDS:
            raise ValueError(f"{self.id}: needs must be one of {NEEDS}, not {self.needs!r}")

    def option(self, name: str) -> Option | None:
        return next((o for o in self.options if o.name == name), None)

    def request(
        self,
        target: str | None = None,
        timeout: float | None = None,
        given: Mapping[str, Any] | None = None,
    ) -> LabRequest:
        """Validate what the learner gave (from the CLI or the TUI) into a
        request, or raise BadInput worded with the CLI's flags."""
        # Keys are option names (the TUI) or flags (the CLI, which has one
        # flag set for all labs and so may pass a flag this lab lacks).
        named = {o.flag: o.name for o in self.options}
        given = {
            named.get(k, k): v
            for k, v in (given or {}).items()
            if v not in (None, False, (), [], "")
        }
        unknown = sorted(set(given) - {o.name for o in self.options})
        if unknown:
            takes = ", ".join(o.flag for o in self.options)
            raise BadInput(
                f"The {self.id} lab does not take {_flag(unknown[0])}.",
                f"It takes: {takes or 'no options besides --target and --timeout'}.",
            )
        if target is not None and not self.target.accepted:
            raise BadInput(f"The {self.id} lab takes no --target {self.target.hint}.")
        if target is not None and not target.strip():
            target = None
        lone = [o for o in self.options if o.name in self.target_options and o.name in given]
        if target is None and lone:
            raise BadInput(
                f"{lone[0].flag} needs --target: without one the {self.id} lab runs its own "
                "scenario of requests.",
                f"Give a target ({self.target.hint}) in --target, or leave out {lone[0].flag}.",
            )
        if timeout is not None and not 0 < timeout <= MAX_TIMEOUT:
            raise BadInput(
                f"--timeout {timeout:g}: give more than 0 and at most {MAX_TIMEOUT:g} seconds."
            )
        values = {o.name: o.value(given.get(o.name)) for o in self.options}
        return LabRequest(
            lab=self.id,
            target=target.strip() if target else None,
            timeout=DEFAULT_TIMEOUT if timeout is None else timeout,
            options=MappingProxyType(values),
        )


def _flag(key: str) -> str:
    return key if key.startswith("--") else "--" + key.replace("_", "-")


@dataclass(frozen=True)
class LabRequest:
    """What one run of a lab was asked to do, already validated against its
    spec. Labs read their own options by name; a name the spec does not
    declare is a programming error (KeyError), not a learner's."""

    lab: str
    target: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def option(self, name: str) -> Any:
        return self.options[name]
