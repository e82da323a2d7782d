"""Test fixtures live under tests/: no analysis reaches back to the data it is run on (synth,
sources, linking), and only the demo and the command line use the synthetic generator."""

from __future__ import annotations

import ast
from pathlib import Path

import smartstart

SRC = Path(smartstart.__file__).parent


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def _modules(folder: Path) -> dict[str, set[str]]:
    return {str(p.relative_to(SRC)): _imports(p) for p in folder.rglob("*.py")}


def test_analyses_do_not_build_their_own_data():
    upstream = ("smartstart.synth", "smartstart.sources", "smartstart.linking")
    for module, imports in _modules(SRC / "analyses").items():
        bad = sorted(i for i in imports if i.startswith(upstream))
        assert not bad, f"{module} imports {bad}"


def test_only_the_demo_and_cli_use_synth():
    users = {m for m, imports in _modules(SRC).items()
             if not m.startswith("synth") and any(i.startswith("smartstart.synth")
                                                  for i in imports)}
    assert users <= {"cli.py", "demo.py"}, users


def test_the_planted_worlds_are_a_test_fixture():
    assert not (SRC / "analyses" / "_typology_planted.py").exists()
    assert (Path(__file__).parent / "planted_worlds.py").exists()
