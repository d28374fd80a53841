"""The detection settings of a run: threshold and smallest polygon, and where they come from.

The likelihood raster depends on the detector and its input only. It carries, as tags, the
settings the detector was calibrated at (``calibration_tags``: the ensemble's members record
them in their ``massmove.json``; the classical baseline has none). The stages that make
polygons and scores read the ``detection`` section of the config and resolve the run's
settings from it, the raster's calibration and the defaults below, in that order
(:func:`detection_from_tags`): a changed ``detection.*`` reruns vectorising and what follows,
never the inference.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

DEFAULT_THRESHOLD = 0.5
DEFAULT_MIN_AREA_M2 = 1500.0
#: tags of a likelihood raster: the detector's calibrated settings and their basis
CALIBRATED_THRESHOLD_TAG = "calibrated_threshold"
CALIBRATED_MIN_AREA_TAG = "calibrated_min_area_m2"
CALIBRATION_BASIS_TAG = "calibration_basis"
#: ``basis`` of a calibration used as chosen, and of the fallback kept in its place
CALIBRATED = "calibrated"
FALLBACK = "fallback"


class DetectionSettings(NamedTuple):
    """Likelihood threshold and smallest polygon area of a run, and where they come from."""

    threshold: float
    min_area_m2: float
    source: str


def calibration_tags(calibrated: Mapping[str, Any] | None) -> dict[str, str]:
    """Tags of a likelihood raster naming the detector's calibrated settings (none without).

    Examples
    --------
    >>> calibration_tags({"threshold": 0.5, "min_area_m2": 5600.0, "basis": "fallback"})
    {'calibrated_threshold': '0.5', 'calibrated_min_area_m2': '5600.0', 'calibration_basis': 'fallback'}
    >>> calibration_tags(None)
    {}
    """
    if calibrated is None:
        return {}
    return {
        CALIBRATED_THRESHOLD_TAG: repr(float(calibrated["threshold"])),
        CALIBRATED_MIN_AREA_TAG: repr(float(calibrated["min_area_m2"])),
        CALIBRATION_BASIS_TAG: str(calibrated.get("basis", CALIBRATED)),
    }


def resolve_detection(
    detection: Mapping[str, Any], calibrated: Mapping[str, Any] | None
) -> DetectionSettings:
    """The run's settings: config values where given, else the calibration, else the defaults.

    The source names the calibration's basis (``calibrated`` or ``fallback``) where it has one.

    Examples
    --------
    >>> unset = {"threshold": None, "min_area_m2": None}
    >>> resolve_detection(unset, {"threshold": 0.65, "min_area_m2": 3000.0})
    DetectionSettings(threshold=0.65, min_area_m2=3000.0, source='calibration')
    >>> resolve_detection(unset, {"threshold": 0.5, "min_area_m2": 5600.0, "basis": "fallback"}).source
    'calibration (fallback)'
    >>> resolve_detection({"threshold": 0.4, "min_area_m2": None}, None).source
    'config threshold, default min_area_m2'
    """
    values, sources = {}, []
    defaults = {"threshold": DEFAULT_THRESHOLD, "min_area_m2": DEFAULT_MIN_AREA_M2}
    calibration = "calibration"
    if calibrated is not None and calibrated.get("basis", CALIBRATED) != CALIBRATED:
        calibration = f"calibration ({calibrated['basis']})"
    for key, default in defaults.items():
        if detection[key] is not None:
            values[key], origin = float(detection[key]), "config"
        elif calibrated is not None:
            values[key], origin = float(calibrated[key]), calibration
        else:
            values[key], origin = default, "default"
        sources.append((origin, key))
    same = {origin for origin, _ in sources}
    source = same.pop() if len(same) == 1 else ", ".join(f"{origin} {key}" for origin, key in sources)
    return DetectionSettings(values["threshold"], values["min_area_m2"], source)


def calibration_from_tags(tags: Mapping[str, str]) -> dict[str, Any] | None:
    """The calibrated settings a likelihood raster carries, or None (the baseline, no calibration).

    Examples
    --------
    >>> calibration_from_tags(calibration_tags({"threshold": 0.6, "min_area_m2": 0.0}))
    {'threshold': 0.6, 'min_area_m2': 0.0, 'basis': 'calibrated'}
    """
    if CALIBRATED_THRESHOLD_TAG not in tags or CALIBRATED_MIN_AREA_TAG not in tags:
        return None
    return {
        "threshold": float(tags[CALIBRATED_THRESHOLD_TAG]),
        "min_area_m2": float(tags[CALIBRATED_MIN_AREA_TAG]),
        "basis": tags.get(CALIBRATION_BASIS_TAG, CALIBRATED),
    }


def detection_from_tags(tags: Mapping[str, str], detection: Mapping[str, Any]) -> DetectionSettings:
    """The run's settings for a likelihood raster: ``detection`` (the config section) where set,
    else the calibration the raster carries, else the defaults."""
    return resolve_detection(detection, calibration_from_tags(tags))


def peak_likelihood(likelihood_mean: NDArray) -> float | None:
    """The highest mean likelihood of a raster, None where it has no data.

    Examples
    --------
    >>> peak_likelihood(np.array([[0.2, np.nan], [0.7, 0.1]]))
    0.7
    >>> peak_likelihood(np.full((2, 2), np.nan)) is None
    True
    """
    finite = np.isfinite(likelihood_mean)
    return float(np.max(likelihood_mean[finite])) if finite.any() else None


def unreached_likelihood(likelihood_mean: NDArray, n_detections: int) -> float | None:
    """The peak mean likelihood when it reaches the study's 0.5 but nothing was detected (a
    threshold or smallest polygon that throws the detector's skill away), else None.

    Examples
    --------
    >>> unreached_likelihood(np.array([[0.2, 0.7]]), 0)
    0.7
    >>> unreached_likelihood(np.array([[0.2, 0.7]]), 1) is None
    True
    """
    peak = None if n_detections else peak_likelihood(likelihood_mean)
    return round(peak, 6) if peak is not None and peak >= DEFAULT_THRESHOLD else None
