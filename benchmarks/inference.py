"""Ensemble inference: massmove's tiled inference (a) against a naive loop (b).

(a) ``massmove.detect.tiling``: the interferogram opened lazily in dask chunks with a halo,
    overlapping patches in batches through every member (all loaded once), smooth blending,
    the likelihood COG written chunk by chunk.
(b) naive: the whole raster read into memory, patches cut one at a time (same patch grid),
    each member run separately on each patch in fp32, blended into full-size arrays.

Speed: both on the same fully valid raster, in this process, on the same device; tiles/s
counts ensemble tiles (one patch through every member) and km2/s the area covered per second
at 12.5 m. (b) may be stopped after ``--naive-tiles`` tiles: its rate is per tile.
Memory: each approach runs in a fresh child process and reports its peak RSS. (a) is also
run on rasters of ``--memory-sizes`` px whose valid pixels form a diagonal band of
``--band-px`` (the rest nodata, as outside a swath): reading, tiling, writing and the COG
are done for the full raster; the models only see patches holding valid pixels.

Usage: .venv/bin/python benchmarks/inference.py [--size 8192] [--members 5]
       [--naive-tiles 64] [--memory-sizes 4096 16384] [--device auto]
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import rasterio
import torch

from massmove.config import resolve_config
from massmove.detect.channels import product_channels
from massmove.detect.tiling import blend_window, inference_workers, likelihood_array, write_likelihood
from massmove.model.checkpoint import save_member
from massmove.model.ensemble import load_ensemble
from massmove.model.network import build_network, network_settings, resolve_device

POSTING_M = 12.5


def write_interferogram(path: Path, size_px: int, *, band_px: int | None, seed: int = 0) -> None:
    """A wrapped-phase interferogram (fringes + noise) and coherence, written in strips."""
    rng = np.random.default_rng(seed)
    profile = {
        "driver": "GTiff",
        "width": size_px,
        "height": size_px,
        "count": 2,
        "dtype": "float32",
        "crs": "EPSG:2056",
        "transform": rasterio.Affine(POSTING_M, 0, 2.6e6, 0, -POSTING_M, 1.1e6),
        "nodata": float("nan"),
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        "compress": "DEFLATE",
        "BIGTIFF": "IF_SAFER",
    }
    strip = 256
    with rasterio.open(path, "w", **profile) as dst:
        dst.set_band_description(1, "wrapped_phase")
        dst.set_band_description(2, "coherence")
        cols = np.arange(size_px)
        for top in range(0, size_px, strip):
            rows = np.arange(top, min(top + strip, size_px))[:, None]
            phase = 0.02 * rows + 0.013 * cols + rng.normal(0, 0.6, (len(rows), size_px))
            phase = np.angle(np.exp(1j * phase)).astype(np.float32)
            coherence = rng.uniform(0.2, 0.9, phase.shape).astype(np.float32)
            if band_px is not None:
                outside = np.abs(rows - cols) > band_px // 2
                phase[outside] = np.nan
                coherence[outside] = np.nan
            window = rasterio.windows.Window(0, top, size_px, len(rows))
            dst.write(np.stack([phase, coherence]), window=window)


def make_members(directory: Path, count: int, config: dict) -> list[Path]:
    """Untrained members of the configured architecture (speed does not depend on weights)."""
    dirs = []
    for k in range(count):
        torch.manual_seed(k)
        network = build_network(**network_settings(config["model"]))
        meta = {**network_settings(config["model"]), "channels": config["model"]["channels"], "patch_px": 128}
        save_member(network, directory / f"fold{k}", meta)
        dirs.append(directory / f"fold{k}")
    return dirs


def tiled(product: Path, members: list[Path], out: Path, config: dict, device: str, threads: int) -> int:
    """Approach (a); returns the number of ensemble tiles run."""
    seg = config["segment"]
    ensemble = load_ensemble(
        members,
        channels=config["model"]["channels"],
        patch_px=128,
        device_name=device,
        precision=seg["precision"],
    )
    calls = {"tiles": 0}
    predict = ensemble.predict

    def counting(inputs):
        calls["tiles"] += len(inputs)
        return predict(inputs)

    ensemble.predict = counting
    likelihood, profile = likelihood_array(
        product, ensemble, chunk_px=seg["chunk_px"], stride_px=seg["stride_px"], batch_size=seg["batch_size"]
    )
    workers = inference_workers(ensemble, threads)
    write_likelihood(likelihood, profile, out, {}, workers=workers)
    return calls["tiles"]


def naive(product: Path, members: list[Path], config: dict, device: str, threads: int, limit: int) -> int:
    """Approach (b), stopped after ``limit`` tiles; returns the tiles run."""
    from massmove.model.checkpoint import load_member

    torch.set_num_threads(threads)
    dev = resolve_device(device)
    networks = [
        load_member(m, channels=config["model"]["channels"], patch_px=128)[0].to(dev) for m in members
    ]
    with rasterio.open(product) as src:
        phase, coherence = src.read(1), src.read(2)
    patch, stride = 128, config["segment"]["stride_px"]
    window = blend_window(patch)
    mean_sum = np.zeros(phase.shape, dtype=np.float64)
    weight_sum = np.zeros(phase.shape, dtype=np.float64)
    tiles = 0
    for r in range(0, phase.shape[0] - patch + 1, stride):
        for c in range(0, phase.shape[1] - patch + 1, stride):
            if tiles >= limit:
                return tiles
            x, _ = product_channels(
                phase[r : r + patch, c : c + patch],
                coherence[r : r + patch, c : c + patch],
                config["model"]["channels"],
            )
            probabilities = []
            for network in networks:
                with torch.inference_mode():
                    out = network(torch.from_numpy(x[None]).to(dev))
                probabilities.append(torch.sigmoid(out)[0, 0].cpu().numpy())
            mean_sum[r : r + patch, c : c + patch] += window * np.mean(probabilities, axis=0)
            weight_sum[r : r + patch, c : c + patch] += window
            tiles += 1
    return tiles


def _child(queue, func, args) -> None:
    start = time.perf_counter()
    tiles = func(*args)
    seconds = time.perf_counter() - start
    queue.put((tiles, seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def in_child(func, *args) -> tuple[int, float, float]:
    """Run ``func`` in a fresh process: (tiles, seconds, peak RSS in MB)."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(queue, func, args))
    process.start()
    result = queue.get()
    process.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=8192, help="side of the speed raster, px")
    parser.add_argument("--members", type=int, default=5)
    parser.add_argument("--naive-tiles", type=int, default=64, help="tiles after which (b) stops")
    parser.add_argument("--memory-sizes", type=int, nargs="*", default=[4096, 16384])
    parser.add_argument("--band-px", type=int, default=256, help="valid band of the memory rasters, px")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    config = resolve_config()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        members = make_members(tmp / "members", args.members, config)
        product = tmp / "speed.tif"
        write_interferogram(product, args.size, band_px=None)
        km2 = (args.size * POSTING_M / 1000) ** 2
        tiles_a, seconds_a, rss_a = in_child(
            tiled, product, members, tmp / "a.tif", config, args.device, args.threads
        )
        tiles_b, seconds_b, rss_b = in_child(
            naive, product, members, config, args.device, args.threads, args.naive_tiles
        )
        total_tiles = len(range(0, args.size, config["segment"]["stride_px"])) ** 2
        rate_a, rate_b = tiles_a / seconds_a, tiles_b / seconds_b
        print(
            f"raster {args.size} x {args.size} px ({km2:.0f} km2), {args.members} members, "
            f"device {resolve_device(args.device)}, {args.threads} threads"
        )
        print(
            f"(a) tiled:  {tiles_a} tiles in {seconds_a:.1f} s = {rate_a:.2f} tiles/s, "
            f"{km2 / seconds_a:.3f} km2/s, peak RSS {rss_a:.0f} MB"
        )
        print(
            f"(b) naive:  {tiles_b} tiles in {seconds_b:.1f} s = {rate_b:.2f} tiles/s, "
            f"{km2 * tiles_b / total_tiles / seconds_b:.3f} km2/s, peak RSS {rss_b:.0f} MB"
        )
        print(f"speed-up (a)/(b): {rate_a / rate_b:.2f}x")
        peaks = {}
        for size in args.memory_sizes:
            product = tmp / f"memory_{size}.tif"
            write_interferogram(product, size, band_px=args.band_px)
            tiles, seconds, rss = in_child(
                tiled, product, members, tmp / f"m{size}.tif", config, args.device, args.threads
            )
            product.unlink()
            peaks[size] = rss
            print(f"(a) memory: {size} x {size} px, {tiles} tiles in {seconds:.1f} s, peak RSS {rss:.0f} MB")
        if len(peaks) >= 2:
            small, large = min(peaks), max(peaks)
            print(f"peak RSS {large} px / {small} px: {peaks[large] / peaks[small]:.2f}")


if __name__ == "__main__":
    main()
