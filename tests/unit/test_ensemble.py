"""Ensemble members: augmentation, deterministic training, checkpoints, tiled inference."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import re
import shutil

import numpy as np
import pytest
import torch

from massmove.detect.detector import Detector
from massmove.detect.tiling import blend_window, likelihood_of_block
from massmove.errors import CorruptInputError, InputError
from massmove.grid import Grid
from massmove.io.raster_io import write_cog
from massmove.model.augment import augment_batch
from massmove.model.checkpoint import (
    METADATA,
    NETWORK_CONFIG,
    WEIGHTS,
    load_member,
    save_member,
    verify_member,
)
from massmove.model.ensemble import Ensemble
from massmove.model.network import build_network
from massmove.model.patches import PatchSet
from massmove.model.train import (
    ResumeFile,
    TrainSettings,
    choose_mined,
    crop_patches,
    false_positive_scores,
    false_positive_spots,
    predict_patches,
    train_member,
)

CHANNELS = ["cos_phase", "sin_phase", "coherence"]
NETWORK = {
    "architecture": "unetplusplus",
    "encoder": "resnet18",
    "decoder_channels": [16, 8, 8, 8, 8],
    "in_channels": 3,
}
SETTINGS = TrainSettings(
    epochs=2,
    batch_size=4,
    learning_rate=1e-3,
    weight_decay=1e-4,
    bce_weight=1.0,
    dice_weight=1.0,
    positive_weight=2.0,
    precision="fp32",
    crop_px=32,
    crop_on_labels=True,
    mining_share=0.5,
    mining_epochs=1,
)


def fringe_patches(n: int = 12, size: int = 64, seed: int = 0) -> PatchSet:
    """Patches with a fringe disc (labelled) on a noisy background."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:size, 0:size]
    inputs = np.zeros((n, 3, size, size), dtype=np.float32)
    labels = np.zeros((n, size, size), dtype=np.uint8)
    for i in range(n):
        r0, c0 = rng.uniform(16, size - 16, 2)
        disc = (rows - r0) ** 2 + (cols - c0) ** 2 < 10**2
        phase = rng.normal(0, 0.3, (size, size)) + np.where(disc, 0.8 * np.hypot(rows - r0, cols - c0), 0)
        inputs[i, 0], inputs[i, 1], inputs[i, 2] = np.cos(phase), np.sin(phase), 1.0
        labels[i] = disc
    return PatchSet(
        inputs,
        labels,
        np.ones_like(labels, dtype=bool),
        np.zeros(n, dtype=np.int64),
        np.zeros((n, 2), dtype=np.int64),
        np.zeros(n, dtype=np.int64),
        ["synthetic"] * n,
    )


def test_augmentation_keeps_labels_with_the_pattern_and_phasors_on_the_unit_circle():
    patches = fringe_patches(8)
    generator = torch.Generator().manual_seed(5)
    x, y, v = augment_batch(
        torch.from_numpy(patches.inputs), torch.from_numpy(patches.labels), torch.from_numpy(patches.valid),
        CHANNELS, generator,
    )  # fmt: skip
    np.testing.assert_allclose((x[:, 0] ** 2 + x[:, 1] ** 2).numpy(), 1.0, atol=1e-5)
    assert torch.equal(x[:, 2], torch.ones_like(x[:, 2]))
    for i in range(8):
        # the same geometric transform moved the label and the input: fringe energy is inside the label
        phasor = torch.complex(x[i, 0], x[i, 1])
        gradient = torch.abs(torch.angle(phasor[:, 1:] * torch.conj(phasor[:, :-1])))
        inside = gradient[y[i, :, 1:].bool()].mean()
        outside = gradient[~y[i, :, 1:].bool()].mean()
        assert inside > 1.5 * outside
        assert int(y[i].sum()) == int(patches.labels[i].sum())
    # the phase offset changed the phase, not just its geometry
    assert not torch.allclose(
        x[:, 0].sum(dim=(1, 2)).abs(), torch.from_numpy(patches.inputs[:, 0]).sum(dim=(1, 2)).abs()
    )


