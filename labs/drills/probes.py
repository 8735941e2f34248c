"""What the learner types as a probe, checked (BadInput, one line), and a
probe's captured (or simulated) frames turned into a `Trace`."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from labs.core.base import RawPacket
from labs.drills.spec import ProbeResult
from labs.drills.world import CLIENT, IFACE_NAMES
from labs.model.errors import BadInput
from labs.model.timewords import took as words_for
from labs.model.trace import Trace

KINDS = ("resolve", "connect", "fetch", "trace")
_NAME = re.compile(
    r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"
)
_IPV4 = re.compile(r"^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$")


def _host(text: str, what: str) -> str:
    host = text.strip().lower().rstrip(".")
    if not (_IPV4.match(host) or _NAME.match(host)):
        raise BadInput(f"{what} {text!r} is not a host name or an IPv4 address.")
    return host


def parse(kind: str, arg: str) -> tuple[dict[str, Any], str]:
    """The probe's arguments for the agent, and the everyday command it stands for."""
    arg = (arg or "").strip()
    if kind not in KINDS:
        raise BadInput(f"unknown probe {kind!r}.", f"Probes: {', '.join(KINDS)}.")
    if not arg:
        raise BadInput(f"probe {kind} needs an argument (see `tutor drill probe --help`).")
    if kind == "resolve":
        name, _, server = arg.partition("@")
        args: dict[str, Any] = {"kind": kind, "name": _host(name, "name")}
        if server:
            if not _IPV4.match(server):
                raise BadInput(f"DNS server {server!r} is not an IPv4 address.")
            args["server"] = server
        return args, f"dig {'@' + server + ' ' if server else ''}{args['name']}"
    if kind in ("connect",):
        host, sep, port = arg.rpartition(":")
        if not sep or not port.isdigit() or not 0 < int(port) < 65536:
            raise BadInput(f"connect {arg!r}: expected HOST:PORT, e.g. api.shop.example:443.")
        host = _host(host, "host")
        return {"kind": kind, "host": host, "port": int(port)}, f"nc -vz {host} {port}"
    if kind == "trace":
        host = _host(arg, "host")
        return {"kind": kind, "host": host}, f"traceroute {host}"
    url, *options = arg.split()
    extra: dict[str, int] = {}
    limits = {"upload": 1_000_000, "count": 10, "reuse": 10}
    for option in options:
        key, _, value = option.partition("=")
        if key not in limits or not value.isdigit() or not 0 < int(value) <= limits[key]:
            raise BadInput(
                f"fetch: {option!r}: expected upload=BYTES (1-1000000), count=N (1-10) or "
                "reuse=SECONDS (1-10)."
            )
        extra[key] = int(value)
    upload = extra.get("upload", 0)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(f"fetch {url!r}: expected an http:// or https:// URL.")
    try:
        port_given = parts.port
    except ValueError:
        raise BadInput(f"fetch {url!r}: the port is not a number from 1 to 65535.") from None
    _host(parts.hostname, "host")
    like = "curl -w ... " + (f"--data-binary @{upload}-bytes " if upload else "") + url
    if extra.get("count", 1) > 1:
        like = f"{extra['count']} x {like}"
    if extra.get("reuse"):
        like += f", then again on the same connection after {extra['reuse']} s idle"
    return {"kind": kind, "url": url, "port": port_given} | extra | {"upload": upload}, like


def raws(frames: list[list[Any]]) -> list[RawPacket]:
    """Frames as the sniffer sends them ([time, interface, hex]), in time order."""
    out = (
        RawPacket(float(t), bytes.fromhex(h), "ethernet", IFACE_NAMES.get(i, i))
        for t, i, h in frames
    )
    return sorted(out, key=lambda r: r.time)


def make_trace(drill: str, like: str, frames: list[list[Any]], simulated: bool) -> Trace:
    # lazy: dissection (scapy) only when a probe ran
    from labs.dissect.core import build_trace

    packets = raws(frames)
    if simulated:
        note = (
            "SIMULATED: nothing was sent. These frames were built by tutor's drill simulator "
            "from the drill's facts to show what a real run captures; times are not measured."
        )
    else:
        note = (
            "Captured live on the office gateway, on both sides (office LAN lan0, Internet side "
            "wan0), inside network namespaces this drill built."
        )
    started = datetime.fromtimestamp(packets[0].time, UTC).isoformat() if packets else ""
    return build_trace(
        lab=f"drill-{drill}",
        target=like,
        capture="simulated" if simulated else "live",
        raws=packets,
        capture_note=note,
        client=CLIENT,
        link="ethernet",
        started=started,
        duration=round(packets[-1].time - packets[0].time, 6) if packets else 0.0,
    )


def result(
    number: int,
    args: dict[str, Any],
    like: str,
    got: dict[str, Any],
    trace: Trace | None,
    sim: bool,
) -> ProbeResult:
    arg = {"resolve": "name", "trace": "host", "fetch": "url"}.get(args["kind"])
    shown = args[arg] if arg else f"{args['host']}:{args['port']}"
    timings = [(k, words_for(v)) for k, v in (got.get("timings") or {}).items()]
    details = tuple((str(a), str(b)) for a, b in got.get("details", ())) + tuple(timings)
    words = got.get("words", "")
    if sim:
        words = f"SIMULATED: {words}"
    return ProbeResult(
        number, args["kind"], shown, like, got.get("outcome", "error"), words, details, trace, sim
    )
