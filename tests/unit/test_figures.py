"""The report's figures draw every layer visibly."""

from __future__ import annotations

import io

import matplotlib.image as mpimg
import numpy as np

from massmove.report.figures import PLOT_COLOURS, magnitude_frequency_png


def colour_share(png: bytes, hex_colour: str) -> float:
    """Share of the image's pixels within 0.05 of a colour (RGB in [0, 1])."""
    rgb = mpimg.imread(io.BytesIO(png), format="png")[..., :3]
    target = np.array([int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    return float((np.abs(rgb - target).max(axis=-1) < 0.05).mean())


def test_magnitude_frequency_draws_detections_on_white_axes():
    areas = {"detections": [2e4, 3e4, 5e4, 1e5], "reference": [2.5e4, 4e4, 9e4]}
    png = magnitude_frequency_png(areas)
    assert colour_share(png, PLOT_COLOURS["detections"]) > 1e-4
    assert colour_share(png, PLOT_COLOURS["reference"]) > 1e-4
    # without detections the detection colour is absent: the check can fail
    assert (
        colour_share(magnitude_frequency_png({"reference": areas["reference"]}), PLOT_COLOURS["detections"])
        == 0
    )


def test_the_report_shows_the_agreement_study_when_it_ran(tmp_path):
    from massmove.report.figures import heatmap_png
    from massmove.report.html import build_report

    table = tmp_path / "agreement.csv"
    table.write_text(
        "annotator_a,annotator_b,scope,iou\n"
        "expert_a,expert_b,merged,0.400000\n"
        "expert_a,mean_of_others,merged,0.400000\n"
        "expert_b,mean_of_others,merged,0.400000\n"
    )
    heatmap = tmp_path / "agreement.png"
    heatmap.write_bytes(
        heatmap_png({"merged": np.array([[1.0, 0.4], [0.4, 1.0]])}, ["expert_a", "expert_b"], "IoU")
    )
    common = {"title": "run", "pairs": [], "evaluations": {}, "provenance": {}, "benchmark_dir": tmp_path}
    with_study = build_report(**common, agreement=(table, heatmap))
    assert "<h2>Agreement</h2>" in with_study and "<td>expert_b</td>" in with_study
    assert "<h2>Agreement</h2>" not in build_report(**common)
