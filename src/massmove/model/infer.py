"""Tiled ensemble inference: a product opened lazily in dask chunks with a halo, overlapping
patches on one global grid, every member on every batch, overlaps blended with a smooth window.

Each output pixel receives the contributions of exactly the patches of the global patch grid
that contain it, whichever chunk computes it, so chunk borders leave no seams and the result
does not depend on the chunk size (up to float rounding of batched kernels).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import warnings
from collections.abc import Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, as_completed, wait
from pathlib import Path
from typing import Any

import dask.array as da
import numpy as np
import rasterio
import rioxarray
import torch
from numpy.typing import NDArray
from rasterio.windows import Window

from massmove.detector import Detector
from massmove.errors import ConfigError, InputError
from massmove.io.atomic import atomic_path
from massmove.io.raster_io import COG_BLOCKSIZE, copy_to_cog, require_bands
from massmove.model.channels import product_channels
from massmove.model.checkpoint import load_member
from massmove.model.network import autocast, autocast_dtype, dtype_name, resolve_device

log = logging.getLogger(__name__)

#: GDAL block cache while the likelihood COG is written, in MB (keeps memory bounded)
GDAL_CACHE_MB = 256


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


def blend_window(patch_px: int) -> NDArray[np.float32]:
    """Separable sine-squared window; at a stride of half the patch it sums to one.

    Examples
    --------
    >>> w = blend_window(8)
    >>> bool(np.allclose(w[:4, :4] + w[4:, :4] + w[:4, 4:] + w[4:, 4:], 1.0))
    True
    """
    ramp = np.sin(np.pi * (np.arange(patch_px) + 0.5) / patch_px) ** 2
    return np.outer(ramp, ramp).astype(np.float32)


def likelihood_of_block(
    block: NDArray,
    *,
    detector: Detector,
    stride_px: int,
    batch_size: int,
) -> NDArray[np.float32]:
    """Mean and spread (2, h, w) of a haloed block of (phase, coherence) (2, h, w).

    The block's halo is ``patch - stride`` on each side and its core starts on the global
    patch grid, so the patches cut at ``0, stride, ...`` are the global ones.
    """
    patch = detector.patch_px
    stack, valid = product_channels(block[0], block[1], detector.channels)
    rows, cols = valid.shape
    weight_sum = np.zeros((rows, cols), dtype=np.float64)
    mean_sum = np.zeros((rows, cols), dtype=np.float64)
    spread_sum = np.zeros((rows, cols), dtype=np.float64)
    window = blend_window(patch)
    origins = [
        (r, c)
        for r in range(0, rows - patch + 1, stride_px)
        for c in range(0, cols - patch + 1, stride_px)
        if valid[r : r + patch, c : c + patch].any()
    ]
    for start in range(0, len(origins), batch_size):
        chunk = origins[start : start + batch_size]
        inputs = np.stack([stack[:, r : r + patch, c : c + patch] for r, c in chunk])
        mean, spread = detector.predict(inputs)
        for (r, c), m, s in zip(chunk, mean, spread, strict=True):
            weight_sum[r : r + patch, c : c + patch] += window
            mean_sum[r : r + patch, c : c + patch] += window * m
            spread_sum[r : r + patch, c : c + patch] += window * s
    covered = valid & (weight_sum > 0)
    safe = np.where(covered, weight_sum, 1.0)
    out = np.full((2, rows, cols), np.nan, dtype=np.float32)
    out[0][covered] = (mean_sum / safe)[covered]
    out[1][covered] = (spread_sum / safe)[covered]
    return out


def inference_workers(detector: Detector, threads: int) -> int:
    """Dask workers for the rule's threads, setting torch's threads to match: on a CPU one torch
    thread per worker (chunks side by side); a GPU is fed by one worker."""
    threads = max(1, threads)
    if detector.device.type == "cpu":
        torch.set_num_threads(1)
        return threads
    torch.set_num_threads(threads)
    return 1


def likelihood_array(
    product_tif: str | Path, detector: Detector, *, chunk_px: int, stride_px: int, batch_size: int
) -> tuple[da.Array, dict[str, Any]]:
    """The lazy likelihood (2, rows, cols) of a product, and the product's profile."""
    path = Path(product_tif)
    if not path.is_file():
        raise InputError(f"interferogram not found: {path}")
    patch = detector.patch_px
    if stride_px > patch or patch % stride_px or chunk_px % stride_px:
        raise ConfigError(
            f"config key 'segment.stride_px': {stride_px} must divide the patch size {patch} and "
            f"segment.chunk_px {chunk_px}"
        )
    with rasterio.open(path) as src:
        bands = require_bands(path, src.descriptions, ("wrapped_phase", "coherence"))
        profile = {"crs": src.crs, "transform": src.transform, "height": src.height, "width": src.width}
        tags = src.tags()
    with warnings.catch_warnings():
        # pyproj cannot describe every projection (e.g. Swiss oblique Mercator) in CF terms;
        # the grid is taken from the raster's transform and CRS, not from CF attributes
        warnings.filterwarnings("ignore", message="angle from rectified to skew grid", category=UserWarning)
        source = rioxarray.open_rasterio(path, chunks={"band": -1, "y": chunk_px, "x": chunk_px}, masked=True)
    data = source.isel(band=bands).data.astype(np.float32)
    rows, cols = data.shape[1:]
    # pad to whole strides so that the last chunk's core ends on the patch grid
    pad_rows, pad_cols = -rows % stride_px, -cols % stride_px
    data = da.pad(data, ((0, 0), (0, pad_rows), (0, pad_cols)), constant_values=np.nan)
    data = data.rechunk({0: -1, 1: chunk_px, 2: chunk_px})
    halo = patch - stride_px
    likelihood = da.map_overlap(
        likelihood_of_block,
        data,
        depth={0: 0, 1: halo, 2: halo},
        boundary=np.nan,
        dtype=np.float32,
        detector=detector,
        stride_px=stride_px,
        batch_size=batch_size,
    )
    return likelihood[:, :rows, :cols], {**profile, "tags": tags}


