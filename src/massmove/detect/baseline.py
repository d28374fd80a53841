"""A classical, non-learned detector of local fringe patterns, the baseline every learned
ensemble is measured against.

Rules (per 128 px patch of the same tiling as the ensemble, so the baseline sees the same
context and goes through the same blending, vectorising and evaluation):

* fringe rate: the phase gradient of the unit phasor ``|angle(z[i+1] conj z[i])|`` along
  rows and columns (radians per pixel; the wrapped-phase seam is no edge), smoothed over
  ``window_px``;
* local excess: the fringe rate minus its median over the patch's coherent pixels, i.e.
  what stands out of the atmospheric and topographic background of the same 1.6 km;
* readability: the smoothed coherence is at least ``min_coherence`` (decorrelated ground has
  random phase, hence a high but meaningless "fringe rate");
* likelihood: a logistic ramp of the excess around ``excess_rad_per_px`` (0.5 there) with
  width ``softness_rad_per_px``, times readability. The spread band is 0: one detector.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from massmove.detect.channels import NORMALISATION
from massmove.insar.fringes import fringe_excess
from massmove.settings import StageSettings

#: channels the baseline reads, whatever the ensemble's
BASELINE_CHANNELS = ("cos_phase", "sin_phase", "coherence")


@dataclasses.dataclass(frozen=True)
class BaselineDetector:
    """Fringe-rate and coherence rules, a :class:`massmove.detect.detector.Detector`: ``predict`` maps
    a batch of normalised patches (n, 3, p, p) to a likelihood mean and a spread of zeros."""

    patch_px: int
    window_px: int
    min_coherence: float
    excess_rad_per_px: float
    softness_rad_per_px: float
    channels: tuple[str, ...] = BASELINE_CHANNELS
    device: torch.device = torch.device("cpu")

    @classmethod
    def from_config(cls, config: StageSettings) -> BaselineDetector:
        """The detector of ``model.baseline`` at the training patch size."""
        rules = config["model"]["baseline"]
        return cls(
            patch_px=config["train"]["patch_px"],
            window_px=rules["window_px"],
            min_coherence=rules["min_coherence"],
            excess_rad_per_px=rules["excess_rad_per_px"],
            softness_rad_per_px=rules["softness_rad_per_px"],
        )

    @property
    def training_posting_m(self) -> float | None:
        """None: the classical rules are not trained (their windows are in pixels)."""
        return None

    @property
    def precision(self) -> str:
        """The rules run in float64 on the CPU."""
        return "float64"

    def identity(self) -> dict[str, Any]:
        """``detector: baseline`` and its rules."""
        rules = ("window_px", "min_coherence", "excess_rad_per_px", "softness_rad_per_px")
        return {"detector": "baseline", **{k: str(getattr(self, k)) for k in rules}}

    def calibrated_detection(self) -> Mapping[str, Any] | None:
        """The rules carry no calibration: ``detection`` keys apply."""
        return None

    def predict(self, inputs: NDArray[np.float32]) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        """Likelihood mean (rules above) and spread (zeros) of a batch (n, 3, p, p)."""
        mean = np.stack([self.patch_likelihood(patch) for patch in inputs]).astype(np.float32)
        return mean, np.zeros_like(mean)

    def patch_likelihood(self, patch: NDArray[np.float32]) -> NDArray[np.float64]:
        """Likelihood (p, p) of one normalised patch (3, p, p)."""
        cos_phase, sin_phase = (_denormalised(patch[i], BASELINE_CHANNELS[i]) for i in (0, 1))
        coherence = _denormalised(patch[2], "coherence")
        valid = (cos_phase != 0) | (sin_phase != 0)
        excess, readable = fringe_excess(
            cos_phase + 1j * sin_phase,
            coherence,
            valid,
            window_px=self.window_px,
            min_coherence=self.min_coherence,
        )
        ramp = 1.0 / (1.0 + np.exp(-(excess - self.excess_rad_per_px) / self.softness_rad_per_px))
        return np.where(readable, ramp, 0.0)


def _denormalised(channel: NDArray[np.float32], name: str) -> NDArray[np.float64]:
    offset, scale = NORMALISATION[name]
    return channel.astype(np.float64) * scale + offset
