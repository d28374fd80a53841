"""How faithfully an interferogram product reproduces a reference (the synthetic truth)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from massmove.errors import InputError
from massmove.io.raster_io import read_bands


def product_fidelity(
    product_tif: str | Path, truth_tif: str | Path, *, min_coherence: float = 0.5
) -> dict[str, Any]:
    """Phase and coherence agreement of a product with the truth on the same grid.

    Returns
    -------
    dict
        ``phase_fidelity``: ``|mean(exp(i (phase - true_phase)))|`` over pixels whose product
        coherence is at least ``min_coherence``; ``phase_bias_rad``: the angle of that mean;
        ``coherence_pearson_r``: correlation of the coherence bands over all valid pixels;
        pixel counts.
    """
    product, grid, _ = read_bands(product_tif)
    truth, truth_grid, _ = read_bands(truth_tif)
    if grid != truth_grid:
        raise InputError(f"{product_tif} and {truth_tif} are not on the same grid")
    phase, coherence = product["wrapped_phase"], product["coherence"]
    true_phase, true_coherence = truth["wrapped_phase"], truth["coherence"]
    valid = (
        np.isfinite(phase) & np.isfinite(coherence) & np.isfinite(true_phase) & np.isfinite(true_coherence)
    )
    coherent = valid & (coherence >= min_coherence)
    if not coherent.any():
        raise InputError(f"{product_tif}: no pixel with coherence >= {min_coherence}")
    mean_phasor = np.mean(np.exp(1j * (phase[coherent].astype(np.float64) - true_phase[coherent])))
    return {
        "phase_fidelity": float(abs(mean_phasor)),
        "phase_bias_rad": float(np.angle(mean_phasor)),
        "coherence_pearson_r": float(np.corrcoef(coherence[valid], true_coherence[valid])[0, 1]),
        "coherent_pixels": int(coherent.sum()),
        "valid_pixels": int(valid.sum()),
    }
