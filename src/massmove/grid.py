"""Map grids (north-up, metres) and interpolation on them."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from affine import Affine
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage


@dataclasses.dataclass(frozen=True)
class Grid:
    """A north-up map grid: ``west_m``/``north_m`` are the outer edges of the first pixel.

    Examples
    --------
    >>> g = Grid.from_bounds(0.0, 0.0, 100.0, 50.0, 12.5, "EPSG:2056")
    >>> g.shape
    (4, 8)
    """

    west_m: float
    north_m: float
    spacing_m: float
    height: int
    width: int
    crs: str

    @classmethod
    def from_bounds(
        cls, west: float, south: float, east: float, north: float, spacing_m: float, crs: str
    ) -> Grid:
        """Grid covering the bounds, edges snapped outwards to multiples of the spacing."""
        west_s = math.floor(west / spacing_m + 1e-9) * spacing_m
        north_s = math.ceil(north / spacing_m - 1e-9) * spacing_m
        width = math.ceil((east - west_s) / spacing_m - 1e-9)
        height = math.ceil((north_s - south) / spacing_m - 1e-9)
        return cls(west_s, north_s, spacing_m, height, width, crs)

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns)."""
        return (self.height, self.width)

    @property
    def transform(self) -> Affine:
        """Rasterio affine transform."""
        return Affine(self.spacing_m, 0.0, self.west_m, 0.0, -self.spacing_m, self.north_m)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(west, south, east, north)."""
        return (
            self.west_m,
            self.north_m - self.height * self.spacing_m,
            self.west_m + self.width * self.spacing_m,
            self.north_m,
        )

    def centres(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Easting and northing of every pixel centre, each of shape ``(rows, columns)``."""
        east = self.west_m + (np.arange(self.width) + 0.5) * self.spacing_m
        north = self.north_m - (np.arange(self.height) + 0.5) * self.spacing_m
        return np.meshgrid(east, north)

    def fractional_index(
        self, east_m: ArrayLike, north_m: ArrayLike
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Fractional (row, column) of points, pixel centres at integers."""
        col = (np.asarray(east_m, dtype=np.float64) - self.west_m) / self.spacing_m - 0.5
        row = (self.north_m - np.asarray(north_m, dtype=np.float64)) / self.spacing_m - 0.5
        return row, col


def expanded_bounds(
    bounds: tuple[float, float, float, float], margin_m: float
) -> tuple[float, float, float, float]:
    """Bounds grown by a margin on every side."""
    west, south, east, north = bounds
    return (west - margin_m, south - margin_m, east + margin_m, north + margin_m)


def sample_bilinear(values: NDArray, row: ArrayLike, col: ArrayLike, *, order: int = 1) -> NDArray:
    """Interpolate a 2-D array at fractional (row, column); NaN outside. Complex supported.

    NaN in ``values`` propagates to every point whose stencil touches it.
    """
    row = np.asarray(row, dtype=np.float64)
    col = np.asarray(col, dtype=np.float64)
    finite = np.isfinite(row) & np.isfinite(col)
    row = np.where(finite, row, -1.0)
    col = np.where(finite, col, -1.0)
    coords = np.stack([row.ravel(), col.ravel()])
    if np.iscomplexobj(values):
        real = sample_bilinear(values.real, row, col, order=order)
        imag = sample_bilinear(values.imag, row, col, order=order)
        return real + 1j * imag
    out = ndimage.map_coordinates(
        np.asarray(values, dtype=np.float64),
        coords,
        order=order,
        mode="nearest",
        prefilter=order > 1,
    ).reshape(row.shape)
    outside = (row < -0.5) | (col < -0.5) | (row > values.shape[0] - 0.5) | (col > values.shape[1] - 0.5)
    out[outside] = np.nan
    return out


def sample_on_grid(grid: Grid, values: NDArray, east_m: ArrayLike, north_m: ArrayLike) -> NDArray:
    """Bilinear value of a field held on ``grid`` at map points; NaN outside the grid."""
    row, col = grid.fractional_index(east_m, north_m)
    return sample_bilinear(values, row, col)


def sample_nearest(grid: Grid, values: NDArray, east_m: ArrayLike, north_m: ArrayLike, fill: int) -> NDArray:
    """Nearest value of a categorical field on ``grid``; ``fill`` outside."""
    row, col = grid.fractional_index(east_m, north_m)
    r = np.rint(row).astype(np.int64)
    c = np.rint(col).astype(np.int64)
    inside = (r >= 0) & (c >= 0) & (r < grid.height) & (c < grid.width)
    out = np.full(r.shape, fill, dtype=values.dtype)
    out[inside] = values[r[inside], c[inside]]
    return out


class PointSampler:
    """Bilinear sampling of many fields of one grid at the same points.

    The cell indices and weights are computed once; each field then costs four gathers.
    Values match :func:`sample_on_grid` (NaN outside the grid).
    """

    def __init__(self, grid: Grid, east_m: ArrayLike, north_m: ArrayLike) -> None:
        row, col = grid.fractional_index(east_m, north_m)
        self.outside = (row < -0.5) | (col < -0.5) | (row > grid.height - 0.5) | (col > grid.width - 0.5)
        row = np.clip(row, 0, grid.height - 1)
        col = np.clip(col, 0, grid.width - 1)
        r0 = np.minimum(np.floor(row).astype(np.int64), grid.height - 2)
        c0 = np.minimum(np.floor(col).astype(np.int64), grid.width - 2)
        self._index = r0 * grid.width + c0
        self._width = grid.width
        fr, fc = row - r0, col - c0
        self._weights = ((1 - fr) * (1 - fc), (1 - fr) * fc, fr * (1 - fc), fr * fc)

    def bilinear(self, values: NDArray) -> NDArray[np.float64]:
        """Values of a field (on the sampler's grid) at the points."""
        flat = values.reshape(-1)
        i, w = self._index, self._width
        w00, w01, w10, w11 = self._weights
        out = w00 * flat[i] + w01 * flat[i + 1] + w10 * flat[i + w] + w11 * flat[i + w + 1]
        out = np.asarray(out, dtype=np.float64)
        out[self.outside] = np.nan
        return out
