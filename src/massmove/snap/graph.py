"""The TOPS D-InSAR graph of one pair, built with pyroSAR's ``Workflow`` and ``Node``.

Per subswath: Read (per product; SliceAssembly when an acquisition spans several slices) ->
TOPSAR-Split -> Apply-Orbit-File -> Back-Geocoding (both acquisitions) ->
Enhanced-Spectral-Diversity (switchable) -> Interferogram (with coherence) -> TOPSAR-Deburst ->
TopoPhaseRemoval; TOPSAR-Merge when several subswaths are needed; then
GoldsteinPhaseFiltering -> Multilook -> Terrain-Correction -> Write (BEAM-DIMAP).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from massmove.grid import Grid
from massmove.io.atomic import atomic_path
from massmove.settings import StageSettings
from massmove.snap.nodes import node_template, pyrosar_auxil
from massmove.snap.plan import BurstPlan

DEM_RESAMPLING = "BILINEAR_INTERPOLATION"


@dataclasses.dataclass(frozen=True)
class GraphSettings:
    """The configured parameters of the graph."""

    dem_name: str  # SNAP's DEM name, or "External DEM"
    external_dem: str | None  # path of the external DEM, else None
    esd: bool
    orbit_type: str
    coherence_window_azimuth: int
    coherence_window_range: int
    goldstein_alpha: float
    goldstein_fft_size: int
    goldstein_window: int
    looks_azimuth: int
    looks_range: int
    crs: str
    posting_m: float
    grid_origin_m: tuple[float, float]  # west, north of the product grid (Terrain-Correction aligns to it)

    @classmethod
    def from_config(cls, config: StageSettings, dem_tif: str | Path | None, grid: Grid) -> GraphSettings:
        """Settings from the validated config, the run's DEM and the product grid."""
        snap, ifg = config["snap"], config["interferogram"]
        external = snap["dem"] == "external"
        return cls(
            dem_name="External DEM" if external else snap["dem"],
            external_dem=str(dem_tif) if external else None,
            esd=snap["esd"],
            orbit_type=snap["orbit_type"],
            coherence_window_azimuth=ifg["coherence_window"]["azimuth"],
            coherence_window_range=ifg["coherence_window"]["range"],
            goldstein_alpha=ifg["goldstein"]["alpha"],
            goldstein_fft_size=ifg["goldstein"]["fft_size"],
            goldstein_window=ifg["goldstein"]["window"],
            looks_azimuth=ifg["multilook"]["azimuth"],
            looks_range=ifg["multilook"]["range"],
            crs=config["crs"],
            posting_m=config["posting_m"],
            grid_origin_m=(grid.west_m, grid.north_m),
        )

    def dem_parameters(self) -> dict[str, Any]:
        """The DEM parameters shared by Back-Geocoding, TopoPhaseRemoval and Terrain-Correction."""
        return {
            "demName": self.dem_name,
            "externalDEMFile": self.external_dem,
            "externalDEMNoDataValue": 0.0,
        }


class _Builder:
    """Adds nodes to a pyroSAR Workflow, each with its sources and parameters."""

    def __init__(self, gpt: str | Path | None) -> None:
        self.workflow = pyrosar_auxil().parse_recipe("blank")
        self.gpt = gpt

    def add(self, operator: str, sources: str | Sequence[str] | None, **parameters: Any) -> str:
        node = node_template(operator, self.gpt)
        for key, value in parameters.items():
            if key not in node.parameters.keys():
                raise KeyError(f"SNAP operator {operator} has no parameter {key!r}")
            node.parameters[key] = value
        before = list(sources) if isinstance(sources, (list, tuple)) else sources
        self.workflow.insert_node(node, before=before, resetSuccessorSource=False)
        return node.id


def _read(builder: _Builder, products: Sequence[str], polarisation: str) -> str:
    reads = [
        builder.add("Read", None, file=str(p), formatName="SENTINEL-1", copyMetadata=True) for p in products
    ]
    if len(reads) == 1:
        return reads[0]
    return builder.add("SliceAssembly", reads, selectedPolarisations=polarisation)


