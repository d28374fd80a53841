"""Input channels read from a pair's same-track sibling: channels, sibling lookup, patches,
augmentation and tiled inference see the sibling's pixels where the pair's are."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
import torch
from numpy.typing import NDArray

from massmove.detect.channels import product_channels
from massmove.detect.tiling import likelihood_array, store_in_threads
from massmove.errors import InputError
from massmove.grid import Grid
from massmove.io.raster_io import write_cog
from massmove.model.augment import augment_batch
from massmove.model.patches import HardnessRule, product_patches
from massmove.model.scenes import labelled_sources
from massmove.pairs import sibling_product

PAIR = ["cos_phase", "sin_phase", "coherence"]
SIX = [*PAIR, "sibling_cos_phase", "sibling_sin_phase", "sibling_coherence"]
GRID = Grid(2_600_000.0, 1_200_000.0, 12.5, 96, 96, "EPSG:2056")


def phase_and_coherence(seed: int, shape: tuple[int, int] = (96, 96)) -> tuple[NDArray, NDArray]:
    """A random wrapped phase and coherence, float32."""
    rng = np.random.default_rng(seed)
    phase = rng.uniform(-np.pi, np.pi, shape).astype(np.float32)
    return phase, rng.uniform(0.05, 0.95, shape).astype(np.float32)


def write_product(path, seed: int, grid: Grid = GRID) -> tuple[NDArray, NDArray]:
    """A product of random phase and coherence on ``grid``; returns its two bands."""
    phase, coherence = phase_and_coherence(seed, grid.shape)
    write_cog(path, [phase, coherence], ["wrapped_phase", "coherence"], grid, {})
    return phase, coherence


def test_sibling_channels_hold_the_siblings_values_and_its_nodata():
    phase, coherence = phase_and_coherence(1, (4, 5))
    sibling_phase, sibling_coherence = phase_and_coherence(2, (4, 5))
    sibling_phase[1, 2] = np.nan
    stack, valid = product_channels(phase, coherence, SIX, sibling=(sibling_phase, sibling_coherence))
    three, _ = product_channels(phase, coherence, PAIR)
    np.testing.assert_array_equal(stack[:3][:, valid], three[:, valid])
    np.testing.assert_allclose(stack[3][valid], np.cos(sibling_phase)[valid], rtol=1e-6)
    np.testing.assert_allclose(stack[4][valid], np.sin(sibling_phase)[valid], rtol=1e-6)
    np.testing.assert_allclose(stack[5][valid], ((sibling_coherence - 0.5) / 0.25)[valid], rtol=1e-6)
    # a pixel is valid where both pairs are
    assert not valid[1, 2] and valid.sum() == 19 and (stack[:, 1, 2] == 0).all()
    with pytest.raises(InputError, match="read the pair's sibling, and none was given"):
        product_channels(phase, coherence, SIX)
    with pytest.raises(InputError, match="differ in shape"):
        product_channels(phase, coherence, SIX, sibling=(sibling_phase[:3], sibling_coherence[:3]))


def test_the_sibling_is_the_same_track_pair_sharing_the_reference(tmp_path):
    for name in ("A088_20180801_20180813", "A088_20180801_20180819", "D066_20180801_20180813"):
        (tmp_path / f"{name}.tif").touch()
    assert sibling_product(tmp_path / "A088_20180801_20180813.tif") == tmp_path / "A088_20180801_20180819.tif"
    assert sibling_product(tmp_path / "A088_20180801_20180819.tif") == tmp_path / "A088_20180801_20180813.tif"
    with pytest.raises(InputError, match="no other pair of track D066 shares its reference"):
        sibling_product(tmp_path / "D066_20180801_20180813.tif")
    with pytest.raises(InputError, match="expected an id TRACK_YYYYMMDD_YYYYMMDD"):
        sibling_product(tmp_path / "my_interferogram.tif")


def test_training_patches_and_labelled_scenes_carry_the_siblings_pixels(tmp_path):
    scene = tmp_path / "seed7"
    (scene / "interferograms").mkdir(parents=True)
    (scene / "truth").mkdir()
    bands = {}
    outline = shapely.box(2_600_100.0, 1_199_500.0, 2_600_200.0, 1_199_600.0)
    for seed, name in enumerate(("A088_20180801_20180813", "A088_20180801_20180819")):
        bands[name] = write_product(scene / "interferograms" / f"{name}.tif", seed)
        truth = gpd.GeoDataFrame({"class": ["coherent"]}, geometry=[outline], crs=GRID.crs)
        truth.to_file(scene / "truth" / f"{name}.gpkg", layer="patterns")
    sources = labelled_sources([scene], [], label_class="coherent", ignore_class="faint", siblings=True)
    by_name = {source.product.stem: source for source in sources}
    assert by_name["A088_20180801_20180813"].sibling == scene / "interferograms/A088_20180801_20180819.tif"
    source = by_name["A088_20180801_20180819"]
    assert source.sibling == scene / "interferograms/A088_20180801_20180813.tif"
    patches = product_patches(
        source.product,
        source.labels,
        channels=SIX,
        patch_px=64,
        stride_px=32,
        min_valid_fraction=0.5,
        hardness=HardnessRule(window_px=9, min_coherence=0.35),
        sibling_tif=source.sibling,
    )
    sibling_phase = bands["A088_20180801_20180813"][0]
    for inputs, (row, col) in zip(patches.inputs, patches.origins, strict=True):
        window = sibling_phase[row : row + 64, col : col + 64]
        np.testing.assert_allclose(inputs[3], np.cos(window), rtol=1e-6)
    assert patches.labels.sum() > 0
    # without a sibling of its own grid, a clear refusal
    other = tmp_path / "A088_20180801_20180825.tif"
    write_product(other, 9, Grid(2_600_000.0, 1_200_000.0, 12.5, 80, 96, "EPSG:2056"))
    with pytest.raises(InputError, match="the sibling's grid"):
        product_patches(
            source.product, source.labels, channels=SIX, patch_px=64, stride_px=32,
            min_valid_fraction=0.5, hardness=HardnessRule(window_px=9, min_coherence=0.35),
            sibling_tif=other,
        )  # fmt: skip


def test_augmentation_of_six_channels_leaves_the_pairs_draws_and_shifts_the_siblings_phase_alone():
    phase, coherence = phase_and_coherence(3, (6, 32, 32))
    pair = np.stack([np.cos(phase), np.sin(phase), coherence], axis=1).astype(np.float32)
    six = torch.from_numpy(np.concatenate([pair, pair], axis=1))
    labels = torch.zeros((6, 32, 32), dtype=torch.uint8)
    valid = torch.ones((6, 32, 32), dtype=torch.bool)
    x3, y3, _ = augment_batch(torch.from_numpy(pair), labels, valid, PAIR, torch.Generator().manual_seed(4))
    x6, y6, _ = augment_batch(six, labels, valid, SIX, torch.Generator().manual_seed(4))
    # a three-channel batch is augmented as before; the pair's channels of a six-channel one too
    assert torch.equal(x6[:, :3], x3) and torch.equal(y6, y3)
    assert torch.equal(x6[:, 5], x6[:, 2])  # coherence is not a phase
    # the sibling (here the pair itself) moved with the same geometry, by its own constant offset
    pair_phasor = torch.complex(x6[:, 0], x6[:, 1])
    sibling_phasor = torch.complex(x6[:, 3], x6[:, 4])
    difference = torch.angle(sibling_phasor * torch.conj(pair_phasor))
    spread = torch.abs(torch.angle(torch.exp(1j * (difference - difference[:, :1, :1]))))
    assert float(spread.max()) < 1e-4
    assert float(torch.abs(difference[:, 0, 0]).min()) > 1e-3  # the offsets differ


class SiblingCoherenceProbe:
    """A detector whose likelihood is the sibling's coherence it was fed (no spread)."""

    channels = SIX
    patch_px = 32
    device = torch.device("cpu")
    precision = "float32"
    training_posting_m = None

    def predict(self, inputs: NDArray[np.float32]) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        """The de-normalised sibling coherence of each patch."""
        mean = inputs[:, 5] * 0.25 + 0.5
        return mean.astype(np.float32), np.zeros_like(mean, dtype=np.float32)

    def identity(self) -> dict[str, Any]:
        """A name."""
        return {"detector": "probe"}

    def calibrated_detection(self) -> Mapping[str, Any] | None:
        """None."""
        return None


