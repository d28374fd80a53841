"""The detection settings a likelihood product carries: threshold and smallest polygon.

A run's settings come from the config (``detection.threshold``, ``detection.min_area_m2``)
when given, else from the ensemble's calibration (recorded in its members' ``massmove.json``),
else the defaults below (members without a calibration, the classical baseline). The segment
stage resolves them once and writes them as tags of the likelihood raster, which vectorising
and evaluation read: one run, one threshold.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

DEFAULT_THRESHOLD = 0.5
DEFAULT_MIN_AREA_M2 = 1500.0
THRESHOLD_TAG = "detection_threshold"
MIN_AREA_TAG = "detection_min_area_m2"
SOURCE_TAG = "detection_settings_from"


class DetectionSettings(NamedTuple):
    """Likelihood threshold and smallest polygon area of a run, and where they come from."""

    threshold: float
    min_area_m2: float
    source: str

    def tags(self) -> dict[str, str]:
        """Tags of a likelihood raster."""
        return {
            THRESHOLD_TAG: repr(self.threshold),
            MIN_AREA_TAG: repr(self.min_area_m2),
            SOURCE_TAG: self.source,
        }


def resolve_detection(
    detection: Mapping[str, Any], calibrated: Mapping[str, Any] | None
) -> DetectionSettings:
    """The run's settings: config values where given, else the calibration, else the defaults.

    Examples
    --------
    >>> unset = {"threshold": None, "min_area_m2": None}
    >>> resolve_detection(unset, {"threshold": 0.65, "min_area_m2": 3000.0})
    DetectionSettings(threshold=0.65, min_area_m2=3000.0, source='calibration')
    >>> resolve_detection({"threshold": 0.4, "min_area_m2": None}, None).source
    'config threshold, default min_area_m2'
    """
    values, sources = {}, []
    defaults = {"threshold": DEFAULT_THRESHOLD, "min_area_m2": DEFAULT_MIN_AREA_M2}
    for key, default in defaults.items():
        if detection[key] is not None:
            values[key], origin = float(detection[key]), "config"
        elif calibrated is not None:
            values[key], origin = float(calibrated[key]), "calibration"
        else:
            values[key], origin = default, "default"
        sources.append(f"{origin} {key}")
    same = {source.split()[0] for source in sources}
    source = same.pop() if len(same) == 1 else ", ".join(sources)
    return DetectionSettings(values["threshold"], values["min_area_m2"], source)


def detection_from_tags(tags: Mapping[str, str], detection: Mapping[str, Any]) -> DetectionSettings:
    """The settings a likelihood raster carries (config or defaults for rasters without them)."""
    if THRESHOLD_TAG in tags and MIN_AREA_TAG in tags:
        return DetectionSettings(
            float(tags[THRESHOLD_TAG]), float(tags[MIN_AREA_TAG]), tags.get(SOURCE_TAG, "tags")
        )
    return resolve_detection(detection, None)
