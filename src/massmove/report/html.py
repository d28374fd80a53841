"""The run report (``results/report.html``): one self-contained HTML file.

Every image is inline (PNG or JPEG ``data:`` URI) and the style sheet is inline; there is no
script, font, CDN or any other external reference, so the report opens offline and can be
mailed or archived as it is. Contents: per pair the wrapped phase, likelihood mean and spread
and coherence side by side (:mod:`massmove.report.panels`), a gallery of every detection and
missed pattern (:mod:`massmove.report.gallery`), metric tables of the ensemble against the
classical baseline (pooled and per pair), the magnitude-frequency of polygon areas, the
agreement study (when configured), and the run's metadata (config digest, versions, seeds,
devices, workflow commit) and job timings.
"""

from __future__ import annotations

import csv
import html
import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd

from massmove.errors import InputError
from massmove.evaluate.pair import references_on
from massmove.io.detection import CALIBRATED, detection_from_tags, unreached_likelihood
from massmove.io.raster_io import read_bands
from massmove.report.figures import magnitude_frequency_png
from massmove.report.gallery import PairRasters, gallery_section, pair_items
from massmove.report.panels import PANEL_STYLE, image_tag, pair_panels, panel_layers
from massmove.scores import format_score

log = logging.getLogger(__name__)

STYLE = """
body { font-family: sans-serif; margin: 2em; max-width: 70em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #999; padding: 0.25em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
img { max-width: 100%; }
code { background: #eee; padding: 0 0.2em; }
p.flag { background: #fff3cd; border-left: 4px solid #e0a800; padding: 0.4em 0.8em; }
p.note { background: #e8f4ea; border-left: 4px solid #3c8d4f; padding: 0.4em 0.8em; }
"""

#: pooled figures shown per detector: (plain name, key, metric kind, the counts behind it)
POOLED_ROWS = (
    ("object precision (detections that match a pattern)", "object_precision", "precision", "precision"),
    ("object recall (patterns found)", "object_recall", "recall", "recall"),
    ("object F1", "object_f1", "f1", None),
    ("pixel IoU", "pixel_iou", "iou", "iou"),
    ("pixel precision", "pixel_precision", "precision", "pixel_precision"),
    ("pixel recall", "pixel_recall", "recall", "pixel_recall"),
    ("pixel F1", "pixel_f1", "f1", None),
    (
        "reference pixels where the likelihood reaches the threshold",
        "likelihood_pixel_recall",
        "recall",
        None,
    ),
)


def counts_behind(counts: Mapping[str, Any], kind: str | None) -> str:
    """The counts a pooled proportion rests on, in words (empty when none).

    Examples
    --------
    >>> counts = {"detections": 316, "matched": 19, "references": 80, "pixel": {"tp": 5, "fp": 3, "fn": 2}}
    >>> counts_behind(counts, "precision"), counts_behind(counts, "iou")
    ('19 of 316 detections', '5 of 10 px')
    """
    pixel = counts.get("pixel", {})
    tp, fp, fn = (int(pixel.get(k, 0)) for k in ("tp", "fp", "fn"))
    texts = {
        "precision": f"{counts['matched']} of {counts['detections']} detections",
        "recall": f"{counts['matched']} of {counts['references']} patterns",
        "iou": f"{tp:,} of {tp + fp + fn:,} px",
        "pixel_precision": f"{tp:,} of {tp + fp:,} px",
        "pixel_recall": f"{tp:,} of {tp + fn:,} px",
    }
    return texts.get(kind, "") if kind else ""


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:.3f}"
        return html.escape(str(value))

    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def load_json(path: str | Path, what: str) -> dict[str, Any]:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as err:
        raise InputError(f"{path}: cannot read the {what} ({err})") from err


