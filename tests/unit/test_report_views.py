"""The report's views of a pair: panels side by side at the product's pixels, the baseline on a
panel of its own, and the gallery's labels, crops and cap."""

from __future__ import annotations

import base64
import io
import re

import geopandas as gpd
import numpy as np
import shapely
from PIL import Image

from massmove.colormaps import STYLES
from massmove.grid import Grid
from massmove.io.raster_io import write_cog
from massmove.report import gallery
from massmove.report.gallery import GalleryItem, PairRasters, gallery_section, item_crops, pair_items
from massmove.report.panels import MAX_PANEL_PX, OUTLINE_RGB, pair_panels, panel_rgb
from massmove.report.raster_images import NO_DATA_RGB, coloured

GRID = Grid(2600000.0, 1100000.0, 12.5, 200, 200, "EPSG:2056")


def box_px(row0: int, col0: int, size: int) -> shapely.Polygon:
    west, north = GRID.west_m + col0 * 12.5, GRID.north_m - row0 * 12.5
    return shapely.box(west, north - size * 12.5, west + size * 12.5, north)


def frame(*geometries: shapely.Geometry, **columns) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(columns, geometry=list(geometries), crs=GRID.crs)


def images(text: str) -> dict[str, Image.Image]:
    """Decoded images of an HTML text by their alt text."""
    found = re.findall(r'alt="([^"]*)" src="data:image/(?:png|jpeg);base64,([^"]*)"', text)
    return {alt: Image.open(io.BytesIO(base64.b64decode(data))) for alt, data in found}


def test_outlines_are_burnt_at_the_product_pixels_and_the_baseline_stays_off_the_ensemble_panel():
    phase = np.zeros(GRID.shape, dtype=np.float32)
    detections = frame(box_px(20, 20, 16))
    baseline = frame(box_px(120, 120, 16))
    rgb = panel_rgb(phase, STYLES["phase_romao"], GRID, {"detections": detections}, step=1)
    white = np.all(rgb == OUTLINE_RGB["detections"], axis=-1)
    assert rgb.shape == (200, 200, 3) and white[20:37, 20:37].sum() >= 60 and white[40:].sum() == 0
    bands = {name: phase for name in ("wrapped_phase", "likelihood_mean", "likelihood_spread", "coherence")}
    text = pair_panels("A088_20180801_20180813", bands, GRID, {"detections": detections}, baseline)
    shown = images(text)
    names = [alt for alt in shown if alt.startswith("A088")]
    assert names == [
        "A088_20180801_20180813 wrapped phase",
        "A088_20180801_20180813 likelihood mean",
        "A088_20180801_20180813 likelihood spread",
        "A088_20180801_20180813 coherence",
        "A088_20180801_20180813 classical baseline on the phase",
    ]
    assert all(shown[name].size == (200, 200) for name in names)  # one image pixel per product pixel

    def orange(image):
        pixels = np.asarray(image.convert("RGB")).astype(int)
        return int((np.abs(pixels - OUTLINE_RGB["baseline"]).sum(axis=-1) < 60).sum())

    assert orange(shown[names[0]]) == 0 and orange(shown[names[-1]]) > 30
    assert 'type="checkbox"' in text  # click to enlarge, without script


def test_large_runs_are_decimated_to_the_panel_limit():
    grid = Grid(2600000.0, 1100000.0, 12.5, 2600, 1300, "EPSG:2056")
    bands = {"wrapped_phase": np.zeros(grid.shape, dtype=np.float32)}
    text = pair_panels("A088_20180801_20180813", bands, grid, {"detections": frame()})
    image = images(text)["A088_20180801_20180813 wrapped phase"]
    assert max(image.size) <= MAX_PANEL_PX and image.size == (434, 867)
    assert "37.5 m per image pixel (one product pixel in 3 along each axis" in text