def clutter_tiles(n: int = 6, size: int = 64, seed: int = 1) -> PatchSet:
    """Unlabelled tiles whose phase holds fringe blobs (clutter a member may take for patterns)."""
    tiles = fringe_patches(n, size, seed)
    tiles.labels[:] = 0
    tiles.kinds[:] = 1
    return tiles


def test_training_is_deterministic_learns_mines_and_keeps_the_best_epoch(tmp_path):
    patches = fringe_patches(12)
    tiles = clutter_tiles()
    index = np.arange(12)
    runs = []
    for name in ("a", "b"):
        network, record, oof = train_member(
            patches, tiles, index[:8], index[8:], np.arange(4), np.arange(4, 6), network_kwargs=NETWORK,
            channels=CHANNELS, settings=SETTINGS, seed=7, device_name="cpu",
        )  # fmt: skip
        save_member(network, tmp_path / name, {**NETWORK, "channels": CHANNELS, "patch_px": 64, **record})
        runs.append((record, oof))
    weights = [(tmp_path / n / WEIGHTS).read_bytes() for n in ("a", "b")]
    assert weights[0] == weights[1]
    record, oof = runs[0]
    assert record["history"] == runs[1][0]["history"] and np.array_equal(oof, runs[1][1])
    history = record["history"]
    assert [h["phase"] for h in history] == ["train", "train"] + ["mining"] * (record["mined_tiles"] > 0)
    assert history[-1]["loss"] < history[0]["loss"]
    # the kept weights are those of the best validated epoch, whichever it was
    best = max(history, key=lambda h: h["validation_iou"])
    assert record["kept_epoch"] == best["epoch"] and record["validation"]["iou"] == best["validation_iou"]
    assert record["validation"]["patches"] == 4 and record["training_patches"] == 8
    # mining takes at most mining_share x positives of the candidates, only those it was sure of
    assert 0 <= record["mined_tiles"] <= 4
    # out-of-fold likelihood: one whole tile per requested tile, from the kept weights
    assert oof.shape == (2, 64, 64) and 0.0 <= oof.min() and oof.max() <= 1.0
    expected = predict_patches(
        network.eval(), tiles.inputs[4:6], device=torch.device("cpu"), dtype=None, batch_size=4
    )
    np.testing.assert_allclose(oof, expected, atol=1e-6)


def test_false_positive_scores_ignore_labelled_and_invalid_pixels():
    likelihood = np.zeros((3, 4, 4), np.float32)
    labels = np.zeros((3, 4, 4), np.uint8)
    valid = np.ones((3, 4, 4), bool)
    likelihood[0, 0, 0] = 0.9  # sure of a pattern on background: a false positive
    likelihood[1, 1, 1], labels[1, 1, 1] = 0.95, 1  # sure of a labelled pattern: right
    likelihood[2, 2, 2], valid[2, 2, 2] = 0.99, False  # on nodata or a faint pattern: not counted
    np.testing.assert_allclose(false_positive_scores(likelihood, labels, valid), [0.9, 0.0, 0.0])


