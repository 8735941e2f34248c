"""The session API (README.md): one drill at a time per home directory, its
state in `HOME/drill/state.json` (0600, written atomically), each probe's
trace beside it, and for a live drill a keeper process holding the world.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import time
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from labs.capture.leftovers import started as process_started
from labs.core import system
from labs.drills import grading, probes, registry
from labs.drills.spec import Grade, Hint, ProbeResult, Report, State, Variant
from labs.files.private import write_files
from labs.kit.record import from_data, to_data
from labs.model.errors import BadInput, LabError
from labs.model.trace import Trace, dumps, loads

STATE = "state.json"


def _dir(home: Path) -> Path:
    Path(home).mkdir(mode=0o700, parents=True, exist_ok=True)  # the home too, not only drill/
    where = Path(home) / "drill"
    where.mkdir(mode=0o700, exist_ok=True)
    return where


def _write(path: Path, text: str) -> None:
    write_files([(path, [text.encode()])])


def _load(home: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads((_dir(home) / STATE).read_text())
    except (OSError, ValueError):
        return None
    return data


def _save(home: Path, data: dict[str, Any]) -> None:
    _write(_dir(home) / STATE, json.dumps(data, indent=1))


def _need(home: Path) -> dict[str, Any]:
    data = _load(home)
    if data is None:
        raise BadInput(
            "no drill is running.", "Start one: `tutor drill start NUMBER` (`tutor drill list`)."
        )
    return data


def _alive(data: dict[str, Any]) -> bool:
    keeper = data.get("keeper")
    if data["mode"] != "live" or not keeper:
        return data["mode"] == "simulated" and not data.get("finished")
    pid = int(keeper["pid"])
    try:
        os.waitpid(pid, os.WNOHANG)  # reap it when this process started it (tests, the TUI)
    except ChildProcessError:
        pass
    since = process_started(pid)
    return since is not None and abs(since - float(keeper["since"])) < 1.0


def _variant(data: dict[str, Any]) -> Variant:
    return registry.get(data["drill"]).variant(int(data["seed"]))


def _name(drill_id: str) -> str:
    """The drill as a learner knows it before solving it: its number (the id
    names the fault)."""
    return str(registry.number(drill_id) or drill_id)


def _state(data: dict[str, Any]) -> State:
    v = _variant(data)
    drill = registry.get(data["drill"])
    mode = data["mode"]
    return State(
        drill=drill.id, title=drill.title, story=v.story, seed=int(data["seed"]), mode=mode,
        started=float(data["started"]), url=v.url, layers=v.layers, faults=v.faults, calls=v.calls,
        probes=tuple(from_data(ProbeResult, p) for p in data["probes"]),
        hints_used=int(data["hints"]), alive=_alive(data), finished=bool(data.get("finished")),
        grade=from_data(Grade, data["grade"]) if data.get("grade") else None,
        label="SIMULATED: nothing is sent; the drill's network is modelled." if mode == "simulated"
        else "Live: a real network in namespaces on this machine.",
        number=registry.number(drill.id),
    )  # fmt: skip


def _simulate(asked: bool) -> bool:
    return asked or os.environ.get("TUTOR_SIMULATE") == "1" or not system.namespaces().ok


def _spawn(
    drill: str, seed: int, owner: int | None
) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    from labs.drills.keeper import argv

    proc = subprocess.Popen(
        argv("labs.drills.keeper", "run", die_with_parent=False),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        start_new_session=True, cwd="/",  # it outlives this command, and Ctrl-C in this terminal
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(json.dumps({"drill": drill, "seed": seed, "owner": owner}) + "\n")
        proc.stdin.close()
        info: dict[str, Any] = {}
        for line in proc.stdout:
            info.update(json.loads(line))
            if "error" in info:
                raise LabError(f"Building the drill's network failed: {info['error']}")
            if info.get("ready"):
                return proc, info
        raise LabError("The drill's keeper stopped while building the network.")
    except BaseException:
        proc.terminate()  # it tears down what it built (SIGTERM unwinds it)
        proc.wait(20)
        raise


def start(
    home: Path, drill_id: str, seed: int | None, simulate: bool, owner: int | None = None
) -> State:
    drill = registry.get(drill_id)
    old = _load(home)
    if old is not None and not old.get("finished") and _alive(old):
        raise BadInput(
            f"drill {_name(old['drill'])} is still running.",
            "Finish it (`tutor drill answer`) or `tutor drill stop` it first.",
        )
    if old is not None:
        stop(home)
    if seed is None:
        seed = random.SystemRandom().randrange(1, 1_000_000)
    mode = "simulated" if _simulate(simulate) else "live"
    data: dict[str, Any] = {
        "drill": drill.id, "seed": seed, "mode": mode, "started": time.time(),
        "probes": [], "hints": 0, "finished": False, "grade": None, "keeper": None,
    }  # fmt: skip
    if mode == "live":
        proc, info = _spawn(drill.id, seed, owner)
        since = process_started(proc.pid) or 0.0
        data["keeper"] = {"pid": proc.pid, "since": since, "socket": info["socket"]}
        proc.stdout.close()  # type: ignore[union-attr]
    _save(home, data)
    return _state(data)


def state(home: Path) -> State | None:
    data = _load(home)
    return _state(data) if data is not None else None


def _ask(data: dict[str, Any], message: dict[str, Any], timeout: float = 60) -> dict[str, Any]:
    if not _alive(data):
        raise LabError(
            "The drill's network is gone (its keeper stopped).",
            "`tutor drill stop` clears it; `tutor doctor --cleanup` removes any leftovers.",
        )
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(data["keeper"]["socket"])
        sock.sendall((json.dumps(message) + "\n").encode())
        reply = b""
        while not reply.endswith(b"\n") and (chunk := sock.recv(1 << 20)):
            reply += chunk
    answer: dict[str, Any] = json.loads(reply or b"{}")
    if "error" in answer:
        raise LabError(f"The probe failed: {answer['error']}")
    return answer


def probe(home: Path, kind: str, arg: str, capture: bool = False) -> ProbeResult:
    args, like = probes.parse(kind, arg)
    data = _need(home)
    if data.get("finished"):
        raise BadInput("this drill is finished.", "`tutor drill report`, or start another.")
    sim = data["mode"] == "simulated"
    if sim:
        from labs.drills.sim import probe as simulated

        got, frames = simulated(_variant(data), args)
    else:
        answer = _ask(data, {"op": "probe", "args": args})
        got, frames = answer["result"], answer["frames"]
        if "error" in got:
            raise LabError(f"The probe failed: {got['error']}")
    number = len(data["probes"]) + 1
    # Named by number: the trace's title is shown before the drill is solved.
    trace = probes.make_trace(_name(data["drill"]), like, frames, sim)
    _write(_dir(home) / f"probe-{number}.json", dumps(trace))
    found = probes.result(number, args, like, got, trace, sim)
    data = _need(home)  # re-read: another command may have written meanwhile
    data["probes"].append(to_data(replace(found, trace=None)))
    _save(home, data)
    return found


def hint(home: Path) -> Hint:
    data = _need(home)
    hints = _variant(data).hints
    used = min(int(data["hints"]) + 1, len(hints))
    if not data.get("finished"):
        data["hints"] = used
        _save(home, data)
    return Hint(used, hints[used - 1], len(hints) - used)


@lru_cache(maxsize=32)
def _trace_file(path: str, stamp: tuple[int, int]) -> Trace:
    """A probe's trace read back (kept: reading a big trace takes a while, and
    a trace file never changes once written; `stamp` is its mtime and inode)."""
    return loads(Path(path).read_text())


def _traces(home: Path, data: dict[str, Any]) -> list[tuple[ProbeResult, Trace]]:
    out = []
    for p in data["probes"]:
        result = from_data(ProbeResult, p)
        path = _dir(home) / f"probe-{result.number}.json"
        try:
            info = path.stat()
            trace = _trace_file(str(path), (info.st_mtime_ns, info.st_ino))
        except (OSError, ValueError):
            continue
        out.append((replace(result, trace=trace), trace))
    return out


def answer(home: Path, layer: str, fault: str, call: str, note: str = "") -> Grade:
    data = _need(home)
    if data.get("finished"):
        raise BadInput("this drill is already answered.", "`tutor drill report`, or start another.")
    v = _variant(data)
    grade = grading.grade(v, layer, fault, call, note, _traces(home, data), data)
    _shutdown(data)
    data.update(finished=True, grade=to_data(grade), answered=time.time())
    _save(home, data)
    return grade


def report(home: Path) -> Report:
    data = _need(home)
    st = _state(data)
    traces = _traces(home, data)
    if st.grade is not None and st.grade.found.probe_number is not None:
        first = [t for t in traces if t[0].number == st.grade.found.probe_number]
        traces = first + [t for t in traces if t not in first]
    return Report(st, st.grade, tuple(traces), st.simulated)


def save_pcap(rep: Report, path: Path) -> int:
    """The first probe trace of the report (the evidence's) as a pcap, 0600."""
    from labs.files.pcapio import write_pcap

    if rep.simulated:
        raise LabError("A simulated drill has no capture to save: nothing was sent.")
    if not rep.traces:
        raise BadInput("no probe was run, so there is no capture to save.")
    return write_pcap(rep.traces[0][1], path)


def write_report(rep: Report, markdown: str, path: Path) -> Path | None:
    """The Markdown at `path` and, for a live drill, the evidence's capture
    beside it (same name, .pcap); all or nothing, each 0600."""
    from labs.files.pcapio import pcap_chunks, wire_raws

    files: list[tuple[Path, list[bytes]]] = [(path, [markdown.encode()])]
    pcap = None
    if not rep.simulated and rep.traces:
        pcap = path.with_suffix(".pcap")
        files.append((pcap, list(pcap_chunks(wire_raws(rep.traces[0][1])))))
    write_files(files)
    return pcap


def _shutdown(data: dict[str, Any]) -> bool:
    """Ask a live keeper to tear its world down and wait until it is gone."""
    keeper = data.get("keeper")
    if not keeper or not _alive(data):
        return False
    pid = int(keeper["pid"])
    try:
        _ask(data, {"op": "stop"}, timeout=10)
    except (OSError, LabError, ValueError):
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass
    deadline = time.monotonic() + 30
    while _alive(data) and time.monotonic() < deadline:
        time.sleep(0.05)
    return True


def stop(home: Path) -> list[str]:
    data = _load(home)
    removed = []
    if data is not None:
        if _shutdown(data):
            removed.append(
                f"drill {_name(data['drill'])}: its network and keeper "
                f"(pid {data['keeper']['pid']})"
            )
        else:
            removed.append(f"drill {_name(data['drill'])}")
    for path in _dir(home).iterdir():
        if path.name == STATE or (path.name.startswith("probe-") and path.suffix == ".json"):
            path.unlink(missing_ok=True)
    return removed
