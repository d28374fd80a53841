"""The import graph of massmove: no cycle between subpackages or between modules, data flowing
one way (sources and engines -> products -> detectors -> vectors -> evaluation -> report), and a
stage layer with one module per rule family that imports no other stage module."""

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
    "constants": 0,
    "logs": 0,
    "grid": 0,
    "colormaps": 0,
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
    # the product grid a config asks for (the synthetic scene's or the AOI's)
    "products": 5,
    # interferograms made elsewhere (their SNAP exports read the DIMAP header as snap does)
    "files": 5,
    # HyP3 on demand: its products are read by the files layer's hyp3 reader
    "hyp3": 5,
    "preflight": 13,
    # detectors: the interface, channels, tiled inference, the baseline and vectorising in
    # detect; the learned ensemble (network, training, checkpoints) in model
    "detect": 6,
    "model": 7,
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


def unit_of_module(module: str) -> str:
    """The top-level module or subpackage of a dotted massmove module name."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def import_edges() -> set[tuple[str, str, str]]:
    """(importer, imported, file) between top-level modules and subpackages, lazy imports
    included (:func:`module_edges` seen from the top)."""
    return {
        (unit_of_module(source), unit_of_module(target), file)
        for source, target, file in module_edges()
        if unit_of_module(source) != unit_of_module(target)
    }


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


def module_of(path: Path) -> str:
    """The dotted module name of a source file (a package by its ``__init__``)."""
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def module_edges() -> set[tuple[str, str, str]]:
    """(importer, imported, file) between massmove modules, lazy imports included; a name
    imported from a package counts as an import of its module when one exists."""
    modules = {module_of(p) for p in PACKAGE.rglob("*.py")}
    edges = set()
    for path in PACKAGE.rglob("*.py"):
        source = module_of(path)
        for node in ast.walk(ast.parse(path.read_text())):
            targets = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [
                    f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module
                    for a in node.names
                ]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            for target in targets:
                if target.split(".")[0] == "massmove" and target != source:
                    edges.add((source, target, str(path.relative_to(PACKAGE))))
    return edges


def test_no_import_cycle_between_modules_inside_packages_too():
    cycles = find_cycles(module_edges())
    assert not cycles, cycles


def test_every_rule_family_has_its_stage_module_and_stages_import_no_stage():
    families = {p.stem for p in (REPO / "workflow" / "rules").glob("*.smk")} - {"common"}
    stage_modules = {p.stem for p in (PACKAGE / "stages").glob("*.py")} - {"__init__"}
    assert families == stage_modules
    crossing = [
        f"{source} imports {target}"
        for source, target, _ in module_edges()
        if source.startswith("massmove.stages.") and target.startswith("massmove.stages")
    ]
    assert not crossing, crossing


def test_detectors_need_no_network_package_and_evaluation_reads_no_checkpoint():
    reaching = [
        f"{file}: imports {target}"
        for source, target, file in module_edges()
        if source.split(".")[1] in ("detect", "evaluate") and target.startswith("massmove.model")
    ]
    assert not reaching, reaching