def test_crops_keep_positive_patches_positive_only_when_placed_on_labels():
    size, crop_px = 64, 32
    labels = np.zeros((40, size, size), dtype=np.uint8)
    labels[:30, 50:54, 3:7] = 1  # a 4 px pattern in a corner: most uniform windows miss it
    inputs = np.stack([labels, labels * 2, np.ones_like(labels)], axis=1).astype(np.float32)
    tensors = [torch.from_numpy(a) for a in (inputs, labels, np.ones_like(labels, dtype=bool))]
    x, y, v = crop_patches(*tensors, crop_px, torch.Generator().manual_seed(3), on_labels=True)
    assert x.shape == (40, 3, crop_px, crop_px) and y.shape == v.shape == (40, crop_px, crop_px)
    kept = y[:30].sum(dim=(1, 2))
    assert bool((kept > 0).all()) and int(y[30:].sum()) == 0
    # every window is a window of its own patch: inputs and labels moved together
    assert torch.equal(x[:, 0], y.float()) and torch.equal(x[:, 1], 2 * y.float())
    # windows vary: the pattern is not always in the same place of the crop
    assert len({tuple(torch.nonzero(y[i])[0].tolist()) for i in range(30)}) > 10
    # uniform windows (the ablation) lose the pattern from most positive patches
    _, y_uniform, _ = crop_patches(*tensors, crop_px, torch.Generator().manual_seed(3), on_labels=False)
    assert int((y_uniform[:30].sum(dim=(1, 2)) > 0).sum()) < 15
    # same generator seed, same windows
    _, y_again, _ = crop_patches(*tensors, crop_px, torch.Generator().manual_seed(3), on_labels=True)
    assert torch.equal(y, y_again)


def test_crops_of_hard_negatives_hold_the_spot_they_were_chosen_for():
    size, crop_px = 128, 64
    n = 200
    labels = np.zeros((n, size, size), dtype=np.uint8)
    spot = np.zeros((n, size, size), dtype=np.float32)
    focus = np.full((n, 2), -1, dtype=np.int64)
    focus[:100] = [120, 5]  # a hard spot in a corner of the first half
    spot[:100, 120, 5] = 1.0
    inputs = np.stack([spot, spot, np.ones_like(spot)], axis=1)
    tensors = [torch.from_numpy(a) for a in (inputs, labels, np.ones_like(labels, dtype=bool))]
    x, _, _ = crop_patches(
        *tensors, crop_px, torch.Generator().manual_seed(5), on_labels=True, focus=torch.from_numpy(focus)
    )
    held = x[:, 0].sum(dim=(1, 2))
    assert bool((held[:100] == 1).all())
    # without the focus a uniform window holds a corner pixel about 1 time in 64
    x_uniform, _, _ = crop_patches(*tensors, crop_px, torch.Generator().manual_seed(5), on_labels=True)
    assert int((x_uniform[:100, 0].sum(dim=(1, 2)) == 1).sum()) < 10


def test_the_mined_crop_is_placed_on_the_surest_false_alarm():
    likelihood = np.zeros((2, 8, 8), np.float32)
    labels = np.zeros((2, 8, 8), np.uint8)
    valid = np.ones((2, 8, 8), bool)
    likelihood[0, 6, 1] = 0.8
    likelihood[1, 2, 3], labels[1, 2, 3] = 0.99, 1  # a labelled pixel is no false alarm
    likelihood[1, 5, 7] = 0.7
    assert false_positive_spots(likelihood, labels, valid).tolist() == [[6, 1], [5, 7]]
    assert false_positive_spots(likelihood[:0], labels[:0], valid[:0]).shape == (0, 2)


def test_a_member_sure_of_nothing_off_its_labels_mines_nothing():
    """A weak member (likelihood under 0.5 wherever there is no label) mines no tile, and says
    so, instead of failing on the empty choice."""
    tiles = clutter_tiles(4)

    class Unsure:
        def predict(self, inputs: np.ndarray) -> np.ndarray:
            return np.full((len(inputs), *inputs.shape[2:]), 0.3, np.float32)

    mined, focus = choose_mined(Unsure(), tiles, np.arange(4), n_mine=2)  # type: ignore[arg-type]
    assert mined.shape == (0,) and focus.shape == (0, 2)


@pytest.fixture(scope="module")
def member_dir(tmp_path_factory):
    torch.manual_seed(0)
    directory = tmp_path_factory.mktemp("members") / "fold0"
    save_member(build_network(**NETWORK), directory, {**NETWORK, "channels": CHANNELS, "patch_px": 64})
    return directory


