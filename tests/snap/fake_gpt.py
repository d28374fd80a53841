"""A stand-in for SNAP's gpt: checks what it is given, writes a small BEAM-DIMAP output.

Checks: the command line (graph, ``-q N``, ``-c NM``, ``-J-XmxNM``), the graph (every node's
sources exist, the D-InSAR chain is complete in order, Read files are existing zips, the
external DEM exists), and writes what SNAP's Write node would: ``{file}.dim`` with the
Abstracted_Metadata the product needs, and ``{file}.data/`` with ENVI images ``i_ifg_*``,
``q_ifg_*`` and ``coh_*`` on the Terrain-Correction grid (its CRS and spacing, aligned to its
standard-grid origin) over the external DEM's extent. The phase is :func:`expected_phase`,
the coherence :func:`expected_coherence`, so tests can check the conversion pixel by pixel.

Every call is appended as JSON to ``$FAKE_GPT_CALLS``; ``$FAKE_GPT_EXIT`` makes it fail with
that exit code after writing SNAP-like error lines to stderr.
"""

from __future__ import annotations

import json
import os
import re
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import from_origin

VERSION = "10.0.0"
CHAIN = [
    "Read",
    "TOPSAR-Split",
    "Apply-Orbit-File",
    "Back-Geocoding",
    "Interferogram",
    "TOPSAR-Deburst",
    "TopoPhaseRemoval",
    "GoldsteinPhaseFiltering",
    "Multilook",
    "Terrain-Correction",
    "Write",
]


def expected_phase(east_m: np.ndarray, north_m: np.ndarray) -> np.ndarray:
    """Wrapped phase the stand-in writes: a ramp plus a local bowl (radians, wrapped)."""
    bowl = 9.0 * np.exp(-(((east_m % 3000.0) - 1500.0) ** 2 + ((north_m % 3000.0) - 1500.0) ** 2) / 400.0**2)
    return np.angle(np.exp(1j * (2e-3 * east_m - 1.3e-3 * north_m + bowl)))


def expected_coherence(east_m: np.ndarray, north_m: np.ndarray) -> np.ndarray:
    """Coherence the stand-in writes."""
    return 0.5 + 0.4 * np.sin(east_m / 700.0) * np.cos(north_m / 900.0)


def _fail(message: str, code: int = 1) -> int:
    sys.stderr.write(f"Error: {message}\n")
    return code


def _check_arguments(argv: list[str]) -> tuple[Path, dict[str, str]] | str:
    if not argv or not argv[0].endswith(".xml"):
        return f"first argument must be the graph XML, got {argv[:1]}"
    options = {}
    rest = argv[1:]
    while rest:
        item = rest.pop(0)
        if item in ("-q", "-c"):
            options[item] = rest.pop(0) if rest else ""
        elif item.startswith("-J-Xmx"):
            options["-J-Xmx"] = item[len("-J-Xmx") :]
        else:
            return f"unexpected argument {item!r}"
    if not re.fullmatch(r"[1-9]\d*", options.get("-q", "")):
        return f"-q must be a positive thread count, got {options.get('-q')!r}"
    for key in ("-c", "-J-Xmx"):
        if not re.fullmatch(r"\d+M", options.get(key, "")):
            return f"{key} must be a size like 2048M, got {options.get(key)!r}"
    return Path(argv[0]), options


def _nodes(graph: Path) -> dict[str, ET.Element]:
    root = ET.parse(graph).getroot()
    return {node.get("id"): node for node in root.findall("node")}


def _check_graph(nodes: dict[str, ET.Element]) -> str | None:
    for node_id, node in nodes.items():
        for source in node.find("sources"):
            if source.get("refid") not in nodes:
                return f"node {node_id}: unknown source {source.get('refid')!r}"
    # walk back from Write along first sources: the chain's operators in order
    operators, current = [], nodes.get("Write")
    while current is not None:
        operators.append(current.findtext("operator"))
        sources = list(current.find("sources"))
        current = nodes.get(sources[0].get("refid")) if sources else None
    chain = [op for op in reversed(operators) if op in CHAIN]
    if chain != [op for op in CHAIN if op in chain] or set(CHAIN) - set(chain):
        return f"incomplete or disordered chain: {' -> '.join(reversed(operators))}"
    for node in nodes.values():
        params = node.find("parameters")
        if node.findtext("operator") == "Read":
            path = Path(params.findtext("file"))
            if not path.is_file() or not zipfile.is_zipfile(path):
                return f"[NodeId: {node.get('id')}] cannot read product {path}"
        for key in ("externalDEMFile",):
            value = params.findtext(key)
            if value and not Path(value).is_file():
                return f"[NodeId: {node.get('id')}] external DEM {value} not found"
    return None


