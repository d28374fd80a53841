"""The learned detector: ensemble members loaded once on their device, predicting a batch's
likelihood mean and spread (:class:`massmove.detect.detector.Detector`)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from massmove.errors import ConfigError
from massmove.model.checkpoint import load_member
from massmove.model.network import autocast, autocast_dtype, dtype_name, resolve_device

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class EnsembleSource:
    """Where an ensemble comes from: enough to load it again in another process."""

    directories: tuple[str, ...]
    channels: tuple[str, ...]
    patch_px: int
    device_name: str
    precision: str


@dataclasses.dataclass
class Ensemble:
    """Members loaded once on their device, with what they expect.

    An ensemble loaded by :func:`load_ensemble` pickles as its :class:`EnsembleSource`: a
    dask ``distributed`` worker that receives it loads the members from their checkpoints
    (once per process, with the same checks), instead of receiving every weight in every task.
    """

    members: list[torch.nn.Module]
    records: list[dict[str, Any]]
    channels: list[str]
    patch_px: int
    device: torch.device
    dtype: torch.dtype | None
    source: EnsembleSource | None = None

    def __reduce_ex__(self, protocol: Any) -> Any:
        if self.source is None:
            return super().__reduce_ex__(protocol)
        return (_ensemble_of, (self.source,))

    @property
    def channels_last(self) -> bool:
        """Channels-last layout on CPUs: faster convolutions with bf16, and about 1.35x with fp32
        on an AVX2 CPU (benchmarks/README.md)."""
        return self.device.type == "cpu"

    @property
    def precision(self) -> str:
        """The autocast dtype, ``float32`` for none."""
        return dtype_name(self.dtype)

    def identity(self) -> dict[str, Any]:
        """``detector: ensemble``, the number of members and their weights' digests."""
        return {
            "detector": "ensemble",
            "members": len(self.members),
            "checkpoint_digests": ",".join(r["weights_sha256"] for r in self.records),
        }

    @property
    def training_posting_m(self) -> float | None:
        """The coarsest posting the members were trained at (``massmove.json``), or None when a
        member does not record it (members of earlier versions)."""
        postings = [record.get("training_posting_m") for record in self.records]
        known = [float(p) for p in postings if p is not None]
        return max(known) if known and len(known) == len(postings) else None

    def calibrated_detection(self) -> Mapping[str, Any] | None:
        """The ``detection`` block the calibrate rule wrote into the members (the first
        member's, with a warning when they differ)."""
        calibrations = [record.get("detection") for record in self.records]
        if any(c != calibrations[0] for c in calibrations):
            log.warning("members carry different calibrations; the first member's is used")
        return calibrations[0]

    def predict(self, inputs: NDArray[np.float32]) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        """Ensemble mean and standard deviation of the likelihood of a batch (n, c, p, p)."""
        batch = torch.from_numpy(inputs).to(self.device)
        if self.channels_last:
            batch = batch.contiguous(memory_format=torch.channels_last)
        with torch.inference_mode(), autocast(self.device, self.dtype):
            stack = torch.stack([torch.sigmoid(m(batch).float())[:, 0] for m in self.members])
        likelihoods = stack.cpu().numpy()
        return likelihoods.mean(axis=0), likelihoods.std(axis=0)


def load_ensemble(
    directories: Sequence[str | Path],
    *,
    channels: Sequence[str],
    patch_px: int,
    device_name: str,
    precision: str,
) -> Ensemble:
    """Load every member on the device after checking channels, patch size and weights."""
    if not directories:
        raise ConfigError("config key 'model.checkpoints': no ensemble member to segment with")
    device = resolve_device(device_name)
    dtype = autocast_dtype(device, precision)
    members, records = [], []
    for directory in directories:
        network, record = load_member(directory, channels=channels, patch_px=patch_px)
        network = network.to(device)
        if device.type == "cpu":
            network = network.to(memory_format=torch.channels_last)
        members.append(network)
        records.append(record)
    source = EnsembleSource(
        tuple(str(d) for d in directories), tuple(channels), patch_px, device_name, precision
    )
    return Ensemble(members, records, list(channels), patch_px, device, dtype, source)


_LOADED: dict[EnsembleSource, Ensemble] = {}


def _ensemble_of(source: EnsembleSource) -> Ensemble:
    """The ensemble of ``source``, loaded once per process (on a CPU with one torch thread per
    block task, as locally: the arithmetic must not depend on where a block runs)."""
    if source not in _LOADED:
        ensemble = load_ensemble(**dataclasses.asdict(source))
        if ensemble.device.type == "cpu":
            torch.set_num_threads(1)
        _LOADED[source] = ensemble
    return _LOADED[source]