def metric_tables(evaluations: Mapping[str, Mapping[str, Any]]) -> str:
    """Pooled and per-pair tables of every detector's evaluation (ensemble, baseline).

    An undefined score (``null`` in the evaluation) reads ``no detections`` for a precision,
    ``nothing to find`` for a recall and ``undefined`` for an F1 or IoU; the counts it rests
    on sit in the same table (detections, matched, references, pixel counts).

    Examples
    --------
    >>> pair = {"pixel": {"iou": None}, "n_detections": 0, "n_references": 2,
    ...         "object": {"precision": None, "recall": 0.0, "f1": 0.0, "matched": 0}}
    >>> figures = dict.fromkeys(r[1] for r in POOLED_ROWS) | {"object_recall": 0.0, "object_f1": 0.0}
    >>> evaluation = {**figures, "object_recall_at_coverage": {}, "likelihood_threshold": 0.5,
    ...     "counts": {"detections": 0, "matched": 0, "references": 2,
    ...                "pixel": {"tp": 0, "fp": 0, "fn": 0}},
    ...     "pairs": {"p": pair}, "iou_threshold": 0.4}
    >>> text = metric_tables({"ensemble": evaluation})
    >>> row = "<td>object precision (detections that match a pattern)</td><td>no detections"
    >>> row + " (0 of 0 detections)</td>" in text
    True
    >>> "<tr><td>p</td><td>ensemble</td><td>undefined</td><td>no detections</td><td>0.000</td>" in text
    True
    """
    names = list(evaluations)
    pooled: list[list[Any]] = []
    for label, key, metric, kind in POOLED_ROWS:
        cells = []
        for n in names:
            value = format_score(evaluations[n][key], metric)
            behind = counts_behind(evaluations[n]["counts"], kind)
            cells.append(f"{value} ({behind})" if behind else value)
        pooled.append([label, *cells])
    for coverage in next(iter(evaluations.values()))["object_recall_at_coverage"]:
        pooled.append(
            [
                f"object recall, a pattern found when {float(coverage):.0%} of it is detected",
                *(
                    format_score(evaluations[n]["object_recall_at_coverage"][coverage]["recall"], "recall")
                    for n in names
                ),
            ]
        )
    pooled.append(
        ["likelihood threshold", *(_threshold_text(evaluations[n]["likelihood_threshold"]) for n in names)]
    )
    if all("object_lenient" in evaluations[n] for n in names):
        for key in ("precision", "f1"):
            pooled.append(
                [
                    f"object {'F1' if key == 'f1' else key}, lenient (faint patterns set aside)",
                    *(format_score(evaluations[n]["object_lenient"][key], key) for n in names),
                ]
            )
        pooled.append(
            ["detections on faint patterns", *(evaluations[n]["object_lenient"]["on_lenient"] for n in names)]
        )
    pooled.append(["detections", *(evaluations[n]["counts"]["detections"] for n in names)])
    pooled.append(["matched references", *(evaluations[n]["counts"]["matched"] for n in names)])
    pooled.append(["references", *(evaluations[n]["counts"]["references"] for n in names)])
    for label, key in (
        ("pixels detected in the reference (tp)", "tp"),
        ("pixels detected outside it (fp)", "fp"),
        ("reference pixels missed (fn)", "fn"),
    ):
        pooled.append([label, *(evaluations[n]["counts"]["pixel"][key] for n in names)])
    per_pair = [
        [
            pair,
            name,
            format_score(e["pixel"]["iou"], "iou"),
            format_score(e["object"]["precision"], "precision"),
            format_score(e["object"]["recall"], "recall"),
            format_score(e["object"]["f1"], "f1"),
            e["n_detections"],
            e["object"]["matched"],
            e["n_references"],
        ]  # fmt: skip
        for pair in sorted(next(iter(evaluations.values()))["pairs"])
        for name in names
        for e in (evaluations[name]["pairs"][pair],)
    ]
    threshold = next(iter(evaluations.values()))["iou_threshold"]
    return (
        f"<h2>Scores against the reference (object IoU threshold {threshold})</h2>"
        + _table(["figure", *names], pooled)
        + support_table(evaluations)
        + "<h3>Per pair</h3>"
        + _table(
            [
                "pair",
                "detector",
                "pixel IoU",
                "object precision",
                "object recall",
                "object F1",
                "detections",
                "matched",
                "references",
            ],  # fmt: skip
            per_pair,
        )
    )


def _threshold_text(threshold: float | None) -> str:
    return "differs between pairs" if threshold is None else f"{threshold:g}"