def test_checkpoint_roundtrip_and_refusals(member_dir, tmp_path):
    network, record = load_member(member_dir, channels=CHANNELS, patch_px=64)
    assert record["patch_px"] == 64 and len(record["weights_sha256"]) == 64
    with pytest.raises(InputError, match="expects channels"):
        load_member(member_dir, channels=["cos_phase", "sin_phase"], patch_px=64)
    with pytest.raises(InputError, match="128 px"):
        load_member(member_dir, channels=CHANNELS, patch_px=128)
    with pytest.raises(InputError, match="not found"):
        load_member(tmp_path / "nowhere", channels=CHANNELS, patch_px=64)
    broken = tmp_path / "broken"
    shutil.copytree(member_dir, broken)
    data = bytearray((broken / WEIGHTS).read_bytes())
    data[-10] ^= 0xFF
    (broken / WEIGHTS).write_bytes(bytes(data))
    with pytest.raises(CorruptInputError, match="sha256"):
        load_member(broken, channels=CHANNELS, patch_px=64)
    (broken / METADATA).write_text("{not json")
    with pytest.raises(CorruptInputError, match="not valid JSON"):
        load_member(broken, channels=CHANNELS, patch_px=64)
    json.loads((member_dir / METADATA).read_text())  # the original is untouched


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"classes": 2}, "config.json gives classes 2, a massmove member has 1"),
        (
            {"encoder_name": "resnet34"},
            "config.json gives encoder_name 'resnet34', a massmove member has 'resnet18'",
        ),
        (
            {"_model_class": "Unet"},
            "config.json gives _model_class 'Unet', a massmove member has 'UnetPlusPlus'",
        ),
    ],
)
def test_a_foreign_network_under_a_members_record_is_refused(member_dir, tmp_path, change, message):
    foreign = tmp_path / "foreign"
    shutil.copytree(member_dir, foreign)
    described = json.loads((foreign / NETWORK_CONFIG).read_text()) | change
    (foreign / NETWORK_CONFIG).write_text(json.dumps(described))
    record = json.loads((foreign / METADATA).read_text())
    # even with the record's digest made to match, the network it describes is not the member's
    record["network_config_sha256"] = hashlib.sha256((foreign / NETWORK_CONFIG).read_bytes()).hexdigest()
    (foreign / METADATA).write_text(json.dumps(record))
    with pytest.raises(CorruptInputError, match=re.escape(message)):
        verify_member(foreign, channels=CHANNELS, patch_px=64)


def test_a_member_without_its_network_description_is_refused_without_a_model_hub(
    member_dir, tmp_path, monkeypatch
):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    import huggingface_hub

    def no_hub(*args, **kwargs):
        raise AssertionError("a model hub was asked")

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", no_hub)
    bare = tmp_path / "bare"
    shutil.copytree(member_dir, bare)
    (bare / NETWORK_CONFIG).unlink()
    with pytest.raises(CorruptInputError, match="config.json is missing"):
        load_member(bare, channels=CHANNELS, patch_px=64)
    # a changed description is caught by its recorded digest
    shutil.copy(member_dir / NETWORK_CONFIG, bare / NETWORK_CONFIG)
    (bare / NETWORK_CONFIG).write_text((bare / NETWORK_CONFIG).read_text() + " ")
    with pytest.raises(CorruptInputError, match="config.json has sha256"):
        load_member(bare, channels=CHANNELS, patch_px=64)
    # the member as saved loads from its files alone, and predicts as the saved network does
    network, _ = load_member(member_dir, channels=CHANNELS, patch_px=64)
    torch.manual_seed(0)
    reference = build_network(**NETWORK).eval()
    x = torch.randn(1, len(CHANNELS), 64, 64)
    with torch.inference_mode():
        assert torch.equal(network(x), reference(x))


