"""The layering rules, checked in fresh interpreters: starting the app pulls
in no scapy, requests or lab code; `labs` never imports textual or `tutor`.
(Same idea as harlequin's tests/unit_tests/test_import_hygiene.py.)"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path


def python(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_starting_the_app_imports_no_scapy_requests_or_labs():
    out = python(
        """
        import asyncio, json, sys
        from tutor.app import make_app

        async def start():
            app = make_app()
            async with app.run_test(size=(120, 36)) as pilot:
                await pilot.pause()
                assert type(app.screen).__name__ == "OutlineScreen"

        asyncio.run(start())
        print(json.dumps(sorted(sys.modules)))
        """
    )
    loaded = json.loads(out)
    assert "textual" in loaded  # the app really started
    heavy = [m for m in loaded if m.split(".")[0] in ("scapy", "requests", "urllib3", "fsrs")]
    assert heavy == []
    assert [m for m in loaded if m == "labs" or m.startswith("labs.")] == []


def test_the_cli_help_imports_no_textual():
    out = python(
        """
        import contextlib, io, json, sys
        from tutor.cli import main
        with contextlib.redirect_stdout(io.StringIO()):
            try:
                main(["--help"])
            except SystemExit:
                pass
        print(json.dumps(sorted(sys.modules)))
        """
    )
    assert [m for m in json.loads(out) if m.split(".")[0] in ("textual", "scapy")] == []


def test_no_labs_module_imports_textual_or_tutor():
    out = python(
        """
        import importlib, json, pkgutil, sys
        import labs

        found = {}
        for info in pkgutil.walk_packages(labs.__path__, "labs."):
            importlib.import_module(info.name)
            found[info.name] = sorted(
                m for m in sys.modules if m.split(".")[0] in ("textual", "tutor")
            )
        print(json.dumps(found))
        """
    )
    found = json.loads(out)
    assert "labs.registry" in found and len(found) > 5
    assert {name: bad for name, bad in found.items() if bad} == {}


def test_no_import_cycles():
    """No module reaches itself through its imports (function-level ones
    included: a lazy import must not be a way to hide a cycle)."""
    import grimp

    graph = grimp.build_graph("labs", "tutor", exclude_type_checking_imports=True)
    cycles = []
    for module in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(module):
            back = graph.find_shortest_chain(importer=imported, imported=module)
            if back is not None:
                cycles.append((module, *back))
    assert cycles == []


def test_no_module_over_400_lines():
    """A module nearing 400 lines is split along a seam a reader would name."""
    root = Path(__file__).parent.parent
    long = {
        str(p.relative_to(root)): n
        for top in ("labs", "tutor")
        for p in (root / top).rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400
    }
    assert long == {}


def test_tests_load_no_scapy_layers_the_product_does_not():
    """scapy binds every layer it loads for the rest of the process: a test that
    imported `scapy.all` made later tests dissect layers (BOOTP, 802.11 LLC, ...)
    through scapy's bindings, not tutor's own readers, so their results
    depended on the order they ran in."""
    import re

    root = Path(__file__).parent
    product = {
        m
        for top in ("labs",)
        for p in (root.parent / top).rglob("*.py")
        for m in re.findall(r"scapy\.layers\.(\w+)", p.read_text(encoding="utf-8"))
    }
    loaded = re.compile(r"^\s*(?:from|import) scapy\.(all|contrib|layers\.(\w+))", re.M)
    extra = {
        f"{p.name}: scapy.{m[0]}"
        for p in root.rglob("*.py")
        for m in loaded.findall(p.read_text(encoding="utf-8"))
        if m[0] in ("all", "contrib") or m[1] not in product
    }
    assert extra == set()
