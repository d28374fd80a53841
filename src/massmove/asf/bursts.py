"""Burst-sized downloads (``download.granularity: burst``): the IW SLC bursts of ASF's burst
service that cover the AOI, matched to the passes of the run's pairs, and what they save
against whole scenes.

A burst record comes from ASF's SLC-BURST collection (CMR UMM JSON, or asf-search's
``S1BurstProduct``): its granule name ``S1_{id}_IW{n}_{time}_{pol}_{crc}-BURST``, full burst id
``{relative orbit}_{id}_IW{n}``, byte length, the TIFF URL of the burst service
(``https://sentinel1-burst.asf.alaska.edu/{SLC}/{swath}/{pol}/{index}.tiff``; its metadata XML
is the same path with ``.xml``) and the SLC it was cut from.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import shapely

from massmove.asf.records import read_response, umm_items
from massmove.errors import InputError
from massmove.settings import StageSettings

# the bursts to download, in the search's raw folder: results/search/bursts.csv
BURST_TABLE = "bursts.csv"
BURST_COLUMNS = [
    "scene_id",
    "granule",
    "full_burst_id",
    "subswath",
    "burst_index",
    "polarization",
    "start_utc",
    "url",
    "xml_url",
    "size_bytes",
]


@dataclasses.dataclass(frozen=True)
class BurstRecord:
    """One burst of the SLC-BURST collection."""

    granule: str
    full_burst_id: str
    subswath: str
    burst_index: int
    polarization: str
    relative_orbit: int
    start_utc: dt.datetime
    scene_id: str
    footprint: shapely.Geometry
    url: str
    size_bytes: int

    @property
    def xml_url(self) -> str:
        """The burst service's metadata XML of this burst."""
        return self.url.rsplit(".", 1)[0] + ".xml"

    def to_row(self) -> dict[str, Any]:
        """Row of ``results/search/bursts.csv``."""
        return {
            "scene_id": self.scene_id,
            "granule": self.granule,
            "full_burst_id": self.full_burst_id,
            "subswath": self.subswath,
            "burst_index": self.burst_index,
            "polarization": self.polarization,
            "start_utc": self.start_utc.isoformat(),
            "url": self.url,
            "xml_url": self.xml_url,
            "size_bytes": self.size_bytes,
        }


def burst_from_product(
    properties: Mapping[str, Any], geometry: Mapping[str, Any], source: str
) -> BurstRecord:
    """A burst record from asf-search ``S1BurstProduct`` properties (GeoJSON feature form)."""
    try:
        burst = properties["burst"]
        url = str(properties["url"])
        start = dt.datetime.fromisoformat(str(properties["startTime"]).replace("Z", "+00:00"))
        return BurstRecord(
            granule=str(properties["fileID"]),
            full_burst_id=str(burst["fullBurstID"]),
            subswath=str(burst["subswath"]),
            burst_index=int(burst["burstIndex"]),
            polarization=str(properties["polarization"]),
            relative_orbit=int(properties["pathNumber"]),
            start_utc=start if start.tzinfo else start.replace(tzinfo=dt.UTC),
            scene_id=url.split("/")[3],
            footprint=shapely.geometry.shape(geometry),
            url=url,
            size_bytes=int(properties.get("bytes") or 0),
        )
    except (KeyError, TypeError, ValueError, IndexError) as err:
        raise InputError(
            f"{source}: burst record {properties.get('fileID', '?')} lacks or garbles {err}"
        ) from err


def load_burst_response(path: str | Path) -> list[BurstRecord]:
    """Bursts of a saved SLC-BURST search: CMR UMM JSON records (a list, ``items`` or one), or
    asf-search GeoJSON of burst products."""
    from asf_search import S1BurstProduct

    data = read_response(path, "burst search response")
    if isinstance(data, Mapping) and data.get("type") == "FeatureCollection":
        return [burst_from_product(f["properties"], f["geometry"], str(path)) for f in data["features"]]
    items = umm_items(data)
    if items is None:
        raise InputError(f"{path}: not CMR UMM JSON burst records nor asf-search GeoJSON")
    records = []
    for item in items:
        product = S1BurstProduct({"umm": item["umm"], "meta": item["meta"]})
        records.append(burst_from_product(product.properties, product.geometry, str(path)))
    return records