def support_table(evaluations: Mapping[str, Mapping[str, Any]]) -> str:
    """Every pair's detections and the confirmed ones against the patterns that persist in as
    many pairs as confirming asks, pooled over pairs (empty when no evaluation has them).

    Examples
    --------
    >>> scores = {"detections": 0, "matched": 0, "references": 1, "precision": None, "recall": 0.0,
    ...           "f1": 0.0, "false_alarms_per_100km2": 0.0}
    >>> support = {"min_support": 2, "persistent_references": 1, "pair_km2": 9.0,
    ...            "every_detection": scores, "confirmed": scores}
    >>> text = support_table({"ensemble": {"support": support}})
    >>> "<td>ensemble, confirmed (support &gt;= 2)</td><td>0</td><td>0</td><td>1</td>" in text
    True
    >>> "<td>no detections</td><td>0.000</td><td>0.000</td><td>0.000</td></tr>" in text
    True
    """
    rows = []
    for name, evaluation in evaluations.items():
        support = evaluation.get("support")
        if not support:
            continue
        for label, key in (
            ("every detection", "every_detection"),
            (
                f"confirmed ({'independent ' if support.get('independent_pairs') else ''}support >= "
                f"{support['min_support']})",
                "confirmed",
            ),
        ):
            scores = support[key]
            rows.append(
                [
                    f"{name}, {label}",
                    scores["detections"],
                    scores["matched"],
                    scores["references"],
                    format_score(scores["precision"], "precision"),
                    format_score(scores["recall"], "recall"),
                    format_score(scores["f1"], "f1"),
                    format_score(scores["false_alarms_per_100km2"]),
                ]
            )
    if not rows:
        return ""
    return (
        "<h3>Confirmed detections against the patterns that persist</h3>"
        "<p>A detection is confirmed when enough pairs support it (a detection of the pair on "
        "it, or the pair's mean likelihood over it reaching its threshold). Each pair's "
        "detections are scored against its reference patterns that at least as many pairs show "
        "(pairs that share no acquisition, where confirming counts only those); "
        "counts summed over pairs, false alarms per 100 km2 and pair.</p>"
        + _table(
            [
                "detections",
                "detected",
                "matched",
                "persistent patterns",
                "precision",
                "recall",
                "F1",
                "false alarms per 100 km2",
            ],  # fmt: skip
            rows,
        )
    )


def timings_table(benchmark_dir: str | Path) -> str:
    """Wall time, CPU time and peak RSS of every job Snakemake benchmarked so far."""
    rows = []
    for path in sorted(Path(benchmark_dir).rglob("*.tsv")):
        with path.open() as handle:
            record = next(csv.DictReader(handle, delimiter="\t"), None)
        if record:
            rows.append(
                [
                    path.relative_to(benchmark_dir).with_suffix("").as_posix(),
                    float(record["s"]),
                    float(record.get("cpu_time") or 0),
                    float(record.get("max_rss") or 0),
                ]
            )
    if not rows:
        return "<p>No job timings recorded.</p>"
    return _table(["job", "wall (s)", "CPU (s)", "peak RSS (MB)"], rows)


def metadata_table(provenance: Mapping[str, Any]) -> str:
    """Config digest, workflow commit, seeds, devices and versions of the provenance record."""
    workflow = provenance.get("workflow", {})
    rows = [
        ["config digest (sha256)", provenance.get("config_digest", "")],
        ["massmove", provenance.get("massmove_version", "")],
        ["workflow commit", f"{workflow.get('git_commit')} (dirty: {workflow.get('git_dirty')})"],
        ["written", provenance.get("written_utc", "")],
        ["seeds", json.dumps(provenance.get("seeds", {}))],
        [
            "device",
            json.dumps({k: v for k, v in provenance.get("device", {}).items() if not isinstance(v, dict)}),
        ],
        *([name, version] for name, version in sorted(provenance.get("versions", {}).items())),
    ]
    return _table(["", "value"], rows)


