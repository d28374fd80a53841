"""Figures of the run report, rendered to PNG bytes (matplotlib, Agg; no display, no network).

Wrapped phase is shown in a cyclic scientific colour map (cmcrameri ``romaO``, as the
study's experts used "roma": -pi and pi get the same colour, no false edge at the seam).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from cmcrameri import cm  # noqa: E402
from numpy.typing import NDArray  # noqa: E402

from massmove.grid import Grid  # noqa: E402

#: outline colours: detections, reference, baseline
# outlines drawn over the wrapped phase (white detections stand out on romaO)
COLOURS = {"detections": "#ffffff", "reference": "#000000", "baseline": "#ff8c00"}
# the same layers as lines on the white axes of a plot (white would be invisible there)
PLOT_COLOURS = {"detections": "#1f5fbf", "reference": "#000000", "baseline": "#ff8c00"}
#: ensemble spread from which a pixel is outlined as uncertain
UNCERTAIN_SPREAD = 0.2


def _png(figure: plt.Figure) -> bytes:
    buffer = io.BytesIO()
    # no timestamps or software tags: the same figure gives the same bytes
    figure.savefig(buffer, format="png", dpi=80, metadata={"Software": None})
    plt.close(figure)
    return buffer.getvalue()


def quicklook_png(
    wrapped_phase_rad: NDArray,
    spread: NDArray | None,
    grid: Grid,
    outlines: Mapping[str, gpd.GeoDataFrame],
    title: str,
) -> bytes:
    """Wrapped phase (romaO) with outlines per layer and the uncertain area (spread >=
    :data:`UNCERTAIN_SPREAD`, dotted) of one pair."""
    west, south, east, north = grid.bounds
    extent_km = (0.0, (east - west) / 1e3, 0.0, (north - south) / 1e3)
    figure, axes = plt.subplots(figsize=(7.5, 6.5))
    image = axes.imshow(
        wrapped_phase_rad, cmap=cm.romaO, vmin=-np.pi, vmax=np.pi, extent=extent_km, interpolation="nearest"
    )
    figure.colorbar(image, ax=axes, label="wrapped phase (rad)", shrink=0.8)
    if spread is not None and np.isfinite(spread).any():
        rows, cols = np.mgrid[0 : grid.height, 0 : grid.width]
        x_km, y_km = (cols + 0.5) * grid.spacing_m / 1e3, (grid.height - rows - 0.5) * grid.spacing_m / 1e3
        axes.contour(
            x_km,
            y_km,
            np.nan_to_num(spread),
            levels=[UNCERTAIN_SPREAD],
            colors="#7f00ff",
            linestyles="dotted",
        )
    for name, frame in outlines.items():
        for geometry in frame.geometry:
            for polygon in getattr(geometry, "geoms", [geometry]):
                x, y = polygon.exterior.xy
                axes.plot(
                    (np.asarray(x) - west) / 1e3,
                    (np.asarray(y) - south) / 1e3,
                    color=COLOURS.get(name, "#00ffff"),
                    linewidth=1.2,
                )
        axes.plot([], [], color=COLOURS.get(name, "#00ffff"), label=f"{name} ({len(frame)})")
    axes.plot([], [], color="#7f00ff", linestyle="dotted", label=f"spread >= {UNCERTAIN_SPREAD}")
    axes.legend(loc="lower right", fontsize=8, facecolor="#bbbbbb")
    axes.set_xlabel("km east")
    axes.set_ylabel("km north")
    axes.set_title(title)
    return _png(figure)


def magnitude_frequency_png(areas_m2: Mapping[str, Sequence[float]], bins_per_decade: int = 5) -> bytes:
    """Frequency density of polygon areas per layer in logarithmic bins (per m2, log-log):
    the magnitude-frequency relation of detections against the reference."""
    figure, axes = plt.subplots(figsize=(6.5, 4.5))
    values = [np.asarray(v, dtype=float) for v in areas_m2.values() if len(v)]
    if values:
        every = np.concatenate(values)
        low, high = np.floor(np.log10(every.min())), np.ceil(np.log10(every.max()))
        edges = np.logspace(low, max(high, low + 1), int(max(high - low, 1) * bins_per_decade) + 1)
        for name, areas in areas_m2.items():
            counts, _ = np.histogram(np.asarray(areas, dtype=float), bins=edges)
            density = counts / np.diff(edges)
            centres = np.sqrt(edges[:-1] * edges[1:])
            shown = counts > 0
            axes.loglog(
                centres[shown],
                density[shown],
                marker="o",
                color=PLOT_COLOURS.get(name, "#7f3fbf"),
                label=f"{name} ({len(areas)})",
            )
        axes.legend()
    else:
        axes.text(0.5, 0.5, "no polygons", ha="center", transform=axes.transAxes)
    axes.set_xlabel("area (m2)")
    axes.set_ylabel("frequency density (1/m2)")
    axes.set_title("Magnitude-frequency of polygon areas")
    return _png(figure)


def heatmap_png(matrices: Mapping[str, NDArray], labels: Sequence[str], title: str) -> bytes:
    """Side by side heatmaps of labelled IoU matrices in [0, 1] (one per scope)."""
    size = 0.9 * len(labels) + 2.5
    figure, axes = plt.subplots(1, len(matrices), figsize=(size * len(matrices), size), squeeze=False)
    for ax, (scope, matrix) in zip(axes[0], matrices.items(), strict=True):
        image = ax.imshow(matrix, cmap=cm.batlow, vmin=0, vmax=1)
        ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
        ax.set_yticks(range(len(labels)), labels)
        for (i, j), value in np.ndenumerate(matrix):
            text = "-" if np.isnan(value) else f"{value:.2f}"
            ax.text(j, i, text, ha="center", va="center", color="w" if not value >= 0.5 else "k")
        ax.set_title(f"{title}: {scope.replace('_', ' ')}")
    figure.colorbar(image, ax=list(axes[0]), label="IoU", shrink=0.8)
    return _png(figure)
