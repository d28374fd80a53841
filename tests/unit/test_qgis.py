"""QGIS styles and the run's project, read back without QGIS: the GeoPackages carry their
default style, the rasters a style beside them, the project every layer with its style and a
path that resolves from the project's folder."""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

from massmove.colormaps import STYLES
from massmove.grid import Grid
from massmove.io.qgis import RAMP_STOPS, pseudocolor_style, qml_text
from massmove.io.raster_io import write_cog
from massmove.io.vector import read_vector, write_gpkg
from massmove.settings import StageSettings
from massmove.stages.detect import merge_stage, vectorise_stage
from massmove.stages.report import qgis_project_stage, raster_styles_stage

GRID = Grid(2600000.0, 1100000.0, 12.5, 40, 40, "EPSG:2056")
PAIRS = ("A088_20180801_20180813", "D066_20180801_20180813")


def styles_of(gpkg: Path) -> dict[str, ET.Element]:
    """Each layer's default style of a GeoPackage, parsed."""
    with sqlite3.connect(gpkg) as db:
        rows = db.execute("SELECT f_table_name, styleQML, useAsDefault FROM layer_styles").fetchall()
        kinds = dict(db.execute("SELECT table_name, data_type FROM gpkg_contents"))
    assert kinds["layer_styles"] == "attributes"
    assert all(default == 1 for _, _, default in rows)
    return {layer: ET.fromstring(qml.split("\n", 1)[1]) for layer, qml, _ in rows}


def run_products(tmp_path: Path) -> dict[str, list[Path]]:
    """Two pairs' products, likelihoods, detections and truth, and their merged detections."""
    files: dict[str, list[Path]] = {"products": [], "likelihoods": [], "detections": [], "references": []}
    for index, pair_id in enumerate(PAIRS):
        tags = {"pair_id": pair_id, "track": pair_id[:4], "reference": "2018-08-01",
                "secondary": "2018-08-13", "baseline_days": "12"}  # fmt: skip
        mean = np.zeros(GRID.shape, dtype=np.float32)
        mean[5:15, 5 + index : 15 + index] = 0.8
        product = tmp_path / f"results/interferograms/{pair_id}.tif"
        likelihood = tmp_path / f"results/likelihood/{pair_id}.tif"
        write_cog(product, [mean, np.ones_like(mean)], ["wrapped_phase", "coherence"], GRID, tags)
        write_cog(likelihood, [mean, np.zeros_like(mean)], ["likelihood_mean", "likelihood_spread"], GRID,
                  {**tags, "calibrated_threshold": "0.5", "calibrated_min_area_m2": "0.0"})  # fmt: skip
        detections = tmp_path / f"results/detections/{pair_id}.gpkg"
        vectorise_stage(settings("vectorise"), likelihood, detections)
        reference = tmp_path / f"results/truth/{pair_id}.gpkg"
        pattern = shapely.box(2600050, 1099800, 2600200, 1099900)
        truth = gpd.GeoDataFrame({"class": ["coherent"]}, geometry=[pattern], crs=GRID.crs)
        write_gpkg(reference, truth, layer="patterns")
        for key, path in zip(files, (product, likelihood, detections, reference), strict=True):
            files[key].append(path)
    merge_stage(settings("merge_detections"), files["detections"], files["likelihoods"], files["products"],
                None, tmp_path / "results/detections.gpkg")  # fmt: skip
    return files


def settings(stage: str) -> StageSettings:
    support = {
        "min_coherence": 0.3,
        "min_los_share": 0.2,
        "independent_pairs": True,
        "min_likelihood_share": 1.0,
    }
    detection = {"threshold": None, "min_area_m2": None, "min_support": 2, "support": support}
    evaluation = {"class_column": "class", "reference_class": "coherent"}
    return StageSettings.of(stage, {"crs": "EPSG:2056", "detection": detection, "evaluation": evaluation})


def test_detections_open_with_their_style(tmp_path):
    files = run_products(tmp_path)
    merged = tmp_path / "results/detections.gpkg"
    styles = styles_of(merged)
    assert set(styles) == {"detections", "pair_detections"}
    renderer = styles["detections"].find("renderer-v2")
    assert renderer.get("type") == "categorizedSymbol" and renderer.get("attr") == "confirmed"
    assert [c.get("label") for c in renderer.iter("category")] == ["confirmed", "not confirmed"]
    # QGIS reads a GeoPackage boolean as true / false: the categories must say so
    with sqlite3.connect(merged) as db:
        kind = [r[2] for r in db.execute("PRAGMA table_info(detections)") if r[1] == "confirmed"]
    assert kind == ["BOOLEAN"]
    assert [(c.get("value"), c.get("type")) for c in renderer.iter("category")] == [
        ("true", "bool"),
        ("false", "bool"),
    ]
    outlines = [o.get("value") for o in renderer.iter("Option") if o.get("name") == "outline_color"]
    assert outlines == ["255,0,255,255", "0,255,255,255"]
    # the style table leaves the layers as they were: the first is still what a reader opens
    assert [name for name, _ in pyogrio.list_layers(merged)][:2] == ["detections", "pair_detections"]
    assert len(read_vector(merged, what="merged")) == 1
    with sqlite3.connect(files["detections"][0]) as db:  # a pair's detections: one layer, no table
        assert db.execute("SELECT count(*) FROM gpkg_contents").fetchone() == (1,)


