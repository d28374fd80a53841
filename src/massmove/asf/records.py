"""Scene records from ASF search responses (live results, saved GeoJSON or CMR UMM JSON)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import shapely
import yaml

from massmove.errors import InputError


@dataclasses.dataclass(frozen=True)
class SceneRecord:
    """One granule of a search response, reduced to what pairing and downloading need."""

    scene_id: str
    platform: str
    start_utc: dt.datetime
    stop_utc: dt.datetime
    relative_orbit: int
    absolute_orbit: int
    direction: str  # ascending | descending
    frame: int
    beam_mode: str
    processing_level: str
    polarization: str
    footprint: shapely.Geometry
    url: str
    size_bytes: int
    md5: str

    def to_row(self) -> dict[str, Any]:
        """Row of ``results/scenes.csv``."""
        return {
            "scene_id": self.scene_id,
            "platform": self.platform,
            "start_utc": self.start_utc.isoformat(),
            "stop_utc": self.stop_utc.isoformat(),
            "relative_orbit": self.relative_orbit,
            "absolute_orbit": self.absolute_orbit,
            "direction": self.direction,
            "frame": self.frame,
            "beam_mode": self.beam_mode,
            "processing_level": self.processing_level,
            "polarization": self.polarization,
            "footprint_wkt": self.footprint.wkt,
            "url": self.url,
            "size_bytes": self.size_bytes,
            "md5": self.md5,
        }


def _time(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def record_from_properties(
    properties: Mapping[str, Any], geometry: Mapping[str, Any], source: str
) -> SceneRecord:
    """Build a record from asf-search product properties (GeoJSON feature form)."""
    try:
        return SceneRecord(
            scene_id=str(properties["sceneName"]),
            platform=str(properties.get("platform", "")),
            start_utc=_time(properties["startTime"]),
            stop_utc=_time(properties["stopTime"]),
            relative_orbit=int(properties["pathNumber"]),
            absolute_orbit=int(properties.get("orbit") or 0),
            direction=str(properties["flightDirection"]).lower(),
            frame=int(properties.get("frameNumber") or 0),
            beam_mode=str(properties.get("beamModeType") or ""),
            processing_level=str(properties.get("processingLevel") or ""),
            polarization=str(properties.get("polarization") or ""),
            footprint=shapely.geometry.shape(geometry),
            url=str(properties.get("url") or ""),
            size_bytes=int(properties.get("bytes") or 0),
            md5=str(properties.get("md5sum") or ""),
        )
    except (KeyError, TypeError, ValueError) as err:
        name = properties.get("sceneName", "?") if isinstance(properties, Mapping) else "?"
        raise InputError(f"{source}: record {name} lacks or garbles {err}") from err


def _umm_records(items: Iterable[Mapping[str, Any]], source: str) -> list[SceneRecord]:
    from asf_search import ASFProduct

    records = []
    for item in items:
        product = ASFProduct({"umm": item["umm"], "meta": item["meta"]})
        records.append(record_from_properties(product.properties, product.geometry, source))
    return records


def read_response(path: str | Path, what: str = "search response") -> Any:
    """The parsed content of a saved response: JSON, or YAML flow style (as asf-search's test
    resources; YAML being a superset of JSON, with Python's ``None`` read as null)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{what} not found: {path}")
    text = path.read_text(encoding="utf-8")
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        try:
            return yaml.safe_load(text.replace(": None", ": null"))
        except yaml.YAMLError as err:
            raise InputError(f"{path}: neither JSON nor YAML ({' '.join(str(err).split())})") from err


def umm_items(data: Any) -> list[Mapping[str, Any]] | None:
    """The CMR UMM records of a response (one record, a list, or ``items``), else None."""
    if isinstance(data, Mapping) and "umm" in data:
        return [data]
    if isinstance(data, Mapping) and "items" in data:
        return list(data["items"])
    if isinstance(data, list) and all(isinstance(i, Mapping) and "umm" in i for i in data):
        return data
    return None


def load_response(path: str | Path) -> list[SceneRecord]:
    """Read a saved response: asf-search GeoJSON, or CMR UMM JSON (one record, a list, or ``items``)."""
    data = read_response(path)
    source = str(path)
    if isinstance(data, Mapping) and data.get("type") == "FeatureCollection":
        return [
            record_from_properties(f["properties"], f["geometry"], source) for f in data.get("features", [])
        ]
    items = umm_items(data)
    if items is not None:
        return _umm_records(items, source)
    raise InputError(f"{path}: not an asf-search GeoJSON FeatureCollection nor CMR UMM JSON records")


def geojson_of(records: Iterable[SceneRecord]) -> dict[str, Any]:
    """A GeoJSON FeatureCollection in asf-search's property names (replayable)."""
    features = []
    for r in records:
        features.append(
            {
                "type": "Feature",
                "geometry": shapely.geometry.mapping(r.footprint),
                "properties": {
                    "sceneName": r.scene_id,
                    "platform": r.platform,
                    "startTime": r.start_utc.isoformat().replace("+00:00", "Z"),
                    "stopTime": r.stop_utc.isoformat().replace("+00:00", "Z"),
                    "pathNumber": r.relative_orbit,
                    "orbit": r.absolute_orbit,
                    "flightDirection": r.direction.upper(),
                    "frameNumber": r.frame,
                    "beamModeType": r.beam_mode,
                    "processingLevel": r.processing_level,
                    "polarization": r.polarization,
                    "url": r.url,
                    "bytes": r.size_bytes,
                    "md5sum": r.md5,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}
