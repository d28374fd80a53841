"""Compare the products of two run directories content by content: raster arrays and tags,
GeoPackage rows and geometries, JSON records, other files by bytes (zarr chunks, logs and
benchmarks skipped). Prints one line per difference, or ``identical``.

    .venv/bin/python benchmarks/compare_runs.py RUN_A RUN_B

Used to show that a refactor changes no product beyond the tags it means to change.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import rasterio


def differing_paths(a: object, b: object, prefix: str = "") -> list[str]:
    """The dotted paths at which two JSON values differ (a key present on one side only
    counts as different)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [
            path
            for key in sorted(set(a) | set(b))
            for path in differing_paths(a.get(key), b.get(key), f"{prefix}{key}.")
        ]
    return [] if a == b else [prefix.rstrip(".") or "(value)"]


def compare_file(path_a: Path, path_b: Path) -> str | None:
    """One line describing how two files differ, or None when their contents agree."""
    if path_a.suffix == ".tif":
        with rasterio.open(path_a) as a, rasterio.open(path_b) as b:
            same = np.array_equal(a.read(), b.read(), equal_nan=True)
            tags_a, tags_b = a.tags(), b.tags()
        tags = sorted(k for k in set(tags_a) | set(tags_b) if tags_a.get(k) != tags_b.get(k))
        if same and not tags:
            return None
        return f"arrays {'identical' if same else 'DIFFER'}, tags differ: {tags}"
    if path_a.suffix == ".gpkg":
        layers = [list(pyogrio.list_layers(p)[:, 0]) for p in (path_a, path_b)]
        if layers[0] != layers[1]:
            return f"layers differ: {layers[0]} against {layers[1]}"
        for layer in layers[0]:
            a, b = gpd.read_file(path_a, layer=layer), gpd.read_file(path_b, layer=layer)
            if "geometry" not in a.columns:  # a table without geometry (QGIS styles)
                same = a.equals(b)
            else:
                same = a.drop(columns="geometry").equals(b.drop(columns="geometry")) and a.geometry.equals(
                    b.geometry
                )
            if not same:
                return f"features of layer {layer} DIFFER"
        return None
    if path_a.suffix == ".json":
        paths = differing_paths(json.loads(path_a.read_text()), json.loads(path_b.read_text()))
        return f"differ at {paths[:6]}{' ...' if len(paths) > 6 else ''}" if paths else None
    digest = [hashlib.sha256(p.read_bytes()).hexdigest() for p in (path_a, path_b)]
    return None if digest[0] == digest[1] else "bytes differ"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_a", type=Path)
    parser.add_argument("run_b", type=Path)
    args = parser.parse_args()
    lines = []
    for path_a in sorted(args.run_a.rglob("*")):
        relative = path_a.relative_to(args.run_a)
        skipped = relative.parts[0] in (".snakemake", "logs") or "benchmarks" in relative.parts
        if path_a.is_dir() or skipped or (".zarr" in str(relative) and path_a.name != "zarr.json"):
            continue
        path_b = args.run_b / relative
        difference = compare_file(path_a, path_b) if path_b.exists() else "missing in the second run"
        if difference:
            lines.append(f"{relative}: {difference}")
    print("\n".join(lines) or "identical")


if __name__ == "__main__":
    main()