def agreement_section(table_csv: str | Path, heatmap_png: str | Path) -> str:
    """The agreement study's heatmap and each annotator's mean IoU with the others."""
    with Path(table_csv).open(newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["annotator_b"] == "mean_of_others"]
    names = list(dict.fromkeys(r["annotator_a"] for r in rows))
    value = {(r["annotator_a"], r["scope"]): r["iou"] for r in rows}
    table = _table(
        ["annotator", "mean IoU, classes apart", "mean IoU, merged"],
        [[n, value.get((n, "classes_apart"), ""), value.get((n, "merged"), "")] for n in names],
    )
    return (
        "<h2>Agreement</h2>" + image_tag(Path(heatmap_png).read_bytes(), "agreement heatmap", "png") + table
    )


def coarse_input_note(
    product_tags: Mapping[str, str], likelihood_tags: Mapping[str, str], posting_m: float
) -> str | None:
    """The warning of a pair whose input is coarser than the posting its detector was trained
    at (likelihood tags), else than the product's posting (product tags); None otherwise.

    Examples
    --------
    >>> coarse_input_note({"coarser_than_posting": "yes", "native_posting_m": "92.6",
    ...                    "posting_ratio": "7.41"}, {}, 12.5)[:48]
    'Input posting 92.6 m is 7.41 times coarser than '
    >>> coarse_input_note({}, {"coarser_than_training": "yes", "input_posting_m": "25.0",
    ...                        "training_posting_ratio": "2.0", "training_posting_m": "12.5"}, 25.0)[-50:]
    'detections are less reliable than at that posting.'
    """
    if likelihood_tags.get("coarser_than_training") == "yes":
        return (
            f"Input posting {likelihood_tags['input_posting_m']} m is "
            f"{likelihood_tags['training_posting_ratio']} times coarser than the "
            f"{likelihood_tags['training_posting_m']} m the detector was trained at: patterns smaller "
            "than a few input pixels cannot show, and detections are less reliable than at that posting."
        )
    if product_tags.get("coarser_than_posting") != "yes":
        return None
    return (
        f"Input posting {product_tags['native_posting_m']} m is {product_tags['posting_ratio']} times "
        f"coarser than the {posting_m:g} m posting the detector reads: patterns smaller than a few input "
        "pixels cannot show, and detections are less reliable than on a native product."
    )


def calibration_table_html(calibration: Mapping[str, Any]) -> str:
    """The calibration's candidates as a grid: thresholds down, smallest areas across, each
    cell the pooled object F1 with matched / detections (the chosen cell in bold).

    Examples
    --------
    >>> rows = [{"threshold": 0.5, "min_area_m2": 0.0, "detections": 4, "references": 3,
    ...          "matched": 0, "precision": 0.0, "recall": 0.0, "f1": 0.0}]
    >>> text = calibration_table_html({"chosen": {"threshold": 0.5, "min_area_m2": 0.0}, "table": rows})
    >>> "<b>0.000 (0 / 4)</b>" in text
    True
    """
    table = calibration["table"]
    thresholds = sorted({row["threshold"] for row in table})
    areas = sorted({row["min_area_m2"] for row in table})
    cells = {(row["threshold"], row["min_area_m2"]): row for row in table}
    chosen = calibration["chosen"]
    head = "".join(f"<th>&ge; {area:,.0f} m2</th>" for area in areas)
    body = []
    for threshold in thresholds:
        row_cells = []
        for area in areas:
            row = cells.get((threshold, area))
            text = (
                ""
                if row is None
                else f"{format_score(row['f1'], 'f1')} ({row['matched']} / {row['detections']})"
            )
            if (threshold, area) == (chosen["threshold"], chosen["min_area_m2"]):
                text = f"<b>{text}</b>"
            row_cells.append(f"<td>{text}</td>")
        body.append(f"<tr><td>{threshold:g}</td>{''.join(row_cells)}</tr>")
    return f"<table><tr><th>threshold</th>{head}</tr>{''.join(body)}</table>"