def test_tiled_inference_feeds_the_siblings_pixels_where_the_pairs_are(tmp_path):
    product, sibling = tmp_path / "A088_20180801_20180813.tif", tmp_path / "A088_20180801_20180819.tif"
    write_product(product, 5)
    _, sibling_coherence = write_product(sibling, 6)
    probe = SiblingCoherenceProbe()
    lazy, _ = likelihood_array(product, probe, chunk_px=48, stride_px=16, batch_size=5, sibling_tif=sibling)
    assert lazy.shape == (2, 96, 96)  # mean and spread, though four bands went in
    computed = np.full(lazy.shape, np.nan, dtype=np.float32)
    store_in_threads(lazy, computed, 2)  # block by block, as the stages write it
    mean = computed[0]
    # every pixel's blend of patches that all saw the sibling's coherence there
    np.testing.assert_allclose(mean, sibling_coherence, atol=1e-5)
    with pytest.raises(InputError, match="need the pair's sibling"):
        likelihood_array(product, probe, chunk_px=48, stride_px=16, batch_size=5)
    elsewhere = tmp_path / "A088_20180801_20180825.tif"
    write_product(elsewhere, 7, Grid(2_600_100.0, 1_200_000.0, 12.5, 96, 96, "EPSG:2056"))
    with pytest.raises(InputError, match="the sibling's grid is not that of"):
        likelihood_array(product, probe, chunk_px=48, stride_px=16, batch_size=5, sibling_tif=elsewhere)
