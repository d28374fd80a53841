"""Training of one ensemble member (one fold of the k-fold cross-evaluation)."""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from massmove.io.atomic import atomic_path
from massmove.model.augment import augment_batch
from massmove.model.network import (
    autocast,
    autocast_dtype,
    build_network,
    dtype_name,
    make_deterministic,
    resolve_device,
)
from massmove.model.patches import KINDS, PatchSet, concatenate
from massmove.scores import format_score, pixel_counts, pixel_scores

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class TrainSettings:
    """What one member's training needs from the config's ``train`` section."""

    epochs: int
    batch_size: int
    learning_rate: float
    weight_decay: float
    bce_weight: float
    dice_weight: float
    positive_weight: float
    precision: str
    crop_px: int
    crop_on_labels: bool
    mining_share: float
    mining_epochs: int

    @classmethod
    def from_config(cls, train: Mapping[str, Any]) -> TrainSettings:
        """Settings from the validated ``train`` section."""
        loss = train["loss"]
        return cls(
            epochs=train["epochs"],
            batch_size=train["batch_size"],
            learning_rate=train["learning_rate"],
            weight_decay=train["weight_decay"],
            bce_weight=loss["bce_weight"],
            dice_weight=loss["dice_weight"],
            positive_weight=loss["positive_weight"],
            precision=train["precision"],
            crop_px=train["crop_px"],
            crop_on_labels=train["crop_on_labels"],
            mining_share=train["mining"]["share"],
            mining_epochs=train["mining"]["epochs"],
        )


@dataclasses.dataclass(frozen=True)
class ResumeFile:
    """Where a member's training keeps its state after every epoch, and what that state is for.

    A training that is stopped (a session's or a SLURM job's time limit, a kill) starts again
    after its last finished epoch instead of from random weights: weights, optimiser and
    schedule, every random generator, the history and the best epoch so far, and the tiles
    mined, so that the resumed member is the one an uninterrupted training would have made,
    byte for byte. ``key`` names everything the state depends on (data, settings, seed); a
    file made for another key is ignored and replaced.
    """

    path: Path
    key: str

    def load(self) -> dict[str, Any] | None:
        """The saved state, or None where there is none for this key."""
        if not self.path.is_file():
            return None
        try:
            # tensors and plain containers only: no pickled code runs when a state is read
            state: dict[str, Any] = torch.load(self.path, map_location="cpu", weights_only=True)
        except (OSError, RuntimeError, EOFError, ValueError) as error:
            log.warning("resume file %s unreadable (%s): training from the start", self.path, error)
            return None
        if state.get("key") != self.key:
            log.info("resume file %s belongs to other data or settings: training from the start", self.path)
            return None
        log.info("resuming after %s epoch %d from %s", state["phase"], state["epoch"], self.path)
        return state

    def save(self, state: Mapping[str, Any]) -> None:
        """Write ``state`` (with the key) atomically: a kill while writing leaves the last one."""
        with atomic_path(self.path) as tmp:
            torch.save({**state, "key": self.key}, tmp)

    def remove(self) -> None:
        """Forget the state once the member is saved."""
        self.path.unlink(missing_ok=True)


def segmentation_loss(
    logits: torch.Tensor, labels: torch.Tensor, valid: torch.Tensor, settings: TrainSettings
) -> torch.Tensor:
    """BCE (labelled pixels weighted by ``positive_weight``) plus soft Dice, over valid pixels."""
    logits = logits.float()
    target = labels.float()
    mask = valid.float()
    weight = mask * (1.0 + (settings.positive_weight - 1.0) * target)
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, target, weight=weight, reduction="sum")
    bce = bce / mask.sum().clamp(min=1.0)
    prob = torch.sigmoid(logits) * mask
    dice = 1.0 - (2.0 * (prob * target).sum() + 1.0) / (prob.sum() + (target * mask).sum() + 1.0)
    return settings.bce_weight * bce + settings.dice_weight * dice