def test_gallery_items_are_hits_false_alarms_and_misses_as_the_evaluation_matches_them():
    likelihood = np.zeros(GRID.shape, dtype=np.float32)
    likelihood[60:80, 60:80] = 0.3  # under the missed pattern
    detections = frame(
        box_px(10, 10, 20), box_px(100, 100, 10), likelihood_max=[0.9, 0.6], confirmed=[True, False]
    )
    reference = frame(box_px(11, 11, 20), box_px(60, 60, 20))
    items = pair_items("A", detections, reference, likelihood, GRID, 0.4)
    assert [(i.label, i.likelihood, i.confirmed) for i in items] == [
        ("hit", 0.9, True),
        ("false alarm", 0.6, False),
        ("miss", 0.30000001192092896, None),
    ]
    alone = pair_items("A", detections, None, likelihood, GRID, 0.4)
    assert {i.label for i in alone} == {"detection"}


def pair_files(tmp_path, pair_id: str, grid: Grid, phase: np.ndarray, reference=()) -> PairRasters:
    """A pair's product and likelihood files on ``grid`` for the gallery."""
    product, likelihood = tmp_path / f"{pair_id}.tif", tmp_path / f"{pair_id}_likelihood.tif"
    write_cog(product, [phase, np.ones_like(phase)], ["wrapped_phase", "coherence"], grid, {})
    write_cog(likelihood, [np.zeros_like(phase)] * 2, ["likelihood_mean", "likelihood_spread"], grid, {})
    return PairRasters(pair_id, product, likelihood, grid, list(reference))


def test_gallery_crops_every_pair_that_covers_the_spot_and_caps_each_label(tmp_path, monkeypatch):
    phase = np.zeros(GRID.shape, dtype=np.float32)
    # a descending frame on a grid of its own, shifted by 40 px east and 10 px south
    shifted = Grid(GRID.west_m + 500.0, GRID.north_m - 125.0, 12.5, 200, 200, GRID.crs)
    rasters = [
        pair_files(tmp_path, "A088_20180801_20180813", GRID, phase, [box_px(50, 50, 10)]),
        pair_files(tmp_path, "D066_20180801_20180813", GRID, np.full(GRID.shape, np.nan, np.float32)),
        pair_files(tmp_path, "D066_20180801_20180819", shifted, phase + 1.0),
    ]
    item = GalleryItem("hit", "A088_20180801_20180813", box_px(40, 40, 20), 0.8, 62_500.0, True)
    canvas, shown = item_crops(item, rasters, GRID)
    assert shown == ["A088_20180801_20180813", "D066_20180801_20180819"]  # the second covers nothing
    side = 128  # 1.6 km at 12.5 m
    assert canvas.shape == (3 * side + 2 * 2, 2 * side + 2, 3)
    # the shifted pair's crop is centred on the same ground: its phase (1 rad) fills the tile
    # but where its grid ends (40 px west of the item's crop edge), no data (grey)
    tile = canvas[:side, side + 2 :]
    assert (tile[64, 64] == coloured(np.array([[1.0]]), STYLES["phase_romao"])[0, 0]).all()
    assert (tile[100, 5] == NO_DATA_RGB).all()
    monkeypatch.setattr(gallery, "PER_LABEL", 1)
    alarms = [item._replace(label="false alarm", likelihood=v) for v in (0.7, 0.9, 0.6)]
    text = gallery_section([item, *alarms], rasters)
    assert "1 hit, 3 false alarms." in text
    assert "false alarm</b> in A088_20180801_20180813: likelihood 0.90" in text
    assert "2 more of this label are not shown (likelihood 0.60 to 0.70)" in text
    assert "Nothing to show" in gallery_section([], rasters)


def test_gallery_counts_references_as_the_evaluation_does():
    likelihood = np.zeros(GRID.shape, dtype=np.float32)
    edge = shapely.box(GRID.west_m - 100.0, GRID.north_m - 250.0, GRID.west_m + 150.0, GRID.north_m)
    inside = shapely.intersection(edge, shapely.box(*GRID.bounds))
    outside = shapely.box(
        GRID.west_m - 900.0, GRID.north_m - 900.0, GRID.west_m - 500.0, GRID.north_m - 500.0
    )
    detections = frame(inside, likelihood_max=[0.8])
    items = pair_items("A", detections, frame(edge, outside), likelihood, GRID, 0.4)
    assert [i.label for i in items] == ["hit"]  # clipped to the grid; the reference outside it is no miss
