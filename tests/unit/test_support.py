"""Support of a detected area across pairs: coverage, readable coherence, direction of motion,
detections and likelihood of each pair; the merged layer and every pair's detections."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely

from massmove.detect.support import (
    PairView,
    downslope_direction,
    line_of_sight_enu,
    los_of_tags,
    polygon_pixels,
    polygon_support,
)
from massmove.detect.vectorise import detection_polygons
from massmove.grid import Grid
from massmove.io.raster_io import write_cog
from massmove.io.vector import write_gpkg
from massmove.settings import StageSettings
from massmove.stages.detect import merge_stage

GRID = Grid(2600000.0, 1100000.0, 12.5, 40, 40, "EPSG:2056")
WEST, NORTH = GRID.west_m, GRID.north_m


def box_px(rows: slice, cols: slice) -> shapely.Polygon:
    """The map outline of a block of pixels of GRID."""
    return shapely.box(
        WEST + cols.start * 12.5, NORTH - rows.stop * 12.5, WEST + cols.stop * 12.5, NORTH - rows.start * 12.5
    )


AREA_1, AREA_2 = (slice(2, 12), slice(3, 13)), (slice(25, 35), slice(25, 35))


def areas() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"area_id": [1, 2]}, geometry=[box_px(*AREA_1), box_px(*AREA_2)], crs=GRID.crs)


def view(
    pair_id, *, coherence=0.6, likelihood=0.1, threshold=0.5, los=None, low_coherence_on=None, acquisitions=()
):
    coh = np.full(GRID.shape, coherence, dtype=np.float32)
    if low_coherence_on is not None:
        coh[low_coherence_on] = 0.1
    mean = np.full(GRID.shape, likelihood, dtype=np.float32)
    return PairView(pair_id, coh, mean, threshold, los, frozenset(acquisitions))


def test_could_see_needs_readable_coherence_and_support_needs_a_detection_or_the_likelihood():
    likely = view("B", likelihood=0.1)
    likely.likelihood_mean[AREA_2] = 0.7  # B's likelihood reaches its threshold on area 2 only
    likely.likelihood_mean[AREA_1] = 0.3  # and half of it on area 1
    views = [
        view("A"),  # detects area 1 (detected_in), readable everywhere
        likely,
        view("C", low_coherence_on=AREA_1),  # decorrelated on area 1: cannot show it
        view("D", coherence=float("nan")),  # covers nothing
    ]
    settings = {"min_coherence": 0.3, "min_los_share": 0.2, "min_support": 2, "independent": False}
    frame = polygon_support(areas(), [{"A"}, set()], views, GRID, **settings)
    assert frame["could_see"].tolist() == ["A;B", "A;B;C"]
    assert frame["supported_by"].tolist() == ["A", "B"]
    assert frame["support"].tolist() == [1, 1] and frame["n_could_see"].tolist() == [2, 3]
    assert frame["confirmed"].tolist() == [False, False]
    confirmed = polygon_support(areas(), [{"A", "B"}, set()], views, GRID, **settings)
    assert confirmed["support"].tolist() == [2, 1] and confirmed["confirmed"].tolist() == [True, False]
    # a lower bar for support than for detection: B's 0.3 over area 1 reaches half its 0.5
    lower = polygon_support(areas(), [{"A"}, set()], views, GRID, **settings, min_likelihood_share=0.5)
    assert lower["supported_by"].tolist() == ["A;B", "B"]


def test_pairs_that_share_an_acquisition_count_once_towards_confirmation():
    views = [
        view("A12", likelihood=0.8, acquisitions={"A088@2018-08-01", "A088@2018-08-13"}),
        view("A18", likelihood=0.8, acquisitions={"A088@2018-08-01", "A088@2018-08-19"}),
        view("D12", acquisitions={"D066@2018-08-01", "D066@2018-08-13"}),
    ]
    settings = {"min_coherence": 0.3, "min_los_share": 0.2, "min_support": 2}
    # the two ascending pairs support both areas; they share their reference pass
    independent = polygon_support(areas(), [{"A12"}, set()], views, GRID, **settings, independent=True)
    assert independent["support"].tolist() == [2, 2]
    assert independent["independent_support"].tolist() == [1, 1]
    assert independent["confirmed"].tolist() == [False, False]
    views[2].likelihood_mean[AREA_1] = 0.9  # the descending pair supports area 1: independent witness
    independent = polygon_support(areas(), [{"A12"}, set()], views, GRID, **settings, independent=True)
    assert independent["independent_support"].tolist() == [2, 1]
    assert independent["confirmed"].tolist() == [True, False]
    every = polygon_support(areas(), [{"A12"}, set()], views, GRID, **settings, independent=False)
    assert every["support"].tolist() == [3, 2] and every["confirmed"].tolist() == [True, True]


def test_pairs_on_grids_of_their_own_are_read_where_the_area_lies():
    # a frame reaching 10 px further west and 5 px further north: area 1 lies at its rows 7-17,
    # columns 13-23
    shifted = Grid(WEST - 125.0, NORTH + 62.5, 12.5, 40, 40, GRID.crs)
    own = view("B", acquisitions={"D066@1", "D066@13"})
    mean = np.full(GRID.shape, 0.1, dtype=np.float32)
    mean[7:17, 13:23] = 0.9
    moved = own._replace(likelihood_mean=mean, grid=shifted)
    settings = {"min_coherence": 0.3, "min_los_share": 0.2, "min_support": 2, "independent": True}
    views = [view("A", acquisitions={"A088@1", "A088@13"}), moved]
    frame = polygon_support(areas(), [{"A"}, set()], views, GRID, **settings)
    assert frame["supported_by"].tolist() == ["A;B", ""] and frame["confirmed"].tolist() == [True, False]
    # read on the shared grid instead, B's high likelihood would miss area 1
    frame = polygon_support(
        areas(), [{"A"}, set()], [views[0], own._replace(likelihood_mean=mean)], GRID, **settings
    )
    assert frame["supported_by"].tolist() == ["A", ""]


def east_facing_slope(slope_deg: float) -> tuple[np.ndarray, Grid]:
    """A DEM falling eastwards at ``slope_deg`` on a grid around GRID."""
    dem_grid = Grid(WEST - 100.0, NORTH + 100.0, 25.0, 40, 40, "EPSG:2056")
    east, _ = dem_grid.centres()
    return 3000.0 - math.tan(math.radians(slope_deg)) * (east - east.min()), dem_grid


def test_downslope_direction_of_a_plane():
    pixels = polygon_pixels(box_px(*AREA_1), GRID)
    assert pixels is not None and int(pixels.mask.sum()) == 100
    dem, dem_grid = east_facing_slope(30.0)
    direction = downslope_direction(pixels, GRID, dem, dem_grid)
    expected = (math.cos(math.radians(30)), 0.0, -math.sin(math.radians(30)))
    np.testing.assert_allclose(direction, expected, atol=1e-9)
    flat = downslope_direction(pixels, GRID, np.full_like(dem, 500.0), dem_grid)
    assert flat.tolist() == [0.0, 0.0, 0.0]


def test_polygon_pixels_of_small_and_outside_polygons():
    sliver = shapely.box(WEST + 10.0, NORTH - 11.0, WEST + 11.0, NORTH - 10.0)  # holds no pixel centre
    pixels = polygon_pixels(sliver, GRID)
    assert pixels is not None and int(pixels.mask.sum()) == 1
    assert polygon_pixels(shapely.box(0, 0, 10, 10), GRID) is None


def test_a_pair_looking_across_the_motion_cannot_show_it():
    dem = east_facing_slope(30.0)
    # ascending (heading -10 deg) looks east: sees an east-facing slope's motion well;
    # a sensor flying east (heading 90) looks south, across the eastward motion
    along = line_of_sight_enu(-10.0, 40.0)
    across = line_of_sight_enu(90.0, 40.0)
    assert abs(float(np.dot(across, (math.cos(math.radians(30)), 0.0, -0.5)))) < 0.5
    views = [view("ASC", los=along), view("ACROSS", los=across), view("UNKNOWN", los=None)]
    settings = {"min_coherence": 0.3, "min_los_share": 0.6, "min_support": 1, "independent": False}
    frame = polygon_support(areas().iloc[:1], [{"ASC"}], views, GRID, **settings, dem=dem)
    assert frame["could_see"].tolist() == ["ASC;UNKNOWN"]
    without_dem = polygon_support(areas().iloc[:1], [{"ASC"}], views, GRID, **settings)
    assert without_dem["could_see"].tolist() == ["ACROSS;ASC;UNKNOWN"]


def test_line_of_sight_of_tags():
    assert los_of_tags({"heading_deg": "-10.0", "incidence_deg": "unknown"}) is None
    assert los_of_tags({}) is None
    assert los_of_tags({"heading_deg": "190", "incidence_deg": "40"}) == pytest.approx(
        line_of_sight_enu(190, 40)
    )


def pair_files(tmp_path, pair_id, track, mean, coherence, heading):
    tags = {"pair_id": pair_id, "track": track, "reference": "2018-08-01", "secondary": "2018-08-13",
            "baseline_days": "12"}  # fmt: skip
    spread = np.zeros_like(mean)
    calibrated = {"calibrated_threshold": "0.5", "calibrated_min_area_m2": "0.0"}
    write_cog(tmp_path / "likelihood" / f"{pair_id}.tif", [mean, spread],
              ["likelihood_mean", "likelihood_spread"], GRID, {**tags, **calibrated})  # fmt: skip
    phase = np.zeros_like(mean)
    write_cog(tmp_path / "products" / f"{pair_id}.tif", [phase, coherence], ["wrapped_phase", "coherence"],
              GRID, {**tags, "heading_deg": heading, "incidence_deg": 40.0})  # fmt: skip
    detections = detection_polygons(mean, spread, GRID, tags, threshold=0.5, min_area_m2=0.0)
    write_gpkg(tmp_path / "detections" / f"{pair_id}.gpkg", detections, layer="detections")


def merge_config(min_support: int = 2, independent_pairs: bool = True) -> StageSettings:
    return StageSettings.of(
        "merge_detections",
        {
            "crs": "EPSG:2056",
            "detection": {
                "threshold": None,
                "min_area_m2": None,
                "min_support": min_support,
                "support": {
                    "min_coherence": 0.3,
                    "min_los_share": 0.2,
                    "independent_pairs": independent_pairs,
                    "min_likelihood_share": 1.0,
                },
            },
        },
    )


def test_merged_layer_and_pair_detections_carry_the_support(tmp_path):
    readable = np.full(GRID.shape, 0.6, dtype=np.float32)
    first = np.zeros(GRID.shape, dtype=np.float32)
    first[AREA_1] = 0.8
    first[AREA_2] = 0.9
    second = np.zeros(GRID.shape, dtype=np.float32)
    second[4:10, 5:11] = 0.7  # area 1 again, smaller
    third = np.zeros(GRID.shape, dtype=np.float32)
    decorrelated = readable.copy()
    decorrelated[AREA_2] = np.nan  # cannot show area 2
    pair_files(tmp_path, "A088_20180801_20180813", "A088", first, readable, -10.0)
    pair_files(tmp_path, "D066_20180801_20180813", "D066", second, readable, -170.0)
    pair_files(tmp_path, "D066_20180801_20180819", "D066", third, decorrelated, -170.0)
    pairs = ["A088_20180801_20180813", "D066_20180801_20180813", "D066_20180801_20180819"]
    merge_stage(
        merge_config(),
        [tmp_path / "detections" / f"{p}.gpkg" for p in pairs],
        [tmp_path / "likelihood" / f"{p}.tif" for p in pairs],
        [tmp_path / "products" / f"{p}.tif" for p in pairs],
        None,
        tmp_path / "detections.gpkg",
    )
    merged = gpd.read_file(tmp_path / "detections.gpkg", layer="detections").sort_values("area_m2")
    assert merged["n_pairs"].tolist() == [2, 1]
    by_area = merged.set_index("n_pairs")
    assert by_area.loc[2, "supported_by"] == "A088_20180801_20180813;D066_20180801_20180813"
    assert by_area.loc[2, "could_see"] == ";".join(pairs) and by_area.loc[2, "confirmed"]
    assert by_area.loc[1, "could_see"] == "A088_20180801_20180813;D066_20180801_20180813"
    assert by_area.loc[1, "support"] == 1 and not by_area.loc[1, "confirmed"]
    per_pair = gpd.read_file(tmp_path / "detections.gpkg", layer="pair_detections")
    assert len(per_pair) == 3 and set(per_pair["pair_id"]) == set(pairs[:2])
    confirmed = per_pair.groupby("pair_id")["confirmed"].sum().to_dict()
    assert confirmed == {"A088_20180801_20180813": 1, "D066_20180801_20180813": 1}
    assert set(per_pair["area_id"]) == set(merged["area_id"])


def test_nothing_detected_writes_both_layers_empty(tmp_path):
    pair = "A088_20180801_20180813"
    pair_files(
        tmp_path, pair, "A088", np.zeros(GRID.shape, np.float32), np.ones(GRID.shape, np.float32), -10.0
    )
    merge_stage(
        merge_config(),
        [tmp_path / "detections" / f"{pair}.gpkg"],
        [tmp_path / "likelihood" / f"{pair}.tif"],
        [tmp_path / "products" / f"{pair}.tif"],
        None,
        tmp_path / "detections.gpkg",
    )
    for layer in ("detections", "pair_detections"):
        frame = gpd.read_file(tmp_path / "detections.gpkg", layer=layer)
        assert frame.empty and {"support", "could_see", "confirmed"} <= set(frame.columns)


def truth(movements: dict[int, shapely.Polygon]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"movement_id": list(movements), "class": "coherent"}, geometry=list(movements.values()), crs=GRID.crs
    )


def test_persistent_truth_keeps_each_pairs_patterns_shown_in_enough_pairs():
    from massmove.evaluate.support import persistent_references

    one, two = box_px(*AREA_1), box_px(*AREA_2)
    references = {"A": truth({1: one, 2: two}), "B": truth({1: box_px(slice(2, 12), slice(3, 15))})}
    persistent = persistent_references(references, 2)
    assert persistent["A"]["movement_id"].tolist() == [1] and persistent["B"]["movement_id"].tolist() == [1]
    assert len(persistent_references(references, 1)["A"]) == 2
    shared = {"A": frozenset({"A088@1", "A088@13"}), "B": frozenset({"A088@1", "A088@19"})}
    assert persistent_references(references, 2, shared)["B"].empty  # one reference pass: not independent
    apart = {"A": frozenset({"A088@1", "A088@13"}), "B": frozenset({"D066@1", "D066@13"})}
    assert persistent_references(references, 2, apart)["B"]["movement_id"].tolist() == [1]
    inventory = gpd.GeoDataFrame(geometry=[one, two], crs=GRID.crs)  # one reference for every pair
    assert len(persistent_references({"A": inventory, "B": inventory}, 2)["B"]) == 2


def test_confirmed_detections_are_scored_against_the_persistent_truth_beside_every_detection():
    from massmove.evaluate.support import support_evaluation

    detections = gpd.GeoDataFrame(
        {"pair_id": ["A", "A", "A", "B"], "confirmed": [True, False, False, True]},
        geometry=[box_px(*AREA_1), box_px(*AREA_2), box_px(slice(14, 20), slice(0, 6)), box_px(*AREA_1)],
        crs=GRID.crs,
    )
    references = {"A": truth({1: box_px(*AREA_1), 2: box_px(*AREA_2)}), "B": truth({1: box_px(*AREA_1)})}
    covered = {"A": 0.25, "B": 0.25}
    result = support_evaluation(detections, references, covered, min_support=2, iou_threshold=0.4)
    assert result["persistent_references"] == 2  # movement 1 in A and in B; movement 2 only in A
    every = result["every_detection"]
    assert (every["detections"], every["references"], every["matched"]) == (4, 2, 2)
    assert every["false_alarms_per_100km2"] == pytest.approx(2 / 0.5 * 100)
    confirmed = result["confirmed"]
    assert (confirmed["detections"], confirmed["matched"], confirmed["recall"]) == (2, 2, 1.0)
    assert confirmed["false_alarms_per_100km2"] == 0.0
    assert result["pairs"]["A"]["every_detection"]["detections"] == 3
    nothing = support_evaluation(detections.iloc[:0], references, covered, min_support=2, iou_threshold=0.4)
    assert nothing["confirmed"]["precision"] is None and nothing["confirmed"]["recall"] == 0.0
