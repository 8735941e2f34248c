"""The oauth lab's words: the flows in order, PKCE step by step, the access
token decoded (and why decoding is not verifying), expiry and refresh; the
facts a lesson checks predictions by. Statuses and evidence are read from
the dissected packets; the result adds the values to recompute and mask."""

from __future__ import annotations

from dataclasses import replace

from labs.kit import Recording, make_trace, requests_of, titled_steps
from labs.model.trace import Fact, Field, Packet, Section, Trace

from .result import OAuthResult
from .tokens import jwt_section, pkce_section, refresh_section

#: What the learner reads for each call's status fact (its name is the key).
STATUS_LABELS = {
    "wrong_verifier_status": "Status for the code without its verifier",
    "tampered_status": "Status for a token with changed claims",
    "expired_status": "Status for an expired token",
}


def secret_values(res: OAuthResult) -> list[str]:
    """Everything a thief could use: secrets, codes, verifiers, tokens and
    their signatures (a JWT's first two parts are readable by design)."""
    values = [res.client_secret, res.verifier, *res.codes, *res.tokens, *res.refresh_tokens]
    values += [t.rsplit(".", 1)[1] for t in res.tokens if t.count(".") == 2]
    return sorted({v for v in values if len(v) >= 3}, key=len, reverse=True)


def with_secrets(packets: tuple[Packet, ...], values: list[str]) -> tuple[Packet, ...]:
    """The packets with each secret value marked where it crosses the wire,
    so every renderer masks it everywhere (the HTTP dissector marks only
    credential headers; these ride in bodies, query strings and Location)."""
    out = []
    for p in packets:
        data, found = p.data, []
        for value in values:
            at = data.find(value.encode())
            if at >= 0:
                found.append(
                    Field(
                        "a secret",
                        None,
                        value,
                        value,
                        at,
                        len(value),
                        "A credential: whoever copies it can use it.",
                        True,
                    )
                )
        if found and p.layers:
            last = p.layers[-1]
            p = replace(p, layers=(*p.layers[:-1], replace(last, fields=(*last.fields, *found))))
        out.append(p)
    return tuple(out)


def overview(res: OAuthResult) -> Section:
    rows = ["#\tFlow\tRequest\tStatus\tWhy"]
    for n, c in enumerate(res.calls, start=1):
        path = c.path if len(c.path) <= 60 else c.path[:57] + "..."
        rows.append(f"{n}\t{c.flow}\t{c.method} {path}\t{c.status}\t{c.why}")
    return Section("The requests, in order", "\n".join(rows), "table")


def facts(
    packets: tuple[Packet, ...], pairs: list[tuple[Packet, Packet | None]], res: OAuthResult
) -> tuple[Fact, ...]:
    out: list[Fact] = []
    for call, (req, answer) in zip(res.calls, pairs, strict=False):
        if call.fact and answer is not None and answer.field("http.response.code"):
            code = answer.field("http.response.code").value  # type: ignore[union-attr]
            out.append(
                Fact(
                    call.fact,
                    code,
                    f"{call.why}: answered {code}.",
                    (answer.index,),
                    "http.response.code",
                    label=STATUS_LABELS.get(call.fact, f"Status: {call.why}"),
                )
            )
        uri = req.field("http.request.uri")
        if uri is not None and "code_challenge_method=" in uri.value:
            method = uri.value.split("code_challenge_method=")[1].split("&")[0]
            out.append(
                Fact(
                    "code_challenge_method",
                    method,
                    "The login request names how the challenge was made from the verifier.",
                    (req.index,),
                    "http.request.uri",
                    label="How the PKCE challenge was made",
                )
            )
    server = pairs[0][0].dst if pairs else ""
    body = next(
        (p for p in packets if res.tokens and p.src == server and res.tokens[0].encode() in p.data),
        None,
    )
    if body is not None:
        out.append(
            Fact(
                "jwt_parts",
                str(res.tokens[0].count(".") + 1),
                "The access token is a JWT: header, claims and signature, each "
                "base64url, joined by dots.",
                (body.index,),
                "http.file_data",
                label="Parts of the access token (JWT)",
            )
        )
    return tuple(out)


def explain(rec: Recording[OAuthResult]) -> Trace:
    res = rec.result
    trace = make_trace(rec, decode_as={res.port: "http"})
    packets = with_secrets(trace.packets, secret_values(res))
    pairs = requests_of(packets)
    sections = [overview(res)]
    if res.codes or res.embedded:
        sections.append(pkce_section(res))
    if res.tokens:
        sections.append(jwt_section(res))
    if res.embedded:
        sections.append(refresh_section(res))
    if res.notes:
        sections.append(Section("What the lab could not do there", "\n".join(res.notes)))
    names = {
        p.index: f"{c.flow}: {c.method} {c.path.split('?')[0]}"
        for c, (p, _a) in zip(res.calls, pairs, strict=False)
    }
    steps = titled_steps(trace.steps, packets, names)
    return replace(
        trace,
        packets=packets,
        steps=steps,
        sections=tuple(sections),
        facts=facts(packets, pairs, res),
    )
