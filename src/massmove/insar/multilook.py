"""Multilooking: averaging blocks of (azimuth, range) pixels."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def multilook(values: NDArray, looks: tuple[int, int]) -> NDArray:
    """Average non-overlapping blocks of ``looks`` (lines, samples); trailing partial blocks dropped.

    Examples
    --------
    >>> multilook(np.arange(8.0).reshape(2, 4), (1, 2))
    array([[0.5, 2.5],
           [4.5, 6.5]])
    """
    la, lr = looks
    rows, cols = values.shape[0] // la, values.shape[1] // lr
    blocks = values[: rows * la, : cols * lr].reshape(rows, la, cols, lr)
    return blocks.mean(axis=(1, 3))


def multilooked_coordinate(full_resolution: NDArray, looks: int) -> NDArray:
    """Coordinate in the multilooked grid of a full-resolution coordinate (block centres)."""
    return (np.asarray(full_resolution, dtype=np.float64) - (looks - 1) / 2.0) / looks
