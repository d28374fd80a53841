"""Plots of the run report, rendered to PNG bytes (matplotlib, Agg; no display, no network):
the magnitude-frequency of polygon areas and the agreement heatmaps. The rasters themselves
are drawn pixel for pixel by :mod:`massmove.report.raster_images`."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from cmcrameri import cm  # noqa: E402
from numpy.typing import NDArray  # noqa: E402

#: the layers' colours as lines on the white axes of a plot
PLOT_COLOURS = {"detections": "#1f5fbf", "reference": "#000000", "baseline": "#ff8c00"}


def _png(figure: plt.Figure) -> bytes:
    buffer = io.BytesIO()
    # no timestamps or software tags: the same figure gives the same bytes
    figure.savefig(buffer, format="png", dpi=80, metadata={"Software": None})
    plt.close(figure)
    return buffer.getvalue()


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
