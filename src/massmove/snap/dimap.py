"""SNAP's BEAM-DIMAP output -> the interferogram product (wrapped phase, coherence, tags).

A DIMAP product is ``name.dim`` (XML header with the metadata tree) and ``name.data/`` with
one ENVI image per band (``{band}.img`` + ``{band}.hdr``, map info and CRS in the header).
The phase is SNAP's ``Phase_ifg_*`` band where it was written as an image, else
``atan2(q, i)`` of the ``i_ifg_*`` / ``q_ifg_*`` bands; the coherence is ``coh_*``.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from numpy.typing import NDArray
from rasterio.warp import Resampling, reproject

from massmove.constants import SPEED_OF_LIGHT_M_S
from massmove.errors import InputError
from massmove.grid import Grid


@dataclasses.dataclass(frozen=True)
class SnapInterferogram:
    """SNAP's output on the product grid, and the metadata the product's tags need."""

    wrapped_phase_rad: NDArray[np.float32]
    coherence: NDArray[np.float32]
    metadata: dict[str, Any]


def _data_dir(dim: Path) -> Path:
    return dim.with_suffix(".data")


def _band(data_dir: Path, prefix: str) -> Path | None:
    found = sorted(data_dir.glob(f"{prefix}*.img"))
    return found[0] if found else None


def _abstracted(root: ET.Element) -> ET.Element:
    for element in root.iter("MDElem"):
        if element.get("name") == "Abstracted_Metadata":
            return element
    raise KeyError("Abstracted_Metadata")


def _attribute(element: ET.Element, name: str) -> str:
    for attribute in element.findall("MDATTR"):
        if attribute.get("name") == name:
            return (attribute.text or "").strip()
    raise KeyError(name)


def _perpendicular_baseline_m(abstracted: ET.Element) -> float:
    """The secondary's perpendicular baseline from Back-Geocoding's ``Baselines`` tree (NaN if absent)."""
    values = [
        float(a.text)
        for elem in abstracted.iter("MDElem")
        if elem.get("name") == "Baselines"
        for a in elem.iter("MDATTR")
        if a.get("name") == "Perp Baseline" and a.text
    ]
    return max(values, key=abs) if values else math.nan


def read_metadata(dim: str | Path) -> dict[str, Any]:
    """Geometry metadata of a DIMAP product (its Abstracted_Metadata)."""
    dim = Path(dim)
    try:
        text = dim.read_text(errors="replace")
    except OSError as err:
        raise InputError(f"{dim}: not a readable SNAP DIMAP header ({type(err).__name__}: {err})") from err
    return read_metadata_xml(text, dim)


def read_metadata_xml(header: str, where: str | Path) -> dict[str, Any]:
    """Geometry metadata of a DIMAP header given as text (a ``.dim`` file, or the header SNAP
    embeds in its GeoTIFF exports); ``where`` names the file in errors."""
    dim = where
    try:
        abstracted = _abstracted(ET.fromstring(header))
        frequency_mhz = float(_attribute(abstracted, "radar_frequency"))
        near, far = (
            float(_attribute(abstracted, "incidence_near")),
            float(_attribute(abstracted, "incidence_far")),
        )
        return {
            "pass": _attribute(abstracted, "PASS").lower(),
            "relative_orbit": int(_attribute(abstracted, "REL_ORBIT")),
            "wavelength_m": SPEED_OF_LIGHT_M_S / (frequency_mhz * 1e6),
            "heading_deg": float(_attribute(abstracted, "centre_heading")) % 360.0,
            "incidence_deg": (near + far) / 2,
            "perpendicular_baseline_m": _perpendicular_baseline_m(abstracted),
        }
    except (ET.ParseError, KeyError, ValueError) as err:
        raise InputError(f"{dim}: not a readable SNAP DIMAP header ({type(err).__name__}: {err})") from err


def _on_grid(path: Path, grid: Grid) -> NDArray[np.float64]:
    """A band resampled (nearest: Terrain-Correction aligned it to this grid) onto ``grid``."""
    target = np.full(grid.shape, np.nan, dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
        with rasterio.open(path) as src:
            if src.crs is None:
                raise InputError(f"{path}: band has no map projection (was Terrain-Correction run?)")
            values = src.read(1).astype(np.float64)
            nodata = src.nodata
            if nodata is not None and not math.isnan(nodata):
                values[values == nodata] = np.nan
            reproject(
                values,
                target,
                src_transform=src.transform,
                src_crs=src.crs,
                dst_transform=grid.transform,
                dst_crs=grid.crs,
                resampling=Resampling.nearest,
                src_nodata=np.nan,
                dst_nodata=np.nan,
            )
    return target


def read_snap_interferogram(dim: str | Path, grid: Grid) -> SnapInterferogram:
    """Phase and coherence of SNAP's output on ``grid``, with its metadata.

    Raises
    ------
    InputError
        The header or its ``.data`` directory is missing, or a band is absent (named).
    """
    dim = Path(dim)
    data_dir = _data_dir(dim)
    if not dim.is_file() or not data_dir.is_dir():
        raise InputError(f"{dim}: SNAP's output (.dim and .data/) is missing")
    coherence_img = _band(data_dir, "coh_")
    phase_img = _band(data_dir, "Phase_ifg")
    i_img, q_img = _band(data_dir, "i_ifg"), _band(data_dir, "q_ifg")
    if coherence_img is None or (phase_img is None and (i_img is None or q_img is None)):
        present = ", ".join(p.stem for p in sorted(data_dir.glob("*.img"))) or "none"
        raise InputError(
            f"{dim}: needs a coh_* band and Phase_ifg_* or i_ifg_*/q_ifg_* bands (has: {present})"
        )
    if phase_img is not None:
        phase = _on_grid(phase_img, grid)
    else:
        assert i_img is not None and q_img is not None  # checked above
        real, imaginary = _on_grid(i_img, grid), _on_grid(q_img, grid)
        phase = np.arctan2(imaginary, real)
        phase[(real == 0) & (imaginary == 0)] = np.nan  # SNAP's no-data value of i and q is 0
    coherence = _on_grid(coherence_img, grid)
    invalid = ~(np.isfinite(phase) & np.isfinite(coherence))
    phase = np.where(phase <= -np.pi, np.pi, phase)  # (-pi, pi]
    phase[invalid] = np.nan
    coherence = np.clip(coherence, 0.0, 1.0)
    coherence[invalid] = np.nan
    return SnapInterferogram(phase.astype(np.float32), coherence.astype(np.float32), read_metadata(dim))