def _subswath_chain(
    builder: _Builder, plan: BurstPlan, index: int, reads: tuple[str, str], settings: GraphSettings
) -> str:
    swath = plan.swaths[index]
    orbits = []
    for read, (first, last) in zip(
        reads,
        ((swath.reference_first, swath.reference_last), (swath.secondary_first, swath.secondary_last)),
        strict=True,
    ):
        split = builder.add(
            "TOPSAR-Split",
            read,
            subswath=swath.swath,
            selectedPolarisations=plan.polarisation,
            firstBurstIndex=first,
            lastBurstIndex=last,
        )
        orbits.append(
            builder.add(
                "Apply-Orbit-File", split, orbitType=settings.orbit_type, polyDegree=3, continueOnFail=False
            )
        )
    node = builder.add(
        "Back-Geocoding",
        orbits,
        **settings.dem_parameters(),
        demResamplingMethod=DEM_RESAMPLING,
        resamplingType=DEM_RESAMPLING,
        maskOutAreaWithoutElevation=True,
    )
    if settings.esd:
        node = builder.add("Enhanced-Spectral-Diversity", node)
    node = builder.add(
        "Interferogram",
        node,
        subtractFlatEarthPhase=True,
        includeCoherence=True,
        cohWinAz=settings.coherence_window_azimuth,
        cohWinRg=settings.coherence_window_range,
        squarePixel=False,
        subtractTopographicPhase=False,
    )
    node = builder.add("TOPSAR-Deburst", node, selectedPolarisations=plan.polarisation)
    return builder.add("TopoPhaseRemoval", node, **settings.dem_parameters())


def build_graph(
    plan: BurstPlan, settings: GraphSettings, output_stem: str | Path, *, gpt: str | Path | None = None
):  # noqa: ANN201 - pyroSAR Workflow
    """The pyroSAR ``Workflow`` of one pair; SNAP writes ``{output_stem}.dim`` (BEAM-DIMAP)."""
    builder = _Builder(gpt)
    reads = (
        _read(builder, plan.reference_products, plan.polarisation),
        _read(builder, plan.secondary_products, plan.polarisation),
    )
    tails = [_subswath_chain(builder, plan, i, reads, settings) for i in range(len(plan.swaths))]
    node = (
        tails[0]
        if len(tails) == 1
        else builder.add("TOPSAR-Merge", tails, selectedPolarisations=plan.polarisation)
    )
    node = builder.add(
        "GoldsteinPhaseFiltering",
        node,
        alpha=settings.goldstein_alpha,
        FFTSizeString=str(settings.goldstein_fft_size),
        windowSizeString=str(settings.goldstein_window),
    )
    node = builder.add(
        "Multilook", node, nRgLooks=settings.looks_range, nAzLooks=settings.looks_azimuth, grSquarePixel=False
    )
    node = builder.add(
        "Terrain-Correction",
        node,
        **settings.dem_parameters(),
        externalDEMApplyEGM=True,
        demResamplingMethod=DEM_RESAMPLING,
        imgResamplingMethod=DEM_RESAMPLING,
        pixelSpacingInMeter=settings.posting_m,
        mapProjection=settings.crs,
        alignToStandardGrid=True,
        standardGridOriginX=settings.grid_origin_m[0],
        standardGridOriginY=settings.grid_origin_m[1],
        nodataValueAtSea=False,
    )
    builder.add("Write", node, file=str(output_stem), formatName="BEAM-DIMAP")
    return builder.workflow


def write_graph(workflow: Any, path: str | Path) -> None:
    """Write the graph XML atomically."""
    with atomic_path(path) as tmp:
        Path(tmp).write_text(str(workflow))


def read_graph(path: str | Path):  # noqa: ANN201 - pyroSAR Workflow
    """Re-read a graph with pyroSAR."""
    return pyrosar_auxil().Workflow(str(path))
