"""QGIS styles and project of a run: layers that open styled, written without QGIS.

* :func:`support_style`, :func:`likelihood_style`: polygons outlined (no fill) by
  ``confirmed``, or graduated by ``likelihood_max``;
* :func:`pseudocolor_style`: one band in a colour map (cyclic romaO for the wrapped phase,
  batlow for the likelihood), :func:`gray_style` one band in grey (coherence);
* :func:`embed_styles`: a GeoPackage's ``layer_styles`` table, the default style QGIS applies
  when it opens a layer of the file;
* :func:`project_xml`: a ``.qgs`` project listing the run's layers, each with its style, by
  paths relative to the project file.

The XML follows what QGIS 3 writes (``renderer-v2``, ``pipe``/``rasterrenderer``,
``layer-tree-group``, ``projectlayers``), reduced to what these layers need; QGIS fills in the
rest with its defaults.
"""

from __future__ import annotations

import contextlib
import math
import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pyproj

from massmove.colormaps import STYLES, BandStyle

#: the QGIS version whose file format this follows
QGIS_VERSION = "3.34.0"
#: stops of a colour ramp written into a raster style
RAMP_STOPS = 33
#: the document type line QGIS writes at the top of its files (a name, never fetched)
DOCTYPE = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
#: outline colours (R,G,B,A) of confirmed and unconfirmed detections
CONFIRMED_RGBA, UNCONFIRMED_RGBA = "255,0,255,255", "0,255,255,255"


def _rgba(colour: Sequence[float]) -> str:
    return ",".join(str(int(round(255 * c))) for c in colour[:3]) + ",255"


def _hex(colour: Sequence[float]) -> str:
    return "#" + "".join(f"{int(round(255 * c)):02x}" for c in colour[:3])


def _fill_symbol(name: str, outline_rgba: str, width_mm: float, dashed: bool = False) -> ET.Element:
    symbol = ET.Element("symbol", type="fill", name=name, alpha="1", clip_to_extent="1", force_rhr="0")
    layer = ET.SubElement(
        symbol, "layer", {"class": "SimpleFill", "enabled": "1", "pass": "0", "locked": "0"}
    )
    options = ET.SubElement(layer, "Option", type="Map")
    for key, value in (
        ("color", "0,0,0,0"),
        ("style", "no"),
        ("outline_color", outline_rgba),
        ("outline_style", "dash" if dashed else "solid"),
        ("outline_width", f"{width_mm:g}"),
        ("outline_width_unit", "MM"),
    ):
        ET.SubElement(options, "Option", name=key, type="QString", value=value)
    return symbol


def _renderer(kind: str, **attributes: str) -> ET.Element:
    flags = {"type": kind, "symbollevels": "0", "forceraster": "0", "enableorderby": "0"}
    return ET.Element("renderer-v2", {**flags, **attributes})


def outline_style(outline_rgba: str, width_mm: float = 0.5) -> ET.Element:
    """The ``renderer-v2`` of polygons outlined in one colour (reference patterns)."""
    renderer = _renderer("singleSymbol")
    ET.SubElement(renderer, "symbols").append(_fill_symbol("0", outline_rgba, width_mm))
    return renderer


def support_style() -> ET.Element:
    """The ``renderer-v2`` of detections with their support, by ``confirmed`` (a GeoPackage
    boolean, which QGIS reads as true or false): confirmed solid magenta, unconfirmed dashed
    cyan."""
    renderer = _renderer("categorizedSymbol", attr="confirmed")
    categories = ET.SubElement(renderer, "categories")
    for value, label, symbol in (("true", "confirmed", "0"), ("false", "not confirmed", "1")):
        ET.SubElement(
            categories, "category", value=value, type="bool", label=label, symbol=symbol, render="true"
        )
    symbols = ET.SubElement(renderer, "symbols")
    symbols.append(_fill_symbol("0", CONFIRMED_RGBA, 0.8))
    symbols.append(_fill_symbol("1", UNCONFIRMED_RGBA, 0.5, dashed=True))
    return renderer


