"""A phase-domain training scene against the SLC one of the same seed (the tiny run's)."""

import geopandas as gpd
import numpy as np
import pytest

from massmove.config import resolve_config
from massmove.io.raster_io import read_bands
from massmove.settings import StageSettings
from massmove.stages.model import training_scene_stage
from tests.runs import TINY


@pytest.mark.slow
def test_a_phase_domain_training_scene_matches_the_slc_scene_of_its_seed(tiny_run, tmp_path):
    seed = TINY["train"]["synthetic_seeds"][0]
    slc_scene = tiny_run / "resources" / "training" / f"seed{seed}"
    config = resolve_config({**TINY, "train": {**TINY["train"], "generator": "phase"}})
    scene = tmp_path / f"seed{seed}"
    training_scene_stage(StageSettings.from_config("training_scene", config), seed, scene)

    names = sorted(path.name for path in (scene / "interferograms").iterdir())
    assert names == sorted(path.name for path in (slc_scene / "interferograms").iterdir())
    assert not (scene / "work").exists()
    coherent_compared = 0
    for name in names:
        pair = name.removesuffix(".tif")
        drawn, grid, tags = read_bands(
            scene / "interferograms" / name, required=("wrapped_phase", "coherence")
        )
        focused, focused_grid, focused_tags = read_bands(slc_scene / "interferograms" / name)
        assert grid == focused_grid
        assert tags["engine"] == "phase-domain" and focused_tags["engine"] == "builtin"
        assert (
            tags["pair_id"] == pair
            and tags["perpendicular_baseline_m"] == focused_tags["perpendicular_baseline_m"]
        )
        phase = drawn["wrapped_phase"]
        assert np.nanmax(np.abs(phase)) <= np.pi and np.isfinite(phase).mean() > 0.95
        # the same coherence, quartile by quartile, as the focused pair's
        both = np.isfinite(drawn["coherence"]) & np.isfinite(focused["coherence"])
        np.testing.assert_allclose(
            np.percentile(drawn["coherence"][both], [25, 50, 75]),
            np.percentile(focused["coherence"][both], [25, 50, 75]),
            atol=0.03,
        )
        # the same movements labelled, in the same classes, with nearly the same outlines
        labels = gpd.read_file(scene / "truth" / f"{pair}.gpkg").set_index("movement_id")
        focused_labels = gpd.read_file(slc_scene / "truth" / f"{pair}.gpkg").set_index("movement_id")
        assert labels["class"].to_dict() == focused_labels["class"].to_dict()
        for movement, row in labels[labels["class"] == "coherent"].iterrows():
            other = focused_labels.loc[movement, "geometry"]
            iou = row.geometry.intersection(other).area / row.geometry.union(other).area
            assert iou > 0.8, movement
            coherent_compared += 1
    assert coherent_compared >= 1