def _write_dimap(nodes: dict[str, ET.Element]) -> None:
    tc = next(n for n in nodes.values() if n.findtext("operator") == "Terrain-Correction").find("parameters")
    write = nodes["Write"].find("parameters")
    spacing = float(tc.findtext("pixelSpacingInMeter"))
    crs = tc.findtext("mapProjection")
    origin_x, origin_y = float(tc.findtext("standardGridOriginX")), float(tc.findtext("standardGridOriginY"))
    with rasterio.open(tc.findtext("externalDEMFile")) as dem:
        west, south, east, north = dem.bounds
    # aligned to the standard grid origin, covering the DEM
    west = origin_x + np.floor((west - origin_x) / spacing) * spacing
    north = origin_y + np.ceil((north - origin_y) / spacing) * spacing
    width, height = int(np.ceil((east - west) / spacing)), int(np.ceil((north - south) / spacing))
    cols, rows = np.meshgrid(np.arange(width), np.arange(height))
    east_m, north_m = west + (cols + 0.5) * spacing, north - (rows + 0.5) * spacing
    phase, coherence = expected_phase(east_m, north_m), expected_coherence(east_m, north_m)
    amplitude = 100.0 * coherence
    stem = Path(write.findtext("file"))
    data_dir = stem.with_suffix(".data")
    data_dir.mkdir(parents=True, exist_ok=True)
    suffix = "VH_01Apr2021_13Apr2021"
    bands = {
        f"i_ifg_{suffix}": amplitude * np.cos(phase),
        f"q_ifg_{suffix}": amplitude * np.sin(phase),
        f"coh_{suffix}": coherence,
    }
    profile = {
        "driver": "ENVI",
        "width": width,
        "height": height,
        "count": 1,
        "dtype": "float32",
        "crs": crs,
        "transform": from_origin(west, north, spacing, spacing),
    }
    for name, values in bands.items():
        with rasterio.open(data_dir / f"{name}.img", "w", **profile) as dst:
            dst.write(values.astype(np.float32), 1)
    stem.with_suffix(".dim").write_text(_dim_header())


def _dim_header() -> str:
    attrs = {
        "PRODUCT": "S1B_IW_SLC__1SDV_20210401T052622_20210401T052650_026269_032297_EFA4",
        "PASS": "DESCENDING",
        "REL_ORBIT": "168",
        "radar_frequency": "5405.000454334349",
        "centre_heading": "-167.9",
        "incidence_near": "30.9",
        "incidence_far": "41.7",
    }
    lines = "\n".join(f'      <MDATTR name="{k}" type="ascii">{v}</MDATTR>' for k, v in attrs.items())
    return f"""<?xml version="1.0" encoding="ISO-8859-1"?>
<Dimap_Document name="snap_output.dim">
  <Dataset_Sources>
    <MDElem name="metadata">
    <MDElem name="Abstracted_Metadata">
{lines}
      <MDElem name="Baselines">
        <MDElem name="Ref_01Apr2021">
          <MDElem name="Secondary_01Apr2021">
            <MDATTR name="Perp Baseline" type="float64">0.0</MDATTR>
          </MDElem>
          <MDElem name="Secondary_13Apr2021">
            <MDATTR name="Perp Baseline" type="float64">-57.31</MDATTR>
          </MDElem>
        </MDElem>
      </MDElem>
    </MDElem>
    </MDElem>
  </Dataset_Sources>
</Dimap_Document>
"""


def main(argv: list[str]) -> int:
    """Entry point: ``gpt graph.xml -q N -c NM -J-XmxNM`` or ``gpt --diag``."""
    if os.environ.get("FAKE_GPT_CALLS"):
        with open(os.environ["FAKE_GPT_CALLS"], "a") as calls:
            calls.write(json.dumps({"argv": argv, "cwd": os.getcwd()}) + "\n")
    if argv == ["--diag"]:
        print(f"SNAP Release version {VERSION}\nSNAP home: /opt/fake-snap\nJava version: 21")
        return 0
    if os.environ.get("FAKE_GPT_EXIT"):
        sys.stderr.write("Executing processing graph\nINFO: reading products\n")
        return _fail(
            "[NodeId: Back-Geocoding] java.lang.OutOfMemoryError: Java heap space",
            int(os.environ["FAKE_GPT_EXIT"]),
        )
    checked = _check_arguments(argv)
    if isinstance(checked, str):
        return _fail(checked, 2)
    graph, _ = checked
    nodes = _nodes(graph)
    problem = _check_graph(nodes)
    if problem:
        return _fail(problem)
    _write_dimap(nodes)
    print("Processing completed in 1.0 seconds")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