def test_the_workflow_refuses_a_corrupt_operators_member_at_parse_time(member_dir, tmp_path):
    from massmove.preflight import check_run_config

    broken = tmp_path / "broken"
    shutil.copytree(member_dir, broken)
    data = bytearray((broken / WEIGHTS).read_bytes())
    data[-10] ^= 0xFF
    (broken / WEIGHTS).write_bytes(bytes(data))
    config = {
        "model": {"checkpoints": [str(member_dir), str(broken)], "channels": CHANNELS},
        "train": {"patch_px": 64},
    }
    with pytest.raises(CorruptInputError, match=f"checkpoint {broken}: model.safetensors has sha256"):
        check_run_config(config)
    with pytest.raises(InputError, match="not found"):
        check_run_config(
            {**config, "model": {"checkpoints": [str(tmp_path / "nowhere")], "channels": CHANNELS}}
        )


def test_blend_window_is_a_partition_of_unity_at_half_stride():
    window = blend_window(16)
    total = np.zeros((48, 48))
    for r in range(0, 33, 8):
        for c in range(0, 33, 8):
            total[r : r + 16, c : c + 16] += window
    np.testing.assert_allclose(total[8:40, 8:40], 1.0, atol=1e-6)


def test_tiled_likelihood_does_not_depend_on_the_chunking(member_dir):
    network, record = load_member(member_dir, channels=CHANNELS, patch_px=64)
    ensemble = Ensemble([network, network], [record, record], CHANNELS, 64, torch.device("cpu"), None)
    # the ensemble is a Detector: what tiling, blending and the product tags see
    assert isinstance(ensemble, Detector) and ensemble.precision == "float32"
    assert ensemble.identity() == {
        "detector": "ensemble",
        "members": 2,
        "checkpoint_digests": f"{record['weights_sha256']},{record['weights_sha256']}",
    }
    rng = np.random.default_rng(1)
    phase = np.angle(np.exp(1j * rng.normal(0, 2, (2 * 32 + 128, 2 * 32 + 128)))).astype(np.float32)
    coherence = rng.uniform(0, 1, phase.shape).astype(np.float32)
    phase[40:50, 100:120] = np.nan
    block = np.stack([phase, coherence])
    whole = likelihood_of_block(block, detector=ensemble, stride_px=32, batch_size=7)
    # the same core (pixels 32..160) computed as two halves, each with its own 32 px halo
    top = likelihood_of_block(block[:, : 32 + 64 + 32], detector=ensemble, stride_px=32, batch_size=3)
    bottom = likelihood_of_block(block[:, 64:], detector=ensemble, stride_px=32, batch_size=5)
    stitched = np.concatenate([top[:, 32:96], bottom[:, 32:96]], axis=1)
    np.testing.assert_allclose(stitched, whole[:, 32:160], atol=1e-5)
    assert np.isnan(whole[0, 40:50, 100:120]).all() and np.isfinite(whole[0, 32:40]).all()
    # two identical members: no spread
    np.testing.assert_allclose(np.nan_to_num(whole[1]), 0.0, atol=1e-6)


def small_product(path, size: int = 200) -> None:
    """A two-band product (wrapped phase with a fringe pattern, coherence) on an LV95 grid."""
    rng = np.random.default_rng(3)
    rows, cols = np.mgrid[0:size, 0:size]
    phase = np.angle(
        np.exp(1j * (0.02 * (rows - 90) ** 2 + 0.03 * (cols - 120) ** 2 + rng.normal(0, 0.5, (size, size))))
    )
    coherence = rng.uniform(0.2, 0.9, (size, size))
    phase[:10, :] = np.nan
    grid = Grid(2_600_000, 1_120_000, 12.5, size, size, "EPSG:2056")
    write_cog(path, [phase, coherence], ["wrapped_phase", "coherence"], grid, {})


