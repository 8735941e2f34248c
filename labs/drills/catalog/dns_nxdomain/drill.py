"""dns-nxdomain: the DNS zone lost the API's record (or it was typed wrong)."""

from __future__ import annotations

from labs.drills import common
from labs.drills.spec import Diagnosis, Drill, Evidence, Record, Service, Variant, World


def variant(seed: int) -> Variant:
    f = common.facts(seed)
    typo = f.rng.random() < 0.5
    wrong = f.host.replace(".", "s.", 1) if typo else ""
    records = (Record(f.web, f.address),) + ((Record(wrong, f.address),) if typo else ())
    how = (
        f"the record was created as {wrong}, with a typo"
        if typo
        else "the record was deleted in last night's DNS clean-up"
    )
    return common.variant(
        f,
        story=(
            f"Since this morning every call to https://{f.host}/ from the office fails with "
            f"'could not resolve host'. {f.web} works fine."
        ),
        world=World(records=records, services=(Service(f.address, 443, "https", f.host),)),
        answer=Diagnosis("dns", "no-record", "dns-admin"),
        evidence=Evidence(
            f"resolve {f.host}", "dns.flags.rcode == 3", "dns.flags.rcode", "3",
            f"the DNS answer for {f.host} is NXDOMAIN: the name does not exist",
        ),
        hints=(
            f"Before anything can be sent, the laptop needs the API's address. Ask for it: "
            f"`resolve {f.host}`.",
            f"`resolve {f.host}` and `resolve {f.web}`: what does the resolver say for each?",
            f"The answer's rcode is NXDOMAIN (3): the zone {f.domain} has no record for "
            f"{f.host}. Who edits that zone?",
        ),
        explain=(
            f"The resolver answered NXDOMAIN for {f.host}: the name does not exist in the zone "
            f"{f.domain} ({how}). No packet ever went to the server, so neither the network nor "
            "the API is at fault; whoever runs the zone must (re)create the record."
        ),
        url=f"https://{f.host}/",
        near=("server-down", "fw-drop"),
    )  # fmt: skip


DRILL = Drill(
    id="dns-nxdomain",
    title="The API's name does not resolve",
    summary="A missing or typo'd DNS record: the resolver says NXDOMAIN.",
    variant=variant,
)