class _WindowWriter:
    """``da.store`` target writing (band, row, col) slices into an open raster."""

    def __init__(self, dataset: Any) -> None:
        self.dataset = dataset
        self.lock = threading.Lock()

    def __setitem__(self, key: tuple[slice, slice, slice], value: NDArray) -> None:
        window = Window.from_slices(key[1], key[2])
        with self.lock:
            self.dataset.write(value, window=window)


def store_in_threads(likelihood: da.Array, target: Any, workers: int) -> None:
    """Compute the blocks of ``likelihood`` on ``workers`` local threads, at most two per
    thread at a time in row-major order, and write each into ``target`` as it is done.

    Peak memory is that of a few blocks with their halos, whatever the raster size: given
    the whole graph at once (``da.store``), dask's scheduler reads input chunks far ahead of
    the blocks that need them and holds them (peak RSS grew by half from 4096 to 16384 px).
    Each block still reads its neighbours' chunks for its halo (an overhead of reading, not
    of inference)."""
    slices = list(da.core.slices_from_chunks(likelihood.chunks))
    blocks = list(likelihood.to_delayed().ravel())
    in_flight_max = 2 * workers
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: dict[Future, tuple[slice, ...]] = {}
        for where, block in zip(slices, blocks, strict=True):
            if len(pending) >= in_flight_max:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    target[pending.pop(future)] = future.result()
            pending[pool.submit(block.compute, scheduler="synchronous")] = where
        for future in as_completed(pending):
            target[pending[future]] = future.result()


def store_on_cluster(likelihood: da.Array, target: Any, address: str) -> None:
    """Compute the blocks of ``likelihood`` on the distributed scheduler at ``address`` and
    write each into ``target`` here, as it arrives. The workers read the product's chunks and
    load the ensemble from its checkpoints themselves (a shared file system, as on HPC)."""
    from distributed import Client
    from distributed import as_completed as as_computed

    slices = list(da.core.slices_from_chunks(likelihood.chunks))
    blocks = list(likelihood.to_delayed().ravel())
    with Client(address, set_as_default=False) as client:
        futures = client.compute(blocks)
        where = {future.key: block for future, block in zip(futures, slices, strict=True)}
        for future in as_computed(futures, loop=client.loop):
            target[where[future.key]] = future.result()
            future.release()


def write_likelihood(
    likelihood: da.Array,
    profile: dict[str, Any],
    out_tif: str | Path,
    tags: dict[str, Any],
    *,
    workers: int,
    scheduler: str = "threads",
) -> None:
    """Compute the likelihood chunk by chunk into a tiled GeoTIFF, then copy it to a COG,
    atomically; memory stays bounded by the chunk size and GDAL's cache.

    ``scheduler`` is ``"threads"`` (``workers`` local threads) or the address of a running
    dask ``distributed`` scheduler (``tcp://host:port``), whose workers compute the blocks
    while this process writes them. Each block's likelihood depends only on its own pixels
    and halo, so both give the same raster."""
    out_tif = Path(out_tif)
    with atomic_path(out_tif) as tmp, rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB):
        staging = tmp.with_name(tmp.name + ".tiles.tif")
        with rasterio.open(
            staging,
            "w",
            driver="GTiff",
            width=profile["width"],
            height=profile["height"],
            count=2,
            dtype="float32",
            crs=profile["crs"],
            transform=profile["transform"],
            nodata=float("nan"),
            tiled=True,
            blockxsize=COG_BLOCKSIZE,
            blockysize=COG_BLOCKSIZE,
            compress="DEFLATE",
            BIGTIFF="IF_SAFER",
        ) as dst:
            if scheduler == "threads":
                store_in_threads(likelihood, _WindowWriter(dst), workers)
            else:
                store_on_cluster(likelihood, _WindowWriter(dst), scheduler)
            dst.update_tags(**{str(k): str(v) for k, v in tags.items()})
            dst.set_band_description(1, "likelihood_mean")
            dst.set_band_description(2, "likelihood_spread")
        copy_to_cog(staging, tmp, overview_resampling="AVERAGE", BIGTIFF="IF_SAFER")
        staging.unlink()
