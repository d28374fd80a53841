"""Bursts of Sentinel-1 IW SLC products from their annotation XML, selected by AOI and matched
between acquisitions by ground position (ESA burst IDs), not by index.

The burst ID follows the Sentinel-1 Level-1 Detailed Algorithm Definition (DI-MPC-IPFDPM):
``1 + floor((t_b - t_anx + (relative_orbit - 1) * T_orb - T_pre) / T_beam)`` with ``t_b`` the
burst centre time, ``t_anx`` the ascending node time, ``T_orb = 12 days / 175``,
``T_pre = 2.299849 s`` and ``T_beam = 2.758273 s`` (IW). Bursts imaging the same ground in two
acquisitions of a track share their ID even when the products start at different bursts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import shapely

from massmove.errors import InputError

T_ORB_S = 12 * 24 * 3600 / 175
T_PRE_S = 2.299849
T_BEAM_S = 2.758273
ORBIT_OFFSET = {"S1A": 73, "S1B": 27, "S1C": 172, "S1D": 103}  # relative = (absolute - offset) % 175 + 1


@dataclasses.dataclass(frozen=True)
class Burst:
    """One burst of one subswath."""

    swath: str
    index: int  # position in the product's burst list (0-based)
    burst_id: int  # ESA relative burst ID: the same ground in every acquisition of the track
    azimuth_time: dt.datetime
    footprint: shapely.Polygon  # longitude/latitude


@dataclasses.dataclass(frozen=True)
class SwathAnnotation:
    """What burst selection needs from one annotation file."""

    path: Path
    mission: str
    swath: str
    polarisation: str
    direction: str
    relative_orbit: int
    bursts: tuple[Burst, ...]


def _time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def burst_id(burst_centre: dt.datetime, ascending_node: dt.datetime, relative_orbit: int) -> int:
    """ESA relative burst ID of an IW burst.

    Examples
    --------
    >>> anx = dt.datetime(2021, 4, 1, 4, 49, 55, 637823)
    >>> burst_id(anx + dt.timedelta(seconds=2194.0), anx, 168)
    359499
    """
    since_anx = (burst_centre - ascending_node).total_seconds() + (relative_orbit - 1) * T_ORB_S
    return 1 + math.floor((since_anx - T_PRE_S) / T_BEAM_S)


def read_safe_annotations(safe_zip: str | Path, polarisation: str) -> list[SwathAnnotation]:
    """The IW subswath annotations of one polarisation inside a zipped SAFE product.

    Raises
    ------
    InputError
        The file is not a zip, or holds no IW SLC annotation of that polarisation.
    """
    safe_zip = Path(safe_zip)
    pattern = re.compile(rf"^[^/]+\.SAFE/annotation/s1[abcd]-iw[123]-slc-{polarisation.lower()}-[^/]+\.xml$")
    try:
        with zipfile.ZipFile(safe_zip) as archive:
            names = sorted(n for n in archive.namelist() if pattern.match(n))
            annotations = [parse_annotation(archive.read(n), safe_zip / n) for n in names]
    except (zipfile.BadZipFile, OSError) as err:
        raise InputError(f"{safe_zip}: not a readable SAFE zip ({err})") from err
    if not annotations:
        raise InputError(f"{safe_zip}: no IW SLC annotation of polarisation {polarisation}")
    return annotations


def _node(parent: ET.Element, path: str) -> ET.Element:
    """The element at ``path``; a missing one is a ValueError naming it."""
    node = parent.find(path)
    if node is None:
        raise ValueError(f"no {path}")
    return node


def _text(parent: ET.Element, path: str) -> str:
    """The text at ``path``; a missing one is a ValueError naming it."""
    text = parent.findtext(path)
    if text is None:
        raise ValueError(f"no {path}")
    return text


def parse_annotation(data: bytes, path: Path) -> SwathAnnotation:
    """Parse the bytes of an IW SLC annotation; ``path`` names it in errors."""
    try:
        root = ET.fromstring(data)
        header = _node(root, "adsHeader")
        mission = _text(header, "missionId")
        swath = _text(header, "swath")
        absolute_orbit = int(_text(header, "absoluteOrbitNumber"))
        anx = _time(_text(root, "imageAnnotation/imageInformation/ascendingNodeTime"))
        interval = float(_text(root, "imageAnnotation/imageInformation/azimuthTimeInterval"))
        lines_per_burst = int(_text(root, "swathTiming/linesPerBurst"))
        points = [
            (
                int(_text(p, "line")),
                int(_text(p, "pixel")),
                float(_text(p, "longitude")),
                float(_text(p, "latitude")),
            )
            for p in root.iter("geolocationGridPoint")
        ]
        burst_nodes = list(_node(root, "swathTiming/burstList"))
        direction = _text(root, "generalAnnotation/productInformation/pass").lower()
        polarisation = _text(header, "polarisation")
        starts = [_time(_text(node, "azimuthTime")) for node in burst_nodes]
    except (AttributeError, TypeError, ValueError, ET.ParseError) as err:
        raise InputError(f"{path}: not a readable Sentinel-1 SLC annotation ({err})") from err
    if not burst_nodes or not mission or mission not in ORBIT_OFFSET:
        raise InputError(f"{path}: no burst list, or unknown mission {mission!r}")
    relative_orbit = (absolute_orbit - ORBIT_OFFSET[mission]) % 175 + 1
    grid_lines = sorted({line for line, _, _, _ in points})
    bursts = []
    for index, start in enumerate(starts):
        centre = start + dt.timedelta(seconds=lines_per_burst * interval / 2)
        top = min(grid_lines, key=lambda line: abs(line - index * lines_per_burst))
        bottom = min(grid_lines, key=lambda line: abs(line - (index + 1) * lines_per_burst))
        upper = sorted((px, lon, lat) for line, px, lon, lat in points if line == top)
        lower = sorted((px, lon, lat) for line, px, lon, lat in points if line == bottom)
        ring = [(lon, lat) for _, lon, lat in upper] + [(lon, lat) for _, lon, lat in reversed(lower)]
        bursts.append(
            Burst(swath, index, burst_id(centre, anx, relative_orbit), start, shapely.Polygon(ring))
        )
    return SwathAnnotation(path, mission, swath, polarisation, direction, relative_orbit, tuple(bursts))


def bursts_over_aoi(
    bursts_by_swath: Mapping[str, Sequence[Burst]], aoi: shapely.Geometry, products: Sequence[str | Path]
) -> dict[str, list[Burst]]:
    """Per subswath, the bursts whose footprint intersects the AOI (subswaths without any left
    out), in subswath order.

    Raises
    ------
    InputError
        No burst of ``products`` covers the AOI (the products are named).
    """
    selected = {
        swath: [b for b in bursts_by_swath[swath] if b.footprint.intersects(aoi)]
        for swath in sorted(bursts_by_swath)
    }
    selected = {swath: bursts for swath, bursts in selected.items() if bursts}
    if not selected:
        names = ", ".join(Path(p).name for p in products)
        raise InputError(f"{names}: no burst covers the AOI {tuple(round(v, 4) for v in aoi.bounds)}")
    return selected


def match_bursts(reference: Sequence[Burst], secondary: Sequence[Burst]) -> list[tuple[Burst, Burst]]:
    """Pair the reference bursts with the secondary bursts over the same ground (same burst ID).

    Raises
    ------
    InputError
        The secondary lacks bursts the reference needs (named by ID).
    """
    by_id = {b.burst_id: b for b in secondary}
    missing = [b.burst_id for b in reference if b.burst_id not in by_id]
    if missing:
        raise InputError(f"the secondary product lacks bursts {missing} of subswath {reference[0].swath}")
    return [(b, by_id[b.burst_id]) for b in reference]
