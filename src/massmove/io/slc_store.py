"""SLC stores: one Zarr group per acquisition, with its geometry and an integrity digest.

Layout of ``{scene}.zarr``: array ``slc`` (complex64, lines x samples) and attributes
``massmove_slc`` (format version), ``geometry`` (:class:`~massmove.geometry.AcquisitionGeometry`),
``metadata`` (scene id, track, direction, relative orbit, start time, ...), ``geolocation_grid``
(tie points line/sample -> easting/northing/incidence at a reference height, as in a
Sentinel-1 annotation) and ``sha256`` of the SLC bytes, checked on every read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import zarr
from numpy.typing import NDArray

from massmove.errors import CorruptInputError, InputError
from massmove.geometry import AcquisitionGeometry, incidence_angle_deg, radar_to_ground
from massmove.io.atomic import atomic_path

FORMAT_VERSION = 1
CHUNKS = (256, 2048)


class SlcScene(NamedTuple):
    """An SLC with what a processor needs to use it."""

    slc: NDArray[np.complex64]
    geometry: AcquisitionGeometry
    metadata: dict[str, Any]


def _digest(slc: NDArray[np.complex64]) -> str:
    return hashlib.sha256(np.ascontiguousarray(slc).tobytes()).hexdigest()


def geolocation_grid(
    geometry: AcquisitionGeometry, height_m: float, n_lines: int = 10, n_samples: int = 21
) -> dict[str, list[float]]:
    """Tie points mapping (line, sample) to map coordinates at one height."""
    lines = np.linspace(0, geometry.n_lines - 1, n_lines)
    samples = np.linspace(0, geometry.n_samples - 1, n_samples)
    line, sample = np.meshgrid(lines, samples, indexing="ij")
    east, north = radar_to_ground(geometry, line, sample, height_m)
    incidence = incidence_angle_deg(geometry, east, north, height_m)
    return {
        "line": line.ravel().tolist(),
        "sample": sample.ravel().tolist(),
        "easting_m": east.ravel().tolist(),
        "northing_m": north.ravel().tolist(),
        "height_m": [height_m] * line.size,
        "incidence_deg": incidence.ravel().tolist(),
    }


def write_slc_store(
    path: str | Path,
    slc: NDArray[np.complex64],
    geometry: AcquisitionGeometry,
    metadata: Mapping[str, Any],
    *,
    reference_height_m: float = 0.0,
) -> None:
    """Write an SLC store atomically (a rerun never finds a half-written store)."""
    slc = np.asarray(slc, dtype=np.complex64)
    if slc.shape != (geometry.n_lines, geometry.n_samples):
        raise ValueError(f"SLC shape {slc.shape} does not match its geometry")
    with atomic_path(path, directory=True) as tmp:
        group = zarr.open_group(str(tmp), mode="w")
        array = group.create_array("slc", shape=slc.shape, dtype="complex64", chunks=CHUNKS)
        array[...] = slc
        group.attrs.update(
            {
                "massmove_slc": FORMAT_VERSION,
                "geometry": geometry.to_dict(),
                "metadata": dict(metadata),
                "geolocation_grid": geolocation_grid(geometry, reference_height_m),
                "sha256": _digest(slc),
            }
        )


def _open(path: Path) -> zarr.Group:
    if not path.exists():
        raise InputError(f"SLC store not found: {path}")
    try:
        group = zarr.open_group(str(path), mode="r")
        attrs = dict(group.attrs)
    except Exception as err:  # zarr raises many types for broken metadata
        raise CorruptInputError(
            f"{path}: not a readable Zarr SLC store ({type(err).__name__}: {err})"
        ) from err
    if attrs.get("massmove_slc") != FORMAT_VERSION:
        raise CorruptInputError(
            f"{path}: not a massmove SLC store of format {FORMAT_VERSION} "
            f"(found {attrs.get('massmove_slc')!r})"
        )
    for key in ("geometry", "metadata", "sha256"):
        if key not in attrs:
            raise CorruptInputError(f"{path}: SLC store lacks its '{key}' attribute")
    return group


def _geometry(path: Path, group: zarr.Group) -> AcquisitionGeometry:
    try:
        return AcquisitionGeometry.from_dict(dict(group.attrs["geometry"]))
    except (KeyError, TypeError, ValueError) as err:
        raise CorruptInputError(f"{path}: invalid geometry attribute ({err})") from err


def read_slc_store(path: str | Path) -> SlcScene:
    """Read an SLC store and verify its digest.

    Raises
    ------
    InputError
        The store does not exist.
    CorruptInputError
        Metadata, shape or pixel digest do not match (truncated or altered chunks).
    """
    path = Path(path)
    group = _open(path)
    geometry = _geometry(path, group)
    try:
        slc = np.asarray(group["slc"][...], dtype=np.complex64)
    except Exception as err:
        raise CorruptInputError(f"{path}: SLC pixels unreadable ({type(err).__name__}: {err})") from err
    if slc.shape != (geometry.n_lines, geometry.n_samples):
        raise CorruptInputError(
            f"{path}: SLC is {slc.shape}, its geometry says {(geometry.n_lines, geometry.n_samples)}"
        )
    if _digest(slc) != group.attrs["sha256"]:
        raise CorruptInputError(f"{path}: SLC pixels do not match their sha256 (altered or truncated chunks)")
    return SlcScene(slc, geometry, dict(group.attrs["metadata"]))
