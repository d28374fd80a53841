"""Side by side: splatting scatterer rows (accumulate_rows) against point splatting (accumulate).

Same inputs, same result (checked), one process; prints the time of each and the ratio.
Usage: .venv/bin/python benchmarks/splat.py [--rows 96] [--columns 12000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from massmove.splat import accumulate, accumulate_rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=96)
    parser.add_argument("--columns", type=int, default=12000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    row_line = np.sort(rng.uniform(10, 30, args.rows))
    sample = np.sort(rng.uniform(5, 4000, (args.rows, args.columns)), axis=1)
    values = (rng.normal(size=sample.shape) + 1j * rng.normal(size=sample.shape)).astype(np.complex64)
    lines = np.repeat(row_line[:, None], args.columns, axis=1)
    shape = (120, 9000)
    timings = {}
    results = {}
    for name, func, line_arg in (
        ("points (baseline)", accumulate, lines),
        ("rows", accumulate_rows, row_line),
    ):
        best = np.inf
        for _ in range(args.repeat):
            target = np.zeros(shape, dtype=np.complex128)
            start = time.perf_counter()
            func(target, line_arg, sample, values, 2)
            best = min(best, time.perf_counter() - start)
        timings[name], results[name] = best, target
    assert np.allclose(results["rows"], results["points (baseline)"], atol=1e-6)
    for name, seconds in timings.items():
        rate = args.rows * args.columns / seconds / 1e6
        print(f"{name:<20s} {seconds * 1000:8.1f} ms  ({rate:.1f} M points/s)")
    print(f"speed-up rows / points: {timings['points (baseline)'] / timings['rows']:.2f}x")


if __name__ == "__main__":
    main()
