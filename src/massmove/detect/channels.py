"""Model input channels built from an interferogram product, and their normalisation."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from massmove.errors import InputError

#: Channel name -> (offset, scale): the network sees (value - offset) / scale.
NORMALISATION: dict[str, tuple[float, float]] = {
    "cos_phase": (0.0, 1.0),
    "sin_phase": (0.0, 1.0),
    "coherence": (0.5, 0.25),
}


def product_channels(
    wrapped_phase_rad: NDArray, coherence: NDArray, channels: Sequence[str]
) -> tuple[NDArray[np.float32], NDArray[np.bool_]]:
    """Normalised input channels and the valid-pixel mask of a product (or a window of one).

    Nodata (NaN) pixels get 0 in every channel and ``False`` in the mask.

    Examples
    --------
    >>> x, valid = product_channels(np.array([[0.0, np.nan]]), np.array([[1.0, 0.5]]),
    ...                             ["cos_phase", "coherence"])
    >>> x[:, 0, 0].tolist(), valid.tolist()
    ([1.0, 2.0], [[True, False]])
    """
    phase = np.asarray(wrapped_phase_rad, dtype=np.float32)
    coh = np.asarray(coherence, dtype=np.float32)
    if phase.shape != coh.shape:
        raise InputError(f"phase {phase.shape} and coherence {coh.shape} differ in shape")
    valid = np.isfinite(phase) & np.isfinite(coh)
    values = {
        "cos_phase": np.cos(phase),
        "sin_phase": np.sin(phase),
        "coherence": np.clip(coh, 0.0, 1.0),
    }
    stack = np.empty((len(channels), *phase.shape), dtype=np.float32)
    for index, name in enumerate(channels):
        if name not in NORMALISATION:
            raise InputError(f"unknown input channel {name!r} (known: {', '.join(NORMALISATION)})")
        offset, scale = NORMALISATION[name]
        stack[index] = np.where(valid, (values[name] - offset) / scale, 0.0)
    return stack, valid


def normalisation_of(channels: Sequence[str]) -> dict[str, list[float]]:
    """The normalisation a checkpoint records for its channels."""
    return {name: list(NORMALISATION[name]) for name in channels}
