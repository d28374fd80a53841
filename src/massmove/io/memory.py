"""Arrays that cannot fit: refused with the numbers before they are allocated.

The estimates are lower bounds (bytes per pixel below what the jobs measured), so a refusal
means the job would surely fail with a MemoryError (or be killed) on this machine; a job that
passes may still need more than the estimate.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import Any

from massmove.errors import InputError

#: bytes per ground-grid pixel of the synthetic ground job, a lower bound (142 measured on the
#: default 2,200 x 2,200 grid: 686 MB peak; benchmarks of simulate_ground)
GROUND_BYTES_PER_PX = 100
#: bytes per product pixel held by a job that makes or imports a product: six float64 arrays
PRODUCT_BYTES_PER_PX = 48


def machine_memory_bytes() -> int:
    """Physical memory of this machine (what one job can at most use)."""
    return int(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))


def refuse_beyond_memory(estimate_bytes: float, what: str, advice: str) -> None:
    """One line with the numbers when ``estimate_bytes`` exceeds this machine's memory.

    Examples
    --------
    >>> refuse_beyond_memory(1e3, "a small job", "")
    >>> refuse_beyond_memory(1e18, "config key 'posting_m'", "use a coarser posting")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    massmove.errors.InputError: config key 'posting_m': at least 1000000000.0 GB of arrays, ...
    """
    available = machine_memory_bytes()
    if estimate_bytes > available:
        raise InputError(
            f"{what}: at least {estimate_bytes / 1e9:.1f} GB of arrays, more than this machine's "
            f"{available / 1e9:.1f} GB; {advice}"
        )


#: peak memory of the synthetic source's jobs per km2 of simulated ground (extent plus margins),
#: MB, measured on the default scene (121 km2; the rules' benchmark files): the rules' mem_mb
#: grows with the scene from these (ground-grid jobs also with the ground spacing)
PEAK_MB_PER_KM2 = {
    "simulate_ground": 5.7,
    "simulate": 7.6,
    "simulate_truth": 13.2,
    "interferogram": 6.8,
    "training_scene": 18.8,
    "calibration_scene": 18.8,
}
#: the ground spacing the figures above were measured at, metres
MEASURED_GROUND_SPACING_M = 5.0


def simulated_extent_km(synthetic: Mapping[str, Any]) -> tuple[float, float]:
    """Width and height of the simulated ground (the scene's extent plus its margins), km."""
    width_km, height_km = (km + 2 * synthetic["margin_m"] / 1000.0 for km in synthetic["extent_km"])
    return width_km, height_km


def synthetic_job_mb(synthetic: Mapping[str, Any], stage: str, floor_mb: int) -> int:
    """``mem_mb`` of a synthetic job: the measured peak scaled to this scene, with 25 % headroom,
    never below the rule's ``floor_mb`` (the default scene keeps the rule's own figure).

    Examples
    --------
    >>> scene = {"extent_km": [10, 10], "margin_m": 500.0, "terrain": {"ground_spacing_m": 5.0}}
    >>> synthetic_job_mb(scene, "simulate", 6000)
    6000
    >>> synthetic_job_mb({**scene, "extent_km": [40, 40]}, "simulate", 6000)
    15970
    """
    width_km, height_km = simulated_extent_km(synthetic)
    scale = 1.0
    if stage in ("simulate_ground", "simulate_truth", "training_scene", "calibration_scene"):
        scale = (MEASURED_GROUND_SPACING_M / synthetic["terrain"]["ground_spacing_m"]) ** 2
    estimate = 1.25 * PEAK_MB_PER_KM2[stage] * width_km * height_km * scale
    return max(floor_mb, math.ceil(estimate))