def likelihood_style(threshold: float) -> ET.Element:
    """The ``renderer-v2`` of a pair's detections: five classes of ``likelihood_max`` from
    ``threshold`` (rounded down, so that no detection falls below the first class) to 1, outlined
    in the likelihood's colour map."""
    renderer = _renderer("graduatedSymbol", attr="likelihood_max", graduatedMethod="GraduatedColor")
    ranges = ET.SubElement(renderer, "ranges")
    symbols = ET.SubElement(renderer, "symbols")
    first = math.floor(threshold * 1e4) / 1e4
    edges = [f"{edge:.4f}" for edge in np.linspace(first, 1.0, 6)]
    for i, (lower, upper) in enumerate(zip(edges[:-1], edges[1:], strict=True)):
        label = f"likelihood {float(lower):.2f} - {float(upper):.2f}"
        ET.SubElement(ranges, "range", lower=lower, upper=upper, label=label, symbol=str(i), render="true")
        colour = STYLES["likelihood_mean"].cmap((float(lower) + float(upper)) / 2)
        symbols.append(_fill_symbol(str(i), _rgba(colour), 0.6))
    return renderer


def pseudocolor_style(style: BandStyle, band: int = 1) -> ET.Element:
    """The ``pipe`` of a raster layer showing ``band`` in ``style``'s colour map, interpolated
    between :data:`RAMP_STOPS` stops from ``vmin`` to ``vmax`` (a cyclic map starts and ends in
    one colour)."""
    pipe = ET.Element("pipe")
    low, high = f"{style.vmin:.6f}", f"{style.vmax:.6f}"
    renderer = ET.SubElement(
        pipe,
        "rasterrenderer",
        type="singlebandpseudocolor",
        band=str(band),
        opacity="1",
        alphaBand="-1",
        classificationMin=low,
        classificationMax=high,
        nodataColor="",
    )
    # the fixed range, not the band's statistics
    ET.SubElement(ET.SubElement(renderer, "minMaxOrigin"), "limits").text = "None"
    shader = ET.SubElement(
        ET.SubElement(renderer, "rastershader"),
        "colorrampshader",
        colorRampType="INTERPOLATED",
        classificationMode="1",
        clip="0",
        minimumValue=low,
        maximumValue=high,
    )
    for fraction in np.linspace(0.0, 1.0, RAMP_STOPS):
        value = style.vmin + fraction * (style.vmax - style.vmin)
        fraction = 0.0 if style.cyclic and fraction == 1.0 else fraction
        ET.SubElement(
            shader,
            "item",
            alpha="255",
            value=f"{value:.6f}",
            label=f"{value:.2f}",
            color=_hex(style.cmap(float(fraction))),
        )
    return pipe


def gray_style(band: int, vmin: float, vmax: float) -> ET.Element:
    """The ``pipe`` of a raster layer showing ``band`` in grey from ``vmin`` (black) to
    ``vmax`` (white)."""
    pipe = ET.Element("pipe")
    renderer = ET.SubElement(
        pipe,
        "rasterrenderer",
        type="singlebandgray",
        grayBand=str(band),
        gradient="BlackToWhite",
        opacity="1",
        alphaBand="-1",
    )
    ET.SubElement(ET.SubElement(renderer, "minMaxOrigin"), "limits").text = "None"
    contrast = ET.SubElement(renderer, "contrastEnhancement")
    ET.SubElement(contrast, "minValue").text = f"{vmin:g}"
    ET.SubElement(contrast, "maxValue").text = f"{vmax:g}"
    ET.SubElement(contrast, "algorithm").text = "StretchToMinimumMaximum"
    return pipe


def qml_text(renderer: ET.Element) -> str:
    """A ``.qml`` style file holding ``renderer`` (a ``renderer-v2`` or a raster ``pipe``)."""
    root = ET.Element("qgis", version=QGIS_VERSION, styleCategories="Symbology")
    root.append(renderer)
    ET.indent(root)
    return DOCTYPE + ET.tostring(root, "unicode") + "\n"


def embed_styles(gpkg: str | Path, styles: Mapping[str, str], timestamp: str) -> None:
    """Write ``styles`` (layer name -> QML text) into the GeoPackage's ``layer_styles`` table as
    each layer's default style (the table QGIS reads and writes, registered as attributes)."""
    with contextlib.closing(sqlite3.connect(gpkg)) as db, db:
        geometry_columns = dict(db.execute("SELECT table_name, column_name FROM gpkg_geometry_columns"))
        db.execute(
            "CREATE TABLE IF NOT EXISTS layer_styles (id INTEGER PRIMARY KEY AUTOINCREMENT, "
            "f_table_catalog TEXT(256), f_table_schema TEXT(256), f_table_name TEXT(256), "
            "f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT, "
            "useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30), "
            "update_time DATETIME)"
        )
        db.execute(
            "INSERT OR REPLACE INTO gpkg_contents (table_name, data_type, identifier, last_change) "
            "VALUES ('layer_styles', 'attributes', 'layer_styles', ?)",
            (timestamp,),
        )
        for layer, qml in styles.items():
            if layer not in geometry_columns:
                raise ValueError(f"{gpkg}: no layer {layer} to style")
            db.execute(
                "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
                "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, "
                "owner, ui, update_time) VALUES ('', '', ?, ?, ?, ?, '', 1, ?, '', '', ?)",
                (layer, geometry_columns[layer], f"massmove {layer}", qml, "written by massmove", timestamp),
            )


