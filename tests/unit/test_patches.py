"""Training patches: labels on the grid, sampling, folds split by area."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from massmove.detect.channels import product_channels
from massmove.grid import Grid
from massmove.io.labels import rasterise_labels
from massmove.io.raster_io import write_cog
from massmove.model.patches import (
    HardnessRule,
    assign_folds,
    fold_split,
    hard_spot,
    hardness_score,
    patch_origins,
    product_patches,
    select_patches,
    tile_indices,
)

RULE = HardnessRule(window_px=9, min_coherence=0.35)


def test_channels_are_unit_phasor_and_scaled_coherence_with_nodata_zero():
    phase = np.array([[0.0, np.pi / 2, np.nan]])
    coherence = np.array([[0.75, 0.25, 0.5]])
    x, valid = product_channels(phase, coherence, ["cos_phase", "sin_phase", "coherence"])
    np.testing.assert_allclose(x[:, 0, 0], [1.0, 0.0, 1.0], atol=1e-7)
    np.testing.assert_allclose(x[:, 0, 1], [0.0, 1.0, -1.0], atol=1e-7)
    assert x[:, 0, 2].tolist() == [0.0, 0.0, 0.0] and valid.tolist() == [[True, True, False]]


def test_labels_cover_pixel_centres_inside_polygons():
    grid = Grid(0.0, 100.0, 10.0, 10, 10, "EPSG:2056")
    square = shapely.box(20.0, 50.0, 60.0, 90.0)  # columns 2..5, rows 1..4
    label = rasterise_labels(gpd.GeoDataFrame(geometry=[square], crs="EPSG:2056"), grid)
    assert label.sum() == 16
    assert label[1:5, 2:6].all()


def test_patch_origins_reach_every_edge():
    origins = patch_origins((300, 200), 128, 64)
    covered = np.zeros((300, 200), dtype=bool)
    for r, c in origins:
        covered[r : r + 128, c : c + 128] = True
    assert covered.all()
    assert origins[:, 0].max() == 300 - 128 and origins[:, 1].max() == 200 - 128


def test_select_patches_takes_all_positives_hardest_and_a_random_share():
    labels = np.zeros((20, 4, 4), dtype=np.uint8)
    labels[:5, 0, 0] = 1  # five positive patches
    score = np.arange(20, dtype=float)  # patch 19 is the hardest
    index, kinds = select_patches(
        labels, score, negative_share=0.4, hard_negative_share=0.6, rng=np.random.default_rng(0)
    )
    assert sorted(index[kinds == 0]) == [0, 1, 2, 3, 4]
    assert sorted(index[kinds == 2]) == [17, 18, 19]
    random_negatives = index[kinds == 1]
    assert len(random_negatives) == 2 and set(random_negatives) <= set(range(5, 17))


def test_hardness_ranks_coherent_local_fringes_above_calm_ramps_and_decorrelation():
    rows, cols = np.mgrid[0:128, 0:128]
    coherent, valid = np.full((128, 128), 0.8), np.ones((128, 128), dtype=bool)
    ramp = 0.3 * cols  # an atmospheric ramp: fringes everywhere, nothing stands out
    bump = ramp + 5.0 * np.exp(-((rows - 64) ** 2 + (cols - 64) ** 2) / 60.0)  # a local pattern on it
    scores = {
        "calm": hardness_score(np.zeros((128, 128)), coherent, valid, RULE),
        "ramp": hardness_score(np.angle(np.exp(1j * ramp)), coherent, valid, RULE),
        "bump": hardness_score(np.angle(np.exp(1j * bump)), coherent, valid, RULE),
        "decorrelated": hardness_score(
            np.random.default_rng(0).uniform(-np.pi, np.pi, (128, 128)), np.full((128, 128), 0.1), valid, RULE
        ),
    }
    assert scores["calm"] == pytest.approx(0.0, abs=1e-12) and scores["ramp"] == pytest.approx(0.0, abs=1e-9)
    assert scores["decorrelated"] == 0.0  # the coherence channel rejects it alone: not hard
    assert scores["bump"] > 0.15


def test_tiles_cover_the_product_without_overlap():
    origins = patch_origins((300, 260), 64, 16)
    tiles = origins[tile_indices(origins, 64)]
    assert sorted(map(tuple, tiles)) == [(r, c) for r in (0, 64, 128, 192) for c in (0, 64, 128, 192)]


def test_faint_patterns_are_left_out_of_the_loss(tmp_path):
    grid = Grid(2600000.0, 1200000.0, 12.5, 96, 96, "EPSG:2056")
    phase, coherence = np.zeros((96, 96), np.float32), np.full((96, 96), 0.8, np.float32)
    product = tmp_path / "p.tif"
    write_cog(product, [phase, coherence], ["wrapped_phase", "coherence"], grid, {})
    labelled = shapely.box(2600100.0, 1199500.0, 2600200.0, 1199600.0)
    faint = shapely.box(2600600.0, 1199500.0, 2600700.0, 1199600.0)
    patches = product_patches(
        product,
        gpd.GeoDataFrame(geometry=[labelled], crs=grid.crs),
        ignore=gpd.GeoDataFrame(geometry=[faint], crs=grid.crs),
        channels=["cos_phase", "sin_phase", "coherence"],
        patch_px=96,
        stride_px=32,
        min_valid_fraction=0.5,
        hardness=RULE,
    )
    labels, valid = patches.labels[0], patches.valid[0]
    faint_px = rasterise_labels(gpd.GeoDataFrame(geometry=[faint], crs=grid.crs), grid).astype(bool)
    assert labels.sum() == 64 and not valid[faint_px].any()  # 8 x 8 px labelled; faint pixels out
    # a 2 px margin around it is out too (two 4-connected dilations: 12 x 12 less 3 px per corner)
    assert (~valid).sum() == 12**2 - 4 * 3 and valid[labels == 1].all()


def test_folds_by_area_never_share_ground_between_training_and_validation():
    # two areas, patches every 32 px on a 512 px grid, 128 px patches
    starts = np.arange(0, 512 - 128 + 1, 32)
    origins = np.array([(r, c) for r in starts for c in starts] * 2)
    areas = np.repeat([0, 1], len(origins) // 2)
    folds = assign_folds(areas, origins, patch_px=128, block_px=128, n_folds=5, seed=3)
    assert set(folds.tolist()) == set(range(5))
    # one fold per block and area
    blocks = {}
    for a, o, f in zip(areas, origins, folds, strict=True):
        blocks.setdefault((a, *((o + 64) // 128)), set()).add(int(f))
    assert all(len(v) == 1 for v in blocks.values())
    for fold in range(5):
        train, validation = fold_split(folds, areas, origins, fold, patch_px=128)
        assert len(train) and len(validation) and not set(train) & set(validation)
        for area in (0, 1):
            seen = np.zeros((512, 512), dtype=int)
            for i in validation[areas[validation] == area]:
                r, c = origins[i]
                seen[r : r + 128, c : c + 128] |= 1
            for i in train[areas[train] == area]:
                r, c = origins[i]
                seen[r : r + 128, c : c + 128] |= 2
            assert not (seen == 3).any()


def test_folds_are_balanced_by_training_patches_where_patterns_cluster():
    # the demo's 800 px grid: 9 blocks of 256 px, most patches in two blocks (clustered patterns)
    rng = np.random.default_rng(0)
    centres = [(128, 128)] * 60 + [(384, 640)] * 50 + [(640, 384)] * 10
    centres += [tuple(rng.integers(0, 800, 2)) for _ in range(80)]
    origins = np.clip(np.array(centres) - 64, 0, 800 - 128)
    areas = np.zeros(len(origins), dtype=np.int64)
    folds = assign_folds(areas, origins, patch_px=128, block_px=256, n_folds=5, seed=1)
    counts = np.bincount(folds, minlength=5)
    block_counts = np.bincount(((origins + 64) // 256 @ [4, 1]).astype(int))
    heaviest, second = np.sort(block_counts)[::-1][:2]
    # the two heavy blocks are folds of their own; the other seven blocks are dealt over the
    # other three folds within one block's weight of each other
    assert sorted(counts)[-2:] == sorted([heaviest, second])
    light = np.sort(counts)[:3]
    assert light.max() - light.min() <= np.sort(block_counts)[::-1][2]
    assert (1 - counts / len(folds)).min() == 1 - heaviest / len(folds)


def test_the_hard_spot_is_the_pixel_of_the_largest_fringe_rate_excess():
    rows, cols = np.indices((128, 128))
    bump = 6.0 * np.exp(-((rows - 100) ** 2 + (cols - 20) ** 2) / 60.0)
    score, (row, col) = hard_spot(
        np.angle(np.exp(1j * bump)), np.ones((128, 128)), np.ones((128, 128), bool), RULE
    )
    assert score > 0.3 and abs(row - 100) <= 6 and abs(col - 20) <= 6
    calm, spot = hard_spot(np.zeros((128, 128)), np.zeros((128, 128)), np.ones((128, 128), bool), RULE)
    assert calm == 0.0 and spot == (-1, -1)


def test_the_empty_ground_is_shared_between_folds_too():
    # 100 blocks of 256 px: a quarter hold training patches, every block holds 16 tiles
    rng = np.random.default_rng(2)
    blocks = [(r, c) for r in range(10) for c in range(10)]
    origins, sampled = [], []
    for k, (r, c) in enumerate(blocks):
        centre = np.array([r * 256 + 64, c * 256 + 64])
        origins += [centre] * 16
        sampled += [False] * 16
        if k % 4 == 0:
            n = int(rng.integers(2, 9))
            origins += [centre] * n
            sampled += [True] * n
    origins, sampled = np.array(origins), np.array(sampled)
    folds = assign_folds(
        np.zeros(len(origins), np.int64),
        origins,
        patch_px=128,
        block_px=256,
        n_folds=5,
        seed=1,
        sampled=sampled,
    )
    patches = np.bincount(folds[sampled], minlength=5)
    tiles = np.bincount(folds[~sampled], minlength=5)
    assert patches.max() - patches.min() <= 8
    assert tiles.max() - tiles.min() <= 16  # one block of tiles at most
