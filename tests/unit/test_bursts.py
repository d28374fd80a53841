"""Burst selection and matching on real Sentinel-1 IW SLC annotation (metadata only)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
import shapely

from massmove.errors import InputError
from massmove.snap.bursts import SwathAnnotation, bursts_over_aoi, match_bursts, parse_annotation
from tests.snap.safe import shifted_annotation

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "s1_annotation"
IW1 = FIXTURES / "s1b-iw1-slc-vv-20210401t052624-20210401t052649-026269-032297-004.xml.gz"
IW2 = FIXTURES / "s1b-iw2-slc-vh-20210401t052622-20210401t052650-026269-032297-002.xml.gz"


def read_annotation(path: Path) -> SwathAnnotation:
    """An annotation fixture (plain or gzip-compressed XML)."""
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return parse_annotation(data, path)


def select_bursts(annotations: list[SwathAnnotation], aoi: shapely.Geometry) -> dict:
    """The bursts of single-product annotations over the AOI."""
    return bursts_over_aoi({a.swath: a.bursts for a in annotations}, aoi, [a.path for a in annotations])


def test_real_annotation_parses():
    iw1 = read_annotation(IW1)
    assert (iw1.mission, iw1.swath, iw1.polarisation, iw1.direction) == ("S1B", "IW1", "VV", "descending")
    assert iw1.relative_orbit == 168  # as the product's manifest says
    assert len(iw1.bursts) == 9
    ids = [b.burst_id for b in iw1.bursts]
    assert ids == list(range(ids[0], ids[0] + 9))  # one ID per 2.758 s burst cycle: consecutive
    for a, b in zip(iw1.bursts, iw1.bursts[1:], strict=False):
        assert 2.7 < (b.azimuth_time - a.azimuth_time).total_seconds() < 2.8
        # descending: each burst lies south of the previous and borders it (grid lines are the
        # burst boundaries of the annotation)
        assert b.footprint.centroid.y < a.footprint.centroid.y
        assert a.footprint.distance(b.footprint) < 1e-9
        assert a.footprint.intersection(b.footprint).area < 0.01 * a.footprint.area
    # about 20 km along track and 85 km across
    assert all(0.15 < b.footprint.area < 0.3 for b in iw1.bursts)


def test_subswaths_share_burst_ids_over_the_same_time():
    iw1, iw2 = read_annotation(IW1), read_annotation(IW2)
    assert {b.burst_id for b in iw1.bursts} <= {b.burst_id for b in iw2.bursts}
    # IW2 lies to the west (descending, right-looking: farther range)
    assert iw2.bursts[3].footprint.centroid.x < iw1.bursts[3].footprint.centroid.x


def test_aoi_selects_the_bursts_that_cover_it():
    iw1, iw2 = read_annotation(IW1), read_annotation(IW2)
    centre = iw1.bursts[4].footprint.centroid
    aoi = shapely.box(centre.x - 0.05, centre.y - 0.02, centre.x + 0.05, centre.y + 0.02)
    selected = select_bursts([iw1, iw2], aoi)
    assert list(selected) == ["IW1"]
    assert [b.index for b in selected["IW1"]] == [4]
    wide = shapely.box(10.9, centre.y - 0.02, 12.3, centre.y + 0.02)  # across the IW1/IW2 seam
    selected = select_bursts([iw1, iw2], wide)
    assert set(selected) == {"IW1", "IW2"}
    with pytest.raises(InputError, match="no burst covers the AOI") as err:
        select_bursts([iw1], shapely.box(7.0, 46.0, 7.5, 46.3))
    assert IW1.name in str(err.value)


def _shifted_product(tmp_path: Path, drop_first: int, days: int) -> Path:
    """The same track 12 days later, its product starting two bursts later (a different frame)."""
    text = gzip.decompress(IW1.read_bytes()).decode()
    path = tmp_path / "secondary.xml"
    path.write_text(shifted_annotation(text, days=days, drop_first=drop_first))
    return path


def test_bursts_are_matched_by_ground_position_not_index(tmp_path):
    reference = read_annotation(IW1)
    secondary = read_annotation(_shifted_product(tmp_path, drop_first=2, days=12))
    assert secondary.relative_orbit == 168 and len(secondary.bursts) == 7
    needed = reference.bursts[3:6]
    pairs = match_bursts(needed, secondary.bursts)
    assert [(r.index, s.index) for r, s in pairs] == [(3, 1), (4, 2), (5, 3)]
    assert all(r.burst_id == s.burst_id for r, s in pairs)
    with pytest.raises(InputError, match=r"lacks bursts \[") as err:
        match_bursts(reference.bursts[:3], secondary.bursts)
    assert str(reference.bursts[0].burst_id) in str(err.value)


def test_unreadable_annotation_is_named(tmp_path):
    bad = tmp_path / "broken.xml"
    bad.write_text("<product><adsHeader>")
    with pytest.raises(InputError, match="broken.xml"):
        read_annotation(bad)