def test_cyclic_phase_style_closes_on_itself():
    pipe = ET.fromstring(qml_text(pseudocolor_style(STYLES["phase_romao"], 1)).split("\n", 1)[1]).find("pipe")
    renderer = pipe.find("rasterrenderer")
    assert renderer.get("type") == "singlebandpseudocolor" and renderer.get("band") == "1"
    items = list(renderer.iter("item"))
    assert len(items) == RAMP_STOPS
    assert float(items[0].get("value")) == round(-np.pi, 6) and float(items[-1].get("value")) == round(
        np.pi, 6
    )
    assert items[0].get("color") == items[-1].get("color")  # -pi and pi look the same
    assert len({i.get("color") for i in items}) > RAMP_STOPS // 2


def test_the_project_lists_every_layer_with_its_style_by_relative_paths(tmp_path):
    files = run_products(tmp_path)
    for product, likelihood in zip(files["products"], files["likelihoods"], strict=True):
        raster_styles_stage(
            settings("raster_styles"), product, product.with_suffix(".qml"), likelihood.with_suffix(".qml")
        )
        phase = ET.parse(product.with_suffix(".qml")).getroot().find("pipe/rasterrenderer")
        assert phase.get("band") == "1" and float(phase.get("classificationMax")) == round(np.pi, 6)
    project = tmp_path / "results/massmove.qgs"
    qgis_project_stage(settings("qgis_project"), interferograms=files["products"],
                       likelihoods=files["likelihoods"], detections=files["detections"],
                       merged_gpkg=tmp_path / "results/detections.gpkg", references=files["references"],
                       baseline_detections=[], project_qgs=project)  # fmt: skip
    root = ET.parse(project).getroot()
    assert root.find("projectCrs/spatialrefsys/authid").text == "EPSG:2056"
    assert "CH1903+" in root.find("projectCrs/spatialrefsys/wkt").text  # QGIS builds the CRS from it
    assert root.find("properties/SpatialRefSys/ProjectionsEnabled").text == "1"
    assert root.find("properties/Paths/Absolute").text == "false"
    extent = [float(root.find(f"mapcanvas/extent/{k}").text) for k in ("xmin", "ymin", "xmax", "ymax")]
    assert extent == list(GRID.bounds)
    layers = {m.find("id").text: m for m in root.iter("maplayer")}
    tree = {n.get("id"): n for n in root.iter("layer-tree-layer")}
    assert set(layers) == set(tree) and len(layers) == 2 + 5 * len(PAIRS)
    groups = [g.get("name") for g in root.find("layer-tree-group").findall("layer-tree-group")]
    assert groups == ["across pairs", *PAIRS]
    for layer in layers.values():
        source = layer.find("datasource").text
        path = (project.parent / source.split("|")[0]).resolve()
        assert source.startswith("./") and path.is_file(), source
        assert layer.find("renderer-v2") is not None or layer.find("pipe/rasterrenderer") is not None
        if "|layername=" in source:
            assert source.split("|layername=")[1].split("|")[0] in [n for n, _ in pyogrio.list_layers(path)]
    by_name = {m.find("layername").text: m for m in layers.values()}
    reference = by_name[f"{PAIRS[0]} reference"].find("datasource").text
    assert reference.endswith(
        "truth/A088_20180801_20180813.gpkg|layername=patterns|subset=\"class\" = 'coherent'"
    )
    assert all("CH1903+" in m.find("srs/spatialrefsys/wkt").text for m in layers.values())
    coherence = by_name[f"{PAIRS[0]} coherence"].find("pipe/rasterrenderer")
    assert coherence.get("type") == "singlebandgray" and coherence.get("grayBand") == "2"
    hidden = sorted(n.get("name") for n in tree.values() if n.get("checked") == "Qt::Unchecked")
    assert hidden == sorted(["every pair's detections", *(f"{p} coherence" for p in PAIRS)])
    pair = by_name[f"{PAIRS[0]} detections"].find("renderer-v2")
    assert pair.get("type") == "graduatedSymbol" and pair.get("attr") == "likelihood_max"
    lower = [float(r.get("lower")) for r in pair.iter("range")]
    assert lower[0] == 0.5 and len(lower) == 5  # from the pair's calibrated threshold
