"""The import graph of massmove: no cycle between subpackages, and data flowing one way
(sources and engines -> products -> detectors -> vectors -> evaluation -> report)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.runs import REPO

PACKAGE = REPO / "src" / "massmove"
# rank of each top-level module or subpackage: an import may only go to the same or a lower rank
LAYERS = {
    # shared pieces every layer may use
    "__init__": 0,
    "errors": 0,
    "logs": 0,
    "raster": 0,
    "geometry": 0,
    "splat": 0,
    "config": 1,
    "settings": 1,
    "scores": 1,
    "io": 1,
    "pairs": 2,
    # sources and engines
    "insar": 3,
    "simulate": 4,
    "asf": 4,
    "fidelity": 4,
    "snap": 5,
    # interferograms made elsewhere (their SNAP exports read the DIMAP header as snap does)
    "files": 5,
    # HyP3 on demand: its products are read by the files layer's hyp3 reader
    "hyp3": 5,
    "preflight": 13,
    # detectors
    "detector": 6,
    "model": 7,
    "detect": 8,
    # evaluation, report, provenance
    "evaluate": 9,
    "report": 10,
    "provenance": 11,
    "audit": 12,
    # the stage layer (one module per rule family) and the command line sit on top
    "stages": 13,
    "cli": 14,
}


def unit_of(path: Path) -> str:
    """The top-level module or subpackage a source file belongs to."""
    parts = path.relative_to(PACKAGE).parts
    return parts[0].removesuffix(".py")


def import_edges() -> set[tuple[str, str, str]]:
    """(importer, imported, file) for every massmove import, lazy ones included."""
    edges = set()
    for path in PACKAGE.rglob("*.py"):
        source = unit_of(path)
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                parts = name.split(".")
                if parts[0] != "massmove":
                    continue
                target = parts[1] if len(parts) > 1 else "__init__"
                if target != source:
                    edges.add((source, target, str(path.relative_to(PACKAGE))))
    return edges


def test_every_module_has_a_layer():
    units = {unit_of(p) for p in PACKAGE.rglob("*.py")}
    assert units <= set(LAYERS), sorted(units - set(LAYERS))


def find_cycles(edges: set[tuple[str, str, str]]) -> list[list[str]]:
    """The import cycles of a graph of (importer, imported, file) edges."""
    graph: dict[str, set[str]] = {}
    for source, target, _ in edges:
        graph.setdefault(source, set()).add(target)
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*trail[trail.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return cycles


def test_the_cycle_finder_finds_cycles():
    assert find_cycles({("a", "b", ""), ("b", "c", ""), ("c", "a", "")}) == [["a", "b", "c", "a"]]
    assert find_cycles({("a", "b", ""), ("a", "c", ""), ("b", "c", "")}) == []


def test_no_import_cycle_between_subpackages():
    cycles = find_cycles(import_edges())
    assert not cycles, cycles


def test_imports_go_downstream_only():
    upward = [
        f"{file}: {source} imports {target}"
        for source, target, file in sorted(import_edges())
        if LAYERS[target] > LAYERS[source]
    ]
    assert not upward, upward
