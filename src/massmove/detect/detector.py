"""The one interface both detectors implement: the learned ensemble
(:class:`massmove.model.ensemble.Ensemble`) and the classical baseline
(:class:`massmove.detect.baseline.BaselineDetector`). Tiling, blending and the likelihood
product (:mod:`massmove.detect.tiling`) see only this."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
import torch
from numpy.typing import NDArray


@runtime_checkable
class Detector(Protocol):
    """Maps batches of normalised patches to a likelihood mean and spread.

    Attributes
    ----------
    channels
        The product channels each patch holds, in order (:mod:`massmove.detect.channels`).
    patch_px
        The patch side the detector expects, in pixels.
    device
        Where ``predict`` runs.
    """

    @property
    def channels(self) -> Sequence[str]:
        """The product channels of a patch."""
        ...

    @property
    def patch_px(self) -> int:
        """The patch side in pixels."""
        ...

    @property
    def device(self) -> torch.device:
        """Where ``predict`` runs."""
        ...

    def predict(self, inputs: NDArray[np.float32]) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        """Likelihood mean and spread of a batch (n, channels, patch_px, patch_px)."""
        ...

    def identity(self) -> dict[str, Any]:
        """Tags naming the detector in its products (``detector`` and what makes it)."""
        ...

    def calibrated_detection(self) -> Mapping[str, Any] | None:
        """The detection settings calibrated with the detector, or None."""
        ...

    @property
    def training_posting_m(self) -> float | None:
        """The posting the detector was trained at in metres, or None (not trained, unknown)."""
        ...

    @property
    def precision(self) -> str:
        """The arithmetic of ``predict`` as products record it (``float32``, ``bfloat16``...)."""
        ...
