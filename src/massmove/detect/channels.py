"""Model input channels built from an interferogram product, and their normalisation.

Channels named ``sibling_*`` are read from the pair's same-track sibling (the other pair of its
track that shares its reference acquisition, :func:`massmove.pairs.sibling_pair_id`), on the
same grid: the network then sees how each pattern's phase changes with the time span.
"""

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
    "sibling_cos_phase": (0.0, 1.0),
    "sibling_sin_phase": (0.0, 1.0),
    "sibling_coherence": (0.5, 0.25),
}
#: prefix of the channels read from the pair's same-track sibling
SIBLING_PREFIX = "sibling_"


def needs_sibling(channels: Sequence[str]) -> bool:
    """Whether any of ``channels`` is read from the pair's sibling.

    Examples
    --------
    >>> needs_sibling(["cos_phase", "sin_phase"]), needs_sibling(["cos_phase", "sibling_cos_phase"])
    (False, True)
    """
    return any(name.startswith(SIBLING_PREFIX) for name in channels)


def product_channels(
    wrapped_phase_rad: NDArray,
    coherence: NDArray,
    channels: Sequence[str],
    sibling: tuple[NDArray, NDArray] | None = None,
) -> tuple[NDArray[np.float32], NDArray[np.bool_]]:
    """Normalised input channels and the valid-pixel mask of a product (or a window of one).

    ``sibling`` is the (wrapped phase, coherence) of the pair's sibling on the same pixels,
    required when a ``sibling_*`` channel is asked for; a pixel is then valid where both pairs
    are. Nodata (NaN) pixels get 0 in every channel and ``False`` in the mask.

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
    values = _values(phase, coh)
    if needs_sibling(channels):
        if sibling is None:
            raise InputError(f"input channels {list(channels)} read the pair's sibling, and none was given")
        sibling_phase, sibling_coh = (np.asarray(a, dtype=np.float32) for a in sibling)
        if sibling_phase.shape != phase.shape or sibling_coh.shape != phase.shape:
            raise InputError(
                f"the sibling's phase {sibling_phase.shape} and coherence {sibling_coh.shape} "
                f"differ in shape from the pair's {phase.shape}"
            )
        valid &= np.isfinite(sibling_phase) & np.isfinite(sibling_coh)
        values.update(
            {SIBLING_PREFIX + name: value for name, value in _values(sibling_phase, sibling_coh).items()}
        )
    stack = np.empty((len(channels), *phase.shape), dtype=np.float32)
    for index, name in enumerate(channels):
        if name not in NORMALISATION:
            raise InputError(f"unknown input channel {name!r} (known: {', '.join(NORMALISATION)})")
        offset, scale = NORMALISATION[name]
        stack[index] = np.where(valid, (values[name] - offset) / scale, 0.0)
    return stack, valid


def _values(phase: NDArray[np.float32], coh: NDArray[np.float32]) -> dict[str, NDArray]:
    """The channels' values of one pair, before normalisation."""
    return {"cos_phase": np.cos(phase), "sin_phase": np.sin(phase), "coherence": np.clip(coh, 0.0, 1.0)}


def normalisation_of(channels: Sequence[str]) -> dict[str, list[float]]:
    """The normalisation a checkpoint records for its channels."""
    return {name: list(NORMALISATION[name]) for name in channels}
