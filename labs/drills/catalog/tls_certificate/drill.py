"""tls-certificate: an expired certificate, or one for another name."""

from __future__ import annotations

from labs.drills import common
from labs.drills.spec import Diagnosis, Drill, Evidence, Record, Service, Variant, World


def variant(seed: int) -> Variant:
    f = common.facts(seed)
    expired = f.rng.random() < 0.5
    records = (Record(f.host, f.address), Record(f.web, f.address))
    svc = (
        Service(f.address, 443, "https", f.host, cert="expired")
        if expired
        else Service(f.address, 443, "https", f.host, cert="wrong-name", args=(f.web,))
    )
    if expired:
        fault, code, says = "cert-expired", "45", "certificate_expired (45)"
        story = f"Since Sunday every call to https://{f.host}/ fails with a TLS error."
        third = ("The laptop ends the handshake itself with a TLS alert: certificate expired. "
                 "Who renews the certificate?")  # fmt: skip
    else:
        fault, code, says = "cert-name", "42", "bad_certificate (42)"
        story = (f"After {f.host} moved onto the same server as {f.web}, calls to "
                 f"https://{f.host}/ fail with a TLS error; {f.web} is fine.")  # fmt: skip
        third = (f"The certificate the server shows is for {f.web}, not {f.host}: the laptop "
                 "rejects it and says so in an alert.")  # fmt: skip
    return common.variant(
        f,
        story=story,
        world=World(records=records, services=(svc,)),
        answer=Diagnosis("tls", fault, "certificates"),
        evidence=Evidence(
            f"fetch https://{f.host}/", "tls.alert_message.desc", "tls.alert_message.desc", code,
            f"the laptop aborts the TLS handshake with alert {says}",
        ),
        hints=(
            f"DNS and TCP may be fine: `fetch https://{f.host}/` and see which phase fails.",
            f"The TCP connection opens; the TLS handshake does not finish. Capture "
            f"`fetch https://{f.host}/`: who ends it, and with which alert?",
            third,
        ),
        explain=(
            "The connection opens and the server sends its certificate (TLS 1.2, so it is "
            "visible in the capture), then the laptop refuses it and sends a TLS alert, "
            + ("certificate_expired: the certificate's validity ended days ago."
               if expired else f"bad_certificate: it names {f.web}, not {f.host}.")
            + " Nothing in the network is wrong; whoever manages the certificate must "
            "issue a new one."
        ),
        url=f"https://{f.host}/",
        near=("cert-name" if expired else "cert-expired", "fw-reject", "localhost"),
    )  # fmt: skip


DRILL = Drill(
    id="tls-certificate",
    title="A TLS error on every call",
    summary="An expired certificate, or one for another name: the laptop's TLS alert says which.",
    variant=variant,
)