def detection_section(
    settings: Mapping[str, Any],
    calibration: Mapping[str, Any] | None,
    peaks: Mapping[str, tuple[int, float | None]],
    detector: str = "ensemble",
) -> str:
    """How the run's detector made its detections: the threshold and smallest polygon used and
    where they come from, the calibration behind them, and a run that detected nothing said
    in words (with a flag when the likelihood reached 0.5 somewhere nonetheless).

    ``settings``: ``threshold``, ``min_area_m2``, ``source``; ``peaks``: per pair the number
    of detections and the peak mean likelihood where it reaches 0.5 with nothing detected
    (:func:`massmove.io.detection.unreached_likelihood`), else None.

    Examples
    --------
    >>> text = detection_section({"threshold": 0.75, "min_area_m2": 0.0, "source": "config"}, None,
    ...                          {"p": (0, 0.72)})
    >>> "The ensemble detected nothing in this run" in text and 'class="flag"' in text
    True
    >>> "The baseline detected nothing" in detection_section(
    ...     {"threshold": 0.5, "min_area_m2": 0.0, "source": "default"}, None, {"p": (0, 0.2)}, "baseline")
    True
    """
    parts = [
        "<h2>Detections</h2>",
        f"<p>Polygons of mean likelihood &ge; {settings['threshold']:g} and at least "
        f"{settings['min_area_m2']:,.0f} m2 (from: {html.escape(settings['source'])}).</p>",
    ]
    if calibration is not None:
        chosen = calibration["chosen"]
        basis = chosen["basis"]
        on = chosen["calibrated_on"]
        text = f"Calibration of the ensemble ({html.escape(basis)}): {html.escape(chosen['reason'])}."
        if on["products"]:
            text += (
                f" Calibrated on {on['products']} products segmented by the trained members as a run "
                f"deploys them; floor {on['min_matched']} matched patterns at object IoU "
                f"{on['iou_threshold']:g}."
            )
        if basis != CALIBRATED:
            text += (
                " The fallback (train.calibration.fallback) is kept: likelihood &ge; "
                f"{chosen['threshold']:g}, polygons &ge; {chosen['min_area_m2']:,.0f} m2."
            )
        parts.append(f'<p class="{"flag" if basis != CALIBRATED else "note"}">{text}</p>')
        if calibration.get("table"):
            parts.append(
                "<p>Calibration candidates: pooled object F1 (matched / detections) on the "
                "calibration products.</p>" + calibration_table_html(calibration)
            )
    total = sum(count for count, _ in peaks.values())
    if total == 0:
        reached = {pair: peak for pair, (_, peak) in peaks.items() if peak is not None}
        note = f"The {html.escape(detector)} detected nothing in this run."
        if reached:
            note += (
                " Its mean likelihood nonetheless reaches "
                + ", ".join(f"{peak:.2f} in {html.escape(pair)}" for pair, peak in sorted(reached.items()))
                + " (&ge; 0.5): the threshold or the smallest polygon leaves nothing of it."
            )
        parts.append(f'<p class="flag">{note}</p>')
    return "".join(parts)


#: detected areas listed by name in the report (the rest summarised)
AREA_ROWS = 60
#: up to this many pairs, support is shown as one column per pair (else as lists of names)
MATRIX_PAIRS = 12