@pytest.mark.slow
def test_distributed_scheduler_gives_the_local_likelihood(member_dir, tmp_path):
    """Blocks computed by a real dask.distributed cluster (worker processes: the ensemble is
    pickled to them) give the raster the local threads give, byte for byte in its pixels."""
    import rasterio
    from distributed import LocalCluster

    from massmove.detect.tiling import inference_workers, likelihood_array, write_likelihood
    from massmove.model.ensemble import load_ensemble

    product = tmp_path / "product.tif"
    small_product(product)
    ensemble = load_ensemble(
        [member_dir, member_dir], channels=CHANNELS, patch_px=64, device_name="cpu", precision="fp32"
    )
    workers = inference_workers(ensemble, 2)  # as the segment stage: one torch thread per block
    rasters = {}
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        for name, scheduler in (("threads", "threads"), ("cluster", cluster.scheduler_address)):
            likelihood, profile = likelihood_array(
                product, ensemble, chunk_px=128, stride_px=32, batch_size=4
            )
            out = tmp_path / f"{name}.tif"
            write_likelihood(likelihood, profile, out, {}, workers=workers, scheduler=scheduler)
            with rasterio.open(out) as src:
                rasters[name] = src.read()
    assert rasters["threads"].shape == (2, 200, 200)
    assert np.isnan(rasters["threads"][0, :10]).all() and np.isfinite(rasters["threads"][0, 10:]).all()
    np.testing.assert_array_equal(rasters["cluster"], rasters["threads"])


class Stopped(Exception):
    """A training killed right after it saved its state."""


#: two train epochs and two mining epochs, and a clutter tile the untrained member is sure of,
#: so that mining always has something to take
RESUMED_SETTINGS = dataclasses.replace(SETTINGS, mining_epochs=2, mining_share=1.0)


@functools.cache
def resumable_data() -> tuple[PatchSet, PatchSet]:
    patches, tiles = fringe_patches(12), clutter_tiles()
    tiles.inputs[:4] = patches.inputs[:4]
    return patches, tiles


def train_resumable(resume: ResumeFile | None) -> tuple[torch.nn.Module, dict, np.ndarray]:
    patches, tiles = resumable_data()
    index = np.arange(12)
    return train_member(
        patches, tiles, index[:8], index[8:], np.arange(4), np.arange(4, 6), network_kwargs=NETWORK,
        channels=CHANNELS, settings=RESUMED_SETTINGS, seed=7, device_name="cpu", resume=resume,
    )  # fmt: skip


@functools.cache
def uninterrupted_member() -> tuple[dict[str, torch.Tensor], dict, np.ndarray]:
    network, record, oof = train_resumable(None)
    return network.state_dict(), record, oof


@pytest.mark.parametrize("stop_after_saves", [1, 2, 3])
def test_a_stopped_training_resumes_to_the_same_member(tmp_path, monkeypatch, stop_after_saves):
    # stopped inside the train phase, between the phases (before the tiles are mined) and
    # inside the mining phase
    state, record, oof = uninterrupted_member()
    assert record["mined_tiles"] > 0 and [h["phase"] for h in record["history"]].count("mining") == 2
    train = train_resumable

    resume = ResumeFile(tmp_path / ".fold0.resume.pt", "key-1")
    save, saves = ResumeFile.save, []

    def save_then_stop(self, state):
        save(self, state)
        saves.append(state["phase"])
        if len(saves) == stop_after_saves:
            raise Stopped

    monkeypatch.setattr(ResumeFile, "save", save_then_stop)
    with pytest.raises(Stopped):
        train(resume)
    monkeypatch.setattr(ResumeFile, "save", save)
    assert resume.path.is_file() and resume.load() is not None
    resumed, resumed_record, resumed_oof = train(resume)
    for key, value in state.items():
        assert torch.equal(value, resumed.state_dict()[key]), key
    assert resumed_record == record and np.array_equal(resumed_oof, oof)
    # a state saved for other data or settings is not resumed from
    assert ResumeFile(resume.path, "key-2").load() is None
    resume.remove()
    assert not resume.path.exists() and resume.load() is None
