"""Training patches: labels on the grid, sampling, folds split by area."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from massmove.model.channels import product_channels
from massmove.model.patches import (
    assign_folds,
    fold_split,
    hardness_map,
    patch_origins,
    rasterise_labels,
    select_patches,
)
from massmove.raster import Grid


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


def test_hardness_ranks_fringes_and_decorrelation_above_calm_coherent_ground():
    rows, cols = np.mgrid[0:32, 0:32]
    calm = hardness_map(np.zeros((32, 32)), np.full((32, 32), 0.8)).mean()
    fringes = hardness_map(np.angle(np.exp(1j * 0.8 * cols)), np.full((32, 32), 0.8)).mean()
    decorrelated = hardness_map(np.zeros((32, 32)), np.full((32, 32), 0.1)).mean()
    assert calm == 0.0 and fringes == pytest.approx(0.8 / np.pi * 31 / 32) and decorrelated == 1.0


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