def support_section(areas: gpd.GeoDataFrame, pair_ids: Sequence[str]) -> str:
    """Detected areas across pairs (``results/detections.gpkg``): confirmed and unconfirmed
    apart, each with the pairs that could see it and those that support it, and per pair how
    many areas it supports of those it could see.

    Examples
    --------
    >>> import shapely
    >>> frame = gpd.GeoDataFrame({"area_id": [1, 2], "area_m2": [30000.0, 20000.0],
    ...     "likelihood_max": [0.9, 0.6], "could_see": ["a;b", "a"], "supported_by": ["a;b", "a"],
    ...     "support": [2, 1], "confirmed": [True, False]},
    ...     geometry=[shapely.box(0, 0, 1, 1)] * 2, crs="EPSG:2056")
    >>> text = support_section(frame, ["a", "b"])
    >>> "1 of 2 detected areas are confirmed" in text and "<td>b</td><td>1</td><td>1</td>" in text
    True
    >>> "<td>1</td><td>30,000</td><td>0.90</td><td>2</td><td>\u25cf</td><td>\u25cf</td>" in text
    True
    >>> "no area was detected" in support_section(frame.iloc[:0], ["a"])
    True
    """
    parts = ["<h2>Detections across pairs</h2>"]
    if areas.empty:
        return parts[0] + "<p>Across every pair, no area was detected.</p>"
    confirmed = areas["confirmed"].astype(bool)
    parts.append(
        f"<p>{int(confirmed.sum())} of {len(areas)} detected areas are confirmed: enough pairs "
        "support them (detection.min_support; a pair supports an area with a detection on it, "
        "or with its mean likelihood there reaching its threshold; independent support counts "
        "only pairs that share no acquisition, which is what confirms by default). Could see: the pairs that "
        "cover the area with readable coherence and whose line of sight sees its downslope "
        "motion. Layer <code>detections</code> of <code>results/detections.gpkg</code> holds "
        "them all, layer <code>pair_detections</code> every pair's polygons with their own "
        "support and their area.</p>"
    )
    per_pair = []
    for pair_id in pair_ids:
        seen = areas["could_see"].str.split(";").apply(lambda names, p=pair_id: p in names)
        supported = areas["supported_by"].str.split(";").apply(lambda names, p=pair_id: p in names)
        per_pair.append([pair_id, int(seen.sum()), int(supported.sum())])
    parts.append(_table(["pair", "areas it could see", "areas it supports"], per_pair))
    matrix = len(pair_ids) <= MATRIX_PAIRS
    if matrix:
        parts.append(
            "<p>Per pair: &#9679; supports the area, &#9675; could see it but does not support it, "
            "&ndash; could not see it. Pairs: "
            + "; ".join(f"{i + 1} = {html.escape(p)}" for i, p in enumerate(pair_ids))
            + ".</p>"
        )
    independent = "independent_support" in areas.columns
    header = ["area", "area (m2)", "peak likelihood", "support"]
    header += ["independent support"] if independent else []
    header += [f"pair {i + 1}" for i in range(len(pair_ids))] if matrix else ["supported by", "could see"]
    for label, rows in (("Confirmed", areas[confirmed]), ("Unconfirmed", areas[~confirmed])):
        ordered = rows.sort_values(
            [*(["independent_support"] if independent else []), "support", "likelihood_max"], ascending=False
        )
        table = []
        for r in ordered.head(AREA_ROWS).itertuples():
            row = [r.area_id, f"{r.area_m2:,.0f}", f"{r.likelihood_max:.2f}", r.support]
            row += [r.independent_support] if independent else []
            if matrix:
                supporting, seeing = set(r.supported_by.split(";")), set(r.could_see.split(";"))
                row += [
                    "\u25cf" if p in supporting else ("\u25cb" if p in seeing else "\u2013") for p in pair_ids
                ]
            else:
                row += [r.supported_by.replace(";", "; "), r.could_see.replace(";", "; ")]
            table.append(row)
        parts.append(f"<h3>{label} ({len(rows)})</h3>")
        if table:
            parts.append(_table(header, table))
        if len(rows) > AREA_ROWS:
            parts.append(f"<p>{len(rows) - AREA_ROWS} more, with lower support or likelihood.</p>")
    return "".join(parts)


