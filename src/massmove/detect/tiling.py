"""Tiled inference for any detector: a product opened lazily in dask chunks with a halo,
overlapping patches on one global grid, every batch through the detector, overlaps blended with a
smooth window.

Each output pixel receives the contributions of exactly the patches of the global patch grid
that contain it, whichever chunk computes it, so chunk borders leave no seams and the result
does not depend on the chunk size (up to float rounding of batched kernels).
"""

from __future__ import annotations

import logging
import threading
import warnings
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

from massmove.detect.channels import needs_sibling, product_channels
from massmove.detect.detector import Detector
from massmove.errors import ConfigError, InputError
from massmove.io.atomic import atomic_path
from massmove.io.raster_io import COG_BLOCKSIZE, copy_to_cog, require_bands

log = logging.getLogger(__name__)

#: GDAL block cache while the likelihood COG is written, in MB (keeps memory bounded)
GDAL_CACHE_MB = 256


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
    """Mean and spread (2, h, w) of a haloed block of (phase, coherence) (2, h, w), or of
    (phase, coherence, sibling's phase, sibling's coherence) (4, h, w) for ``sibling_*``
    channels.

    The block's halo is ``patch - stride`` on each side and its core starts on the global
    patch grid, so the patches cut at ``0, stride, ...`` are the global ones.
    """
    patch = detector.patch_px
    sibling = (block[2], block[3]) if len(block) == 4 else None
    stack, valid = product_channels(block[0], block[1], detector.channels, sibling=sibling)
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
    product_tif: str | Path,
    detector: Detector,
    *,
    chunk_px: int,
    stride_px: int,
    batch_size: int,
    sibling_tif: str | Path | None = None,
) -> tuple[da.Array, dict[str, Any]]:
    """The lazy likelihood (2, rows, cols) of a product, and the product's profile.

    ``sibling_tif`` (the pair's same-track sibling on the same grid) is read when the
    detector's channels name ``sibling_*`` ones, and required then."""
    path = Path(product_tif)
    patch = detector.patch_px
    if stride_px > patch or patch % stride_px or chunk_px % stride_px:
        raise ConfigError(
            f"config key 'segment.stride_px': {stride_px} must divide the patch size {patch} and "
            f"segment.chunk_px {chunk_px}"
        )
    data, profile, tags = _lazy_phase_coherence(path, chunk_px)
    if needs_sibling(detector.channels):
        if sibling_tif is None:
            raise InputError(f"{path}: the detector's channels {detector.channels} need the pair's sibling")
        sibling, sibling_profile, _ = _lazy_phase_coherence(Path(sibling_tif), chunk_px)
        if sibling_profile != profile:
            raise InputError(f"{sibling_tif}: the sibling's grid is not that of {path}")
        data = da.concatenate([data, sibling], axis=0)
    rows, cols = data.shape[1:]
    # pad to whole strides so that the last chunk's core ends on the patch grid
    pad_rows, pad_cols = -rows % stride_px, -cols % stride_px
    data = da.pad(data, ((0, 0), (0, pad_rows), (0, pad_cols)), constant_values=np.nan)
    data = data.rechunk({0: -1, 1: chunk_px, 2: chunk_px})
    halo = patch - stride_px
    # two output bands whatever the input's (with a sibling, four): the blocks' chunks before
    # their halo is trimmed
    haloed = tuple(tuple(size + 2 * halo for size in sizes) for sizes in data.chunks[1:])
    likelihood = da.map_overlap(
        likelihood_of_block,
        data,
        depth={0: 0, 1: halo, 2: halo},
        boundary=np.nan,
        dtype=np.float32,
        chunks=((2,), *haloed),
        detector=detector,
        stride_px=stride_px,
        batch_size=batch_size,
    )
    return likelihood[:, :rows, :cols], {**profile, "tags": tags}


def _lazy_phase_coherence(path: Path, chunk_px: int) -> tuple[da.Array, dict[str, Any], dict[str, str]]:
    """A product's wrapped phase and coherence (2, rows, cols) in dask chunks, its profile and tags."""
    if not path.is_file():
        raise InputError(f"interferogram not found: {path}")
    with rasterio.open(path) as src:
        bands = require_bands(path, src.descriptions, ("wrapped_phase", "coherence"))
        profile = {"crs": src.crs, "transform": src.transform, "height": src.height, "width": src.width}
        tags = src.tags()
    with warnings.catch_warnings():
        # pyproj cannot describe every projection (e.g. Swiss oblique Mercator) in CF terms;
        # the grid is taken from the raster's transform and CRS, not from CF attributes
        warnings.filterwarnings("ignore", message="angle from rectified to skew grid", category=UserWarning)
        source = rioxarray.open_rasterio(path, chunks={"band": -1, "y": chunk_px, "x": chunk_px}, masked=True)
    return source.isel(band=bands).data.astype(np.float32), profile, tags


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