def query_bursts(
    config: StageSettings, track: str, aoi: shapely.Geometry
) -> tuple[list[BurstRecord], dict[str, Any]]:
    """Query ASF's SLC-BURST collection for one track over the AOI and period (network)."""
    import asf_search

    from massmove.asf.pairing import query_window

    results = asf_search.search(
        dataset=asf_search.DATASET.SLC_BURST,
        polarization=config["search"]["polarisation"],
        **query_window(config, track, aoi),
    )
    found = [burst_from_product(p.properties, p.geometry, f"ASF burst search {track}") for p in results]
    return found, results.geojson()


def bursts_for_scenes(
    bursts: Iterable[BurstRecord],
    pass_pairs: Sequence[tuple[Sequence[str], Sequence[str]]],
    aoi: shapely.Geometry,
    polarisation: str,
) -> list[BurstRecord]:
    """The bursts the pairs need: of each pair, the burst ids over the AOI that both passes
    hold (a burst only one pass has cannot make an interferogram), in both passes."""
    by_scene: dict[str, list[BurstRecord]] = {}
    for burst in bursts:
        if burst.polarization == polarisation and burst.footprint.intersects(aoi):
            by_scene.setdefault(burst.scene_id, []).append(burst)
    chosen: dict[str, BurstRecord] = {}
    for reference, secondary in pass_pairs:
        first = [b for s in reference for b in by_scene.get(s, [])]
        second = [b for s in secondary for b in by_scene.get(s, [])]
        common = {b.full_burst_id for b in first} & {b.full_burst_id for b in second}
        for burst in [*first, *second]:
            if burst.full_burst_id in common:
                chosen[burst.granule] = burst
    return sorted(chosen.values(), key=lambda b: (b.scene_id, b.subswath, b.burst_index))


def burst_savings(bursts: Sequence[BurstRecord], scene_bytes: Mapping[str, int]) -> dict[str, Any]:
    """What burst downloads fetch against the whole scenes of the same passes (for
    ``search_report.json``).

    Examples
    --------
    >>> burst_savings([], {"S1A_x": 4_000_000_000})["burst_bytes"]
    0
    """
    burst_bytes = sum(b.size_bytes for b in bursts)
    whole = sum(scene_bytes.values())
    per_scene = {}
    for scene, size in sorted(scene_bytes.items()):
        mine = [b for b in bursts if b.scene_id == scene]
        per_scene[scene] = {
            "scene_bytes": size,
            "bursts": len(mine),
            "burst_bytes": sum(b.size_bytes for b in mine),
        }
    return {
        "granularity": "burst",
        "scenes": len(scene_bytes),
        "scene_bytes": whole,
        "bursts": len(bursts),
        "burst_bytes": burst_bytes,
        "saved_bytes": whole - burst_bytes,
        "burst_share_of_scene_bytes": round(burst_bytes / whole, 4) if whole else None,
        "per_scene": per_scene,
    }


def write_burst_table(bursts: Sequence[BurstRecord], path: str | Path) -> None:
    """The burst table (header only when the run needs no burst), written in place: it goes
    into the search's raw folder, itself written atomically."""
    pd.DataFrame([b.to_row() for b in bursts], columns=BURST_COLUMNS).to_csv(path, index=False)


def read_burst_table(search_dir: str | Path) -> pd.DataFrame:
    """``results/search/bursts.csv``; a search of an earlier version without it is named."""
    path = Path(search_dir) / BURST_TABLE
    if not path.is_file():
        raise InputError(f"{path}: no burst table (a search older than burst support); rerun the search")
    return pd.read_csv(path)