class ProjectLayer(NamedTuple):
    """One layer of a QGIS project: its name, data source (relative to the project file, with
    ``|layername=`` for a GeoPackage layer), provider (``ogr`` or ``gdal``), its group in the
    layer tree, its style (a ``renderer-v2`` or a raster ``pipe``) and whether it is shown when
    the project opens."""

    name: str
    source: str
    provider: str
    group: str
    style: ET.Element
    crs: str
    visible: bool = True


def spatial_reference(parent: ET.Element, crs: str) -> None:
    """``crs`` (any form pyproj reads) as QGIS writes a CRS: a ``spatialrefsys`` with its WKT,
    authority id and name (QGIS builds the CRS from the WKT; a PROJ string would lose the
    datum's details)."""
    system = pyproj.CRS.from_user_input(crs)
    authority = system.to_authority()
    element = ET.SubElement(parent, "spatialrefsys")
    ET.SubElement(element, "wkt").text = system.to_wkt()
    ET.SubElement(element, "authid").text = ":".join(authority) if authority else ""
    ET.SubElement(element, "description").text = system.name


def project_xml(
    title: str, crs: str, extent: tuple[float, float, float, float], layers: Sequence[ProjectLayer]
) -> str:
    """A QGIS project (``.qgs``) of ``layers`` in ``crs``, opening on ``extent`` (west, south,
    east, north in ``crs``), grouped in the layer tree in the order their groups first appear,
    with relative paths; each layer keeps its own CRS."""
    root = ET.Element("qgis", projectname=title, version=QGIS_VERSION)
    ET.SubElement(root, "title").text = title
    spatial_reference(ET.SubElement(root, "projectCrs"), crs)
    canvas = ET.SubElement(root, "mapcanvas", name="theMapCanvas")
    ET.SubElement(canvas, "units").text = "meters"
    box = ET.SubElement(canvas, "extent")
    for key, value in zip(("xmin", "ymin", "xmax", "ymax"), extent, strict=True):
        ET.SubElement(box, key).text = f"{value:.3f}"
    spatial_reference(ET.SubElement(canvas, "destinationsrs"), crs)
    tree = ET.SubElement(root, "layer-tree-group")
    groups: dict[str, ET.Element] = {}
    project_layers = ET.SubElement(root, "projectlayers")
    for index, layer in enumerate(layers):
        layer_id = f"massmove_{index:04d}"
        if layer.group not in groups:
            groups[layer.group] = ET.SubElement(
                tree, "layer-tree-group", name=layer.group, checked="Qt::Checked", expanded="1"
            )
        ET.SubElement(
            groups[layer.group],
            "layer-tree-layer",
            id=layer_id,
            name=layer.name,
            source=layer.source,
            providerKey=layer.provider,
            checked="Qt::Checked" if layer.visible else "Qt::Unchecked",
            expanded="0",
        )
        kind = "vector" if layer.provider == "ogr" else "raster"
        attributes = {"type": kind, **({"geometry": "Polygon"} if kind == "vector" else {})}
        element = ET.SubElement(project_layers, "maplayer", attributes)
        ET.SubElement(element, "id").text = layer_id
        ET.SubElement(element, "datasource").text = layer.source
        ET.SubElement(element, "layername").text = layer.name
        spatial_reference(ET.SubElement(element, "srs"), layer.crs)
        ET.SubElement(element, "provider", encoding="UTF-8").text = layer.provider
        element.append(layer.style)
    properties = ET.SubElement(root, "properties")
    ET.SubElement(ET.SubElement(properties, "Paths"), "Absolute", type="bool").text = "false"
    projection = ET.SubElement(properties, "SpatialRefSys")
    ET.SubElement(projection, "ProjectionsEnabled", type="int").text = "1"
    ET.indent(root)
    return DOCTYPE + ET.tostring(root, "unicode") + "\n"