def build_report(
    *,
    title: str,
    pairs: Sequence[Mapping[str, Any]],
    evaluations: Mapping[str, Mapping[str, Any]],
    provenance: Mapping[str, Any],
    benchmark_dir: str | Path,
    agreement: tuple[str | Path, str | Path] | None = None,
    detection: Mapping[str, Any] | None = None,
    calibration: Mapping[str, Any] | None = None,
    detector: str = "ensemble",
    merged: gpd.GeoDataFrame | None = None,
    pair_detections: gpd.GeoDataFrame | None = None,
    iou_threshold: float = 0.4,
) -> str:
    """The HTML text of the report.

    ``pairs``: per pair ``pair_id``, ``interferogram``, ``likelihood``, ``reference`` (a
    GeoDataFrame, or None) and ``layers`` (name -> GeoDataFrame of polygons, e.g. detections
    and baseline). ``evaluations``: detector name -> pooled evaluation record. ``detection``:
    the config's ``detection`` section, resolved against the first likelihood's calibration
    tags into the run's threshold and smallest polygon; ``calibration``: the calibrate
    rule's record (``results/models/calibration.json``) when the run trained its members;
    ``detector``: the run's detector (``ensemble`` or ``baseline``); ``merged`` and
    ``pair_detections``: its detected areas across pairs and every pair's detections with
    their support (``results/detections.gpkg``); ``iou_threshold``: the evaluation's, by which
    the gallery labels hits.
    """
    sections = [f"<h1>{html.escape(title)}</h1>"]
    areas: dict[str, list[float]] = {}
    panels, inputs, items, rasters = [], [], [], []
    peaks: dict[str, tuple[int, float | None]] = {}
    settings: dict[str, Any] | None = None
    for pair in pairs:
        bands, grid, tags = read_bands(pair["interferogram"], required=("wrapped_phase",))
        likelihood, _, likelihood_tags = read_bands(
            pair["likelihood"], required=("likelihood_mean", "likelihood_spread")
        )
        found = len(pair["layers"]["detections"])
        peaks[pair["pair_id"]] = (found, unreached_likelihood(likelihood["likelihood_mean"], found))
        if settings is None and detection is not None:
            settings = detection_from_tags(likelihood_tags, detection)._asdict()
        flag = coarse_input_note(tags, likelihood_tags, grid.spacing_m)
        if "native_posting_m" in tags:
            inputs.append(
                [
                    pair["pair_id"],
                    tags.get("engine", "unknown"),
                    tags["native_posting_m"],
                    tags.get("posting_ratio", ""),
                    tags.get("coherence_source", ""),
                ]
            )
        # the pair's detections, with their support where it was judged
        mine = pair["layers"]["detections"]
        if pair_detections is not None and "confirmed" in pair_detections:
            mine = pair_detections[pair_detections["pair_id"] == pair["pair_id"]]
        outlines, baseline = panel_layers(pair, mine)
        for name, frame in {**pair["layers"], "reference": pair["reference"]}.items():
            if frame is not None:
                areas.setdefault(name, []).extend(frame.to_crs(grid.crs).area.tolist() if len(frame) else [])
        shown = {k: v for k, v in bands.items() if k in ("wrapped_phase", "coherence")} | likelihood
        panels.append(
            (f'<p class="flag">{html.escape(flag)}</p>' if flag else "")
            + pair_panels(pair["pair_id"], shown, grid, outlines, baseline)
        )
        items.extend(
            pair_items(
                pair["pair_id"], mine, pair["reference"], likelihood["likelihood_mean"], grid, iou_threshold
            )
        )
        patterns = [] if pair["reference"] is None else references_on(pair["reference"], grid)
        rasters.append(
            PairRasters(
                pair["pair_id"], Path(pair["interferogram"]), Path(pair["likelihood"]), grid, patterns
            )
        )
    if settings is not None:
        sections.append(detection_section(settings, calibration, peaks, detector))
    if merged is not None:
        sections.append(support_section(merged, [pair["pair_id"] for pair in pairs]))
    if evaluations:
        sections.append(metric_tables(evaluations))
    if inputs:
        sections.append(
            "<h2>Inputs</h2><p>Interferograms made elsewhere; a posting ratio above 1 means the "
            "input is coarser than the grid the detector reads.</p>"
            + _table(["pair", "engine", "input posting (m)", "posting ratio", "coherence"], inputs)
        )
    sections.append(
        f"<h2>Pairs</h2><p>Per pair: the wrapped phase, the {html.escape(detector)}'s likelihood "
        "mean and spread (the members' disagreement) and the coherence. Outlines: detections "
        "(white; where support was judged, confirmed ones white and unconfirmed ones cyan), "
        "reference patterns (black); the classical baseline's detections (orange) on a panel of "
        "their own.</p>" + "".join(panels)
    )
    if rasters:
        sections.append(gallery_section(items, rasters))
    sections.append(
        "<h2>Magnitude-frequency</h2>"
        + image_tag(magnitude_frequency_png(areas), "magnitude-frequency", "png")
    )
    if agreement is not None:
        sections.append(agreement_section(*agreement))
    sections.append("<h2>Run</h2>" + metadata_table(provenance))
    sections.append("<h2>Job timings</h2>" + timings_table(benchmark_dir))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{STYLE}{PANEL_STYLE}</style></head><body>"
        + "\n".join(sections)
        + "</body></html>\n"
    )
