"""Without a browser: tutor sends exactly the requests a browser would
(Origin on each, a preflight OPTIONS first where the rules ask for one) and
applies the browser's rules to the answers itself. Every packet is real;
the verdicts are computed, and the trace says so."""

from __future__ import annotations

from typing import Any

from .rules import lower, needs_preflight, origin_ok, preflight_ok


def stand_in(
    session: Any, origin: str, plan: list[dict[str, Any]], timeout: float
) -> list[dict[str, Any]]:
    seen = []
    for case in plan:
        method, url, headers = case["method"], case["url"], dict(case["headers"])
        if needs_preflight(method, headers):
            ask = {
                "Origin": origin,
                "Access-Control-Request-Method": method,
                **(
                    {"Access-Control-Request-Headers": ",".join(sorted(h.lower() for h in headers))}
                    if headers
                    else {}
                ),
            }
            pre = session.options(url, headers=ask, timeout=timeout)
            why = preflight_ok(lower(pre.headers), pre.status_code, origin, method, headers)
            if why:
                seen.append(
                    {
                        "name": case["name"],
                        "verdict": "blocked",
                        "status": 0,
                        "error": f"preflight refused: {why}",
                    }
                )
                continue
        resp = session.request(
            method,
            url,
            headers={"Origin": origin, **headers},
            data=case.get("body"),
            timeout=timeout,
        )
        if origin_ok(lower(resp.headers), origin):
            seen.append(
                {
                    "name": case["name"],
                    "verdict": "allowed",
                    "status": resp.status_code,
                    "error": "",
                }
            )
        else:
            seen.append(
                {
                    "name": case["name"],
                    "verdict": "blocked",
                    "status": 0,
                    "error": "no Access-Control-Allow-Origin for this origin in the answer",
                }
            )
    return seen
