"""Training of one ensemble member (one fold of the k-fold cross-evaluation)."""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from tqdm import tqdm

from massmove.evaluate.metrics import pixel_counts, pixel_scores
from massmove.model.augment import augment_batch
from massmove.model.network import (
    autocast,
    autocast_dtype,
    build_network,
    dtype_name,
    make_deterministic,
    resolve_device,
)
from massmove.model.patches import PatchSet

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
        )


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
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One random square window of ``crop_px`` per patch (the network is fully convolutional).

    With ``on_labels`` the window of a patch holding labelled pixels is placed so that it
    holds one of them (drawn at random, at a random place in the window): a positive patch
    stays positive. Other patches get a uniformly random window. Returns the cropped
    ``inputs`` (n, c, crop, crop), ``labels`` and ``valid`` (n, crop, crop); deterministic for
    the generator's state.
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


def train_member(
    patches: PatchSet,
    train_index: NDArray[np.int64],
    validation_index: NDArray[np.int64],
    *,
    network_kwargs: Mapping[str, Any],
    channels: Sequence[str],
    settings: TrainSettings,
    seed: int,
    device_name: str,
) -> tuple[torch.nn.Module, dict[str, Any]]:
    """Train one member on ``train_index`` and score it on ``validation_index``.

    Deterministic for a seed on a given machine (seeded initialisation, shuffling and
    augmentation; deterministic kernels). Returns the network and a record of the run:
    device, precision, per-epoch loss and validation IoU, final validation metrics.
    """
    device = resolve_device(device_name)
    make_deterministic(device, seed)
    dtype = autocast_dtype(device, settings.precision)
    generator = torch.Generator().manual_seed(seed)
    network = build_network(**network_kwargs).to(device)
    optimiser = torch.optim.AdamW(
        network.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay
    )
    steps_per_epoch = max(1, math.ceil(len(train_index) / settings.batch_size))
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=settings.learning_rate, total_steps=settings.epochs * steps_per_epoch, pct_start=0.2
    )
    scaler = torch.amp.GradScaler("cuda", enabled=device.type == "cuda" and dtype == torch.float16)
    inputs = torch.from_numpy(patches.inputs)
    labels = torch.from_numpy(patches.labels)
    valid = torch.from_numpy(patches.valid)
    history: list[dict[str, float]] = []
    scores: dict[str, float] = {}
    for epoch in range(1, settings.epochs + 1):
        network.train()
        order = torch.from_numpy(train_index)[torch.randperm(len(train_index), generator=generator)]
        total, count = 0.0, 0
        bar = tqdm(
            range(steps_per_epoch), desc=f"epoch {epoch}/{settings.epochs}", mininterval=10, leave=False
        )
        for step in bar:
            batch = order[step * settings.batch_size : (step + 1) * settings.batch_size]
            x, y, v = augment_batch(inputs[batch], labels[batch], valid[batch], channels, generator)
            x, y, v = crop_patches(x, y, v, settings.crop_px, generator, on_labels=settings.crop_on_labels)
            x, y, v = x.to(device), y.to(device), v.to(device)
            optimiser.zero_grad(set_to_none=True)
            with autocast(device, dtype):
                logits = network(x)[:, 0]
            loss = segmentation_loss(logits, y, v, settings)
            scaler.scale(loss).backward()
            scaler.step(optimiser)
            scaler.update()
            schedule.step()
            total += float(loss.detach()) * len(batch)
            count += len(batch)
            bar.set_postfix(loss=f"{total / count:.4f}")
        probability = predict_patches(
            network,
            patches.inputs[validation_index],
            device=device,
            dtype=dtype,
            batch_size=settings.batch_size,
        )
        counts = pixel_counts(
            probability >= 0.5, patches.labels[validation_index], patches.valid[validation_index]
        )
        scores = pixel_scores(counts)
        history.append(
            {
                "epoch": epoch,
                "loss": total / max(count, 1),
                **{f"validation_{k}": v for k, v in scores.items()},
            }
        )
        log.info(
            "epoch %d/%d: loss %.4f, validation IoU %.3f (precision %.3f, recall %.3f)",
            *(epoch, settings.epochs, total / max(count, 1)),
            *(scores["iou"], scores["precision"], scores["recall"]),
        )
    record = {
        "device": str(device),
        "precision": dtype_name(dtype),
        "torch_threads": torch.get_num_threads(),
        "history": history,
        "validation": {**scores, "patches": int(len(validation_index))},
        "training_patches": int(len(train_index)),
    }
    return network.cpu(), record