def crop_patches(
    inputs: torch.Tensor,
    labels: torch.Tensor,
    valid: torch.Tensor,
    crop_px: int,
    generator: torch.Generator,
    *,
    on_labels: bool,
    focus: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One random square window of ``crop_px`` per patch (the network is fully convolutional).

    With ``on_labels`` the window of a patch holding labelled pixels is placed so that it
    holds one of them (drawn at random, at a random place in the window): a positive patch
    stays positive; the window of a patch with a ``focus`` pixel (row, col; -1 for none: a hard
    negative's hardest spot, a mined tile's surest false alarm) holds that pixel, so that the
    clutter it was chosen for is trained on. Other patches get a uniformly random window.
    Returns the cropped ``inputs`` (n, c, crop, crop), ``labels`` and ``valid`` (n, crop,
    crop); deterministic for the generator's state.
    """
    size = inputs.shape[-1]
    if crop_px >= size:
        return inputs, labels, valid
    span = size - crop_px + 1
    origins = torch.randint(0, span, (len(inputs), 2), generator=generator)
    out: tuple[list[torch.Tensor], list[torch.Tensor], list[torch.Tensor]] = ([], [], [])
    for i in range(len(inputs)):
        r, c = (int(v) for v in origins[i])
        labelled = torch.nonzero(labels[i]) if on_labels else None
        if labelled is not None and len(labelled):
            pixel = labelled[int(torch.randint(0, len(labelled), (1,), generator=generator))]
            r, c = (_window_holding(int(p), crop_px, size, generator) for p in pixel)
        elif on_labels and focus is not None and int(focus[i, 0]) >= 0:
            r, c = (_window_holding(int(p), crop_px, size, generator) for p in focus[i])
        window = (slice(r, r + crop_px), slice(c, c + crop_px))
        for stack, tensor in zip(out, (inputs, labels, valid), strict=True):
            stack.append(tensor[i][(..., *window)])
    x, y, v = (torch.stack(stack).contiguous() for stack in out)
    return x, y, v


def _window_holding(pixel: int, crop_px: int, size: int, generator: torch.Generator) -> int:
    """Random start of a ``crop_px`` window inside ``size`` that holds ``pixel``."""
    low, high = max(0, pixel - crop_px + 1), min(pixel, size - crop_px)
    return low + int(torch.randint(0, high - low + 1, (1,), generator=generator))


def predict_patches(
    network: torch.nn.Module,
    inputs: NDArray[np.float32],
    *,
    device: torch.device,
    dtype: torch.dtype | None,
    batch_size: int,
) -> NDArray[np.float32]:
    """Likelihood of every patch (sigmoid of the logits), in batches."""
    network.eval()
    out = np.empty((len(inputs), *inputs.shape[2:]), dtype=np.float32)
    with torch.inference_mode(), autocast(device, dtype):
        for start in range(0, len(inputs), batch_size):
            batch = torch.from_numpy(inputs[start : start + batch_size]).to(device)
            out[start : start + batch_size] = torch.sigmoid(network(batch).float())[:, 0].cpu().numpy()
    return out


class Fit:
    """One member's network, optimiser state and the data it trains on, epoch by epoch."""

    def __init__(
        self,
        network: torch.nn.Module,
        patches: PatchSet,
        validation_index: NDArray[np.int64],
        *,
        channels: Sequence[str],
        settings: TrainSettings,
        generator: torch.Generator,
        device: torch.device,
        dtype: torch.dtype | None,
        resume: ResumeFile | None = None,
    ) -> None:
        self.network = network
        self.patches = patches
        # validation on whole patches, negatives and hard negatives included: a false alarm
        # anywhere in a patch enlarges the union of the IoU the kept epoch is chosen by (a crop
        # placed on the labels would hide most of the clutter)
        self.validation: tuple[NDArray[np.float32], NDArray[np.uint8], NDArray[np.bool_]] = (
            np.ascontiguousarray(patches.inputs[validation_index]),
            np.ascontiguousarray(patches.labels[validation_index]),
            np.ascontiguousarray(patches.valid[validation_index]),
        )
        self.channels = channels
        self.settings = settings
        self.generator = generator
        self.device = device
        self.dtype = dtype
        self.scaler = torch.amp.GradScaler("cuda", enabled=device.type == "cuda" and dtype == torch.float16)
        self.history: list[dict[str, Any]] = []
        self.best: tuple[float, int, dict[str, torch.Tensor]] | None = None
        self.resume = resume
        #: the mined tiles' indices and crop centres, once chosen (part of a resumable state)
        self.mined: tuple[NDArray[np.int64], NDArray[np.int64]] | None = None

    def phase(
        self,
        train_index: NDArray[np.int64],
        epochs: int,
        learning_rate: float,
        name: str,
        *,
        saved: Mapping[str, Any] | None = None,
    ) -> None:
        """Train ``epochs`` passes over ``train_index`` under a one-cycle schedule peaking at
        ``learning_rate``; validate after each and remember the best weights. With a ``saved``
        state of this phase (:meth:`restore` loaded the rest) it goes on after its epoch; after
        every epoch the state is saved where a :class:`ResumeFile` is given."""
        settings = self.settings
        optimiser = torch.optim.AdamW(
            self.network.parameters(), lr=learning_rate, weight_decay=settings.weight_decay
        )
        steps_per_epoch = max(1, math.ceil(len(train_index) / settings.batch_size))
        schedule = torch.optim.lr_scheduler.OneCycleLR(
            optimiser, max_lr=learning_rate, total_steps=epochs * steps_per_epoch, pct_start=0.2
        )
        inputs = torch.from_numpy(self.patches.inputs)
        labels = torch.from_numpy(self.patches.labels)
        valid = torch.from_numpy(self.patches.valid)
        focus = torch.from_numpy(self.patches.focus)
        first = 1
        if saved is not None and saved["phase"] == name:
            optimiser.load_state_dict(saved["optimiser"])
            schedule.load_state_dict(saved["schedule"])
            first = saved["epoch"] + 1
        for epoch in range(first, epochs + 1):
            self.network.train()
            order = torch.from_numpy(train_index)[torch.randperm(len(train_index), generator=self.generator)]
            total, count = 0.0, 0
            for step in range(steps_per_epoch):
                batch = order[step * settings.batch_size : (step + 1) * settings.batch_size]
                # cropped first (the focus pixels are in the patch's own frame), then augmented
                x, y, v = crop_patches(
                    inputs[batch],
                    labels[batch],
                    valid[batch],
                    settings.crop_px,
                    self.generator,
                    on_labels=settings.crop_on_labels,
                    focus=focus[batch],
                )
                x, y, v = augment_batch(x, y, v, self.channels, self.generator)
                x, y, v = x.to(self.device), y.to(self.device), v.to(self.device)
                optimiser.zero_grad(set_to_none=True)
                with autocast(self.device, self.dtype):
                    logits = self.network(x)[:, 0]
                loss = segmentation_loss(logits, y, v, settings)
                self.scaler.scale(loss).backward()
                self.scaler.step(optimiser)
                self.scaler.update()
                schedule.step()
                total += float(loss.detach()) * len(batch)
                count += len(batch)
            self._validate(name, epoch, epochs, total / max(count, 1))
            if self.resume is not None:
                self.resume.save(self._state(name, epoch, optimiser, schedule))

    def _state(
        self,
        name: str,
        epoch: int,
        optimiser: torch.optim.Optimizer,
        schedule: torch.optim.lr_scheduler.LRScheduler,
    ) -> dict[str, Any]:
        """Everything the training after ``epoch`` of phase ``name`` depends on."""
        return {
            "phase": name,
            "epoch": epoch,
            "network": self.network.state_dict(),
            "optimiser": optimiser.state_dict(),
            "schedule": schedule.state_dict(),
            "scaler": self.scaler.state_dict(),
            "generator": self.generator.get_state(),
            "torch_rng": torch.get_rng_state(),
            "history": self.history,
            "best": self.best,
            "mined": None if self.mined is None else [torch.from_numpy(a) for a in self.mined],
        }

    def restore(self, saved: Mapping[str, Any]) -> None:
        """Load the weights, generators, history, best epoch and mined tiles of a saved state
        (the optimiser and schedule are the phase's own: :meth:`phase` loads them)."""
        self.network.load_state_dict(saved["network"])
        self.scaler.load_state_dict(saved["scaler"])
        self.generator.set_state(saved["generator"])
        torch.set_rng_state(saved["torch_rng"])
        self.history = list(saved["history"])
        self.best = saved["best"]
        mined = saved["mined"]
        self.mined = None if mined is None else (mined[0].numpy(), mined[1].numpy())

    def _validate(self, name: str, epoch: int, epochs: int, loss: float) -> None:
        inputs, labels, valid = self.validation
        scores = pixel_scores(pixel_counts(self.predict(inputs) >= 0.5, labels, valid))
        number = len(self.history) + 1
        self.history.append(
            {
                "epoch": number,
                "phase": name,
                "loss": loss,
                **{f"validation_{k}": v for k, v in scores.items()},
            }
        )
        # one line per epoch: readable in a log file, where progress bars are carriage-return streams
        log.info(
            "%s epoch %d/%d: loss %.4f, validation IoU %s (precision %s, recall %s)",
            *(name, epoch, epochs, loss),
            *(format_score(scores[key], key) for key in ("iou", "precision", "recall")),
        )
        # An undefined IoU (no labelled validation pixel and none predicted) counts as 0.0 when
        # choosing the best epoch: it is no evidence of skill, so it never beats a defined IoU,
        # and among epochs that tie the earliest is kept. With labelled validation pixels the
        # IoU is always defined and the choice is as before.
        validation_iou = 0.0 if scores["iou"] is None else scores["iou"]
        if self.best is None or validation_iou > self.best[0]:
            state = {key: value.detach().clone() for key, value in self.network.state_dict().items()}
            self.best = (validation_iou, number, state)

    def predict(self, inputs: NDArray[np.float32]) -> NDArray[np.float32]:
        """Likelihood of whole patches with the current weights."""
        return predict_patches(
            self.network, inputs, device=self.device, dtype=self.dtype, batch_size=self.settings.batch_size
        )

    def keep_best(self) -> dict[str, Any]:
        """Load the best validated weights; return their validation record."""
        assert self.best is not None
        _, epoch, state = self.best
        self.network.load_state_dict(state)
        return self.history[epoch - 1]


def false_positive_scores(
    likelihood: NDArray[np.float32], labels: NDArray[np.uint8], valid: NDArray[np.bool_]
) -> NDArray[np.float64]:
    """Per patch, the highest likelihood on valid unlabelled pixels: how sure a member is of a
    pattern where there is none."""
    background = valid & (labels == 0)
    return np.where(background, likelihood, 0.0).max(axis=(1, 2), initial=0.0).astype(np.float64)


def false_positive_spots(
    likelihood: NDArray[np.float32], labels: NDArray[np.uint8], valid: NDArray[np.bool_]
) -> NDArray[np.int64]:
    """Per patch, the row and column of its surest false alarm (the highest likelihood on a
    valid unlabelled pixel): where a mined tile's crop is placed."""
    pixels = int(np.prod(likelihood.shape[1:]))
    background = np.where(valid & (labels == 0), likelihood, -1.0).reshape(len(likelihood), pixels)
    rows, cols = np.unravel_index(background.argmax(axis=1), likelihood.shape[1:])
    return np.column_stack([rows, cols]).astype(np.int64)


def _mine_count(patches: PatchSet, train_index: NDArray[np.int64], settings: TrainSettings) -> int:
    """How many tiles a member may mine: ``mining_share`` x its positive training patches, none
    without mining epochs."""
    if settings.mining_epochs <= 0:
        return 0
    return int(round(settings.mining_share * int((patches.kinds[train_index] == 0).sum())))


def choose_mined(
    fit: Fit, tiles: PatchSet, candidate_tiles: NDArray[np.int64], *, n_mine: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The ``n_mine`` candidate tiles the member is surest of a pattern on (likelihood >= 0.5
    on an unlabelled pixel), and the crop centre of each (its surest false alarm)."""
    none = (np.zeros(0, dtype=np.int64), np.zeros((0, 2), dtype=np.int64))
    if n_mine <= 0 or not len(candidate_tiles):
        return none
    candidates = (tiles.labels[candidate_tiles], tiles.valid[candidate_tiles])
    likelihood = fit.predict(tiles.inputs[candidate_tiles])
    scores = false_positive_scores(likelihood, *candidates)
    order = np.argsort(-scores, kind="stable")[:n_mine]
    chosen = order[scores[order] >= 0.5]
    log.info("mined %d of %d candidate tiles as hard negatives", len(chosen), len(candidate_tiles))
    mined = candidate_tiles[chosen]
    return mined, false_positive_spots(likelihood[chosen], tiles.labels[mined], tiles.valid[mined])


def train_member(
    patches: PatchSet,
    tiles: PatchSet,
    train_index: NDArray[np.int64],
    validation_index: NDArray[np.int64],
    candidate_tiles: NDArray[np.int64],
    oof_tiles: NDArray[np.int64],
    *,
    network_kwargs: Mapping[str, Any],
    channels: Sequence[str],
    settings: TrainSettings,
    seed: int,
    device_name: str,
    resume: ResumeFile | None = None,
) -> tuple[torch.nn.Module, dict[str, Any], NDArray[np.float32]]:
    """Train one member on ``train_index`` and score it on ``validation_index``.

    1. ``epochs`` passes (one-cycle schedule);
    2. one round of mining its own false positives: the member predicts the unlabelled
       ``candidate_tiles`` of its training ground, and the ``mining_share`` x positives tiles
       it is surest of a pattern on (likelihood >= 0.5) join its training set as hard
       negatives for ``mining_epochs`` more passes (a lower one-cycle peak), each cropped on
       its surest false alarm;
    3. the weights of the best validated epoch (pixel IoU on whole validation patches, false
       alarms included) are kept, not merely the last;
    4. the kept member predicts ``oof_tiles`` (its validation ground, never trained on): the
       out-of-fold likelihood the ensemble's threshold is calibrated on.

    Deterministic for a seed on a given machine (seeded initialisation, shuffling and
    augmentation; deterministic kernels). With ``resume`` the state is saved after every
    epoch and a stopped training goes on after its last saved epoch, to the same result.
    Returns the network, a record of the run (device, precision, per-epoch loss and
    validation IoU, mined tiles, kept epoch) and the out-of-fold likelihood of ``oof_tiles``.
    """
    device = resolve_device(device_name)
    make_deterministic(device, seed)
    dtype = autocast_dtype(device, settings.precision)
    generator = torch.Generator().manual_seed(seed)
    network = build_network(**network_kwargs).to(device)
    fit = Fit(
        network,
        patches,
        validation_index,
        channels=channels,
        settings=settings,
        generator=generator,
        device=device,
        dtype=dtype,
        resume=resume,
    )
    saved = resume.load() if resume is not None else None
    if saved is not None:
        fit.restore(saved)
    if saved is None or saved["phase"] == "train":
        fit.phase(train_index, settings.epochs, settings.learning_rate, "train", saved=saved)
        n_mine = _mine_count(patches, train_index, settings)
        fit.mined = choose_mined(fit, tiles, candidate_tiles, n_mine=n_mine)
    assert fit.mined is not None
    mined, mined_focus = fit.mined
    if len(mined):
        extra = tiles.subset(mined)
        extra.kinds[:] = KINDS.index("mined")
        extra.focus = mined_focus
        fit.patches = concatenate([patches, extra])
        enlarged = np.concatenate([train_index, len(patches) + np.arange(len(mined))])
        fit.phase(enlarged, settings.mining_epochs, settings.learning_rate / 3, "mining", saved=saved)
    kept = fit.keep_best()
    oof = (
        fit.predict(tiles.inputs[oof_tiles])
        if len(oof_tiles)
        else np.zeros((0, *tiles.inputs.shape[2:]), np.float32)
    )
    record = {
        "device": str(device),
        "precision": dtype_name(dtype),
        "torch_threads": torch.get_num_threads(),
        "history": fit.history,
        "kept_epoch": kept["epoch"],
        "validation": {
            **{k.removeprefix("validation_"): v for k, v in kept.items() if k.startswith("validation_")},
            "patches": int(len(validation_index)),
            "window_px": int(patches.inputs.shape[-1]),
        },
        "training_patches": int(len(train_index)),
        "mined_tiles": int(len(mined)),
    }
    return network.cpu(), record, oof
