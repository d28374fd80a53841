"""Phase and coherence fidelity of the default chain on scenes of other seeds.

Runs the workflow (snakemake, 2 cores) on the default config with each given seed in a
temporary directory and prints, per pair, |mean(exp(i(phase - true_phase)))| over pixels
with coherence >= 0.5 and the Pearson r of the coherence bands, plus the wall time.
Usage: .venv/bin/python benchmarks/fidelity.py SEED [SEED ...]
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from massmove.fidelity import product_fidelity

REPO = Path(__file__).resolve().parents[1]


def main(seeds: list[int]) -> None:
    for seed in seeds:
        run = Path(tempfile.mkdtemp(prefix=f"massmove-seed{seed}-"))
        (run / "seed.yaml").write_text(yaml.safe_dump({"synthetic": {"seed": seed}}))
        start = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "snakemake",
                "-s",
                str(REPO / "Snakefile"),
                "--directory",
                str(run),
                "--configfile",
                str(run / "seed.yaml"),
                "--cores",
                "2",
                "--quiet",
            ],
            check=True,
            capture_output=True,
        )
        elapsed = time.perf_counter() - start
        print(f"seed {seed}: workflow {elapsed:.0f} s")
        for product in sorted((run / "results/interferograms").glob("*.tif")):
            truth = run / "results/truth" / f"{product.stem}_phase.tif"
            f = product_fidelity(product, truth)
            print(
                f"  {product.stem}: phase fidelity {f['phase_fidelity']:.3f} "
                f"(bias {f['phase_bias_rad']:+.3f} rad, {f['coherent_pixels']} px), "
                f"coherence r {f['coherence_pearson_r']:.3f}"
            )


if __name__ == "__main__":
    main([int(s) for s in sys.argv[1:]] or [1])
