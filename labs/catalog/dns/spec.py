"""The dns lab as declared: its target and options (see labs.core.spec), and the
checks of a name and a record type the learner gives."""

from __future__ import annotations

import re

from labs.core.spec import LabSpec, Option, Target
from labs.model.errors import BadInput

COMMON_TYPES = "A, AAAA, CNAME, MX, TXT, NS, SOA"
_LABEL = re.compile(r"[A-Za-z0-9_-]{1,63}")


def check_name(name: str) -> str:
    """A domain name as DNS carries it (ASCII, ending with a dot), or BadInput."""
    text = name.strip()
    try:
        ascii_name = text.encode("idna").decode("ascii") if not text.isascii() else text
    except UnicodeError:
        ascii_name = ""
    labels = ascii_name.rstrip(".").split(".")
    if (
        not ascii_name
        or ascii_name == "."
        or len(ascii_name.rstrip(".")) > 253
        or not all(_LABEL.fullmatch(label) for label in labels)
    ):
        raise BadInput(
            f"{name!r} is not a domain name.",
            "Use labels of letters, digits and hyphens separated by dots, like shop.example.",
        )
    return ascii_name.rstrip(".") + "."


def check_type(qtype: str) -> str:
    """A record type name scapy knows ("AAAA", "TYPE65", "65"), or BadInput."""
    # lazy: scapy's table of type names is needed only when a type is given
    from scapy.layers.dns import dnstypes

    text = qtype.strip().upper()
    names = {v: k for k, v in dnstypes.items()}
    if text in names:
        return text
    number = text.removeprefix("TYPE")
    if number.isdigit() and 0 < int(number) < 65536:
        return str(dnstypes.get(int(number), f"TYPE{int(number)}"))
    raise BadInput(f"{qtype!r} is not a DNS record type.", f"Try one of {COMMON_TYPES}.")


SPEC = LabSpec(
    id="dns",
    title="Ask DNS",
    module=5,
    summary=(
        "A real resolver walks the lab's root, TLD and authoritative servers, then answers "
        "from its cache; A/AAAA/CNAME/MX/TXT over UDP, and a name that does not exist."
    ),
    package=__package__ or "",
    target=Target("host-port", "HOST[:PORT] of a resolver"),
    options=(
        Option(
            "mode",
            "--mode",
            "mode",
            "choice",
            "recursive: a real resolver (Unbound) walks root -> TLD -> the zone's server "
            "and then answers from its cache (needs root); authoritative: ask the zone's "
            "own server directly",
            choices=("recursive", "authoritative"),
            default="recursive",
            metavar="M",
        ),
        Option(
            "name",
            "--name",
            "name",
            "text",
            "the name to look up",
            metavar="N",
            placeholder="name to look up (with a target)",
            parse=check_name,
        ),
        Option(
            "qtype",
            "--type",
            "type",
            "text",
            "the record type (A, AAAA, MX, ...)",
            metavar="T",
            placeholder="all types",
            parse=check_type,
        ),
    ),
)
