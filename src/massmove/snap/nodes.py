"""SNAP graph nodes through pyroSAR: templates from SNAP where it is installed, else shipped ones.

pyroSAR's ``parse_node`` reads an operator's parameters and defaults from ``gpt <operator> -h``,
which needs SNAP. Without SNAP the same XML form is read from ``resources/snap/nodes``
(parameter names and defaults of SNAP 9/10's microwave toolbox operators).
"""

from __future__ import annotations

import copy
import functools
import logging
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

from massmove.config import repository_root
from massmove.errors import ConfigError

log = logging.getLogger(__name__)


def shipped_templates() -> Path:
    """Directory of the node templates shipped with massmove."""
    return repository_root() / "resources" / "snap" / "nodes"


@functools.cache
def pyrosar_auxil() -> ModuleType:
    """``pyroSAR.snap.auxil`` (Workflow, Node, parse_recipe, parse_node).

    GDAL < 3.7 (Debian bookworm's 3.6) has no ``gdal_array.UseExceptions``, which spatialist
    (imported by pyroSAR) calls at import; GDAL 3.6's ``gdal_array`` raises through the
    exception state of ``gdal``, so the missing function is aliased to ``gdal.UseExceptions``
    before the import. Nothing else is changed.
    """
    try:
        from osgeo import gdal, gdal_array
    except ImportError as err:
        raise ConfigError(
            "interferogram.engine snap needs GDAL's Python bindings and pyroSAR: "
            "run tools/install-snap-python.sh (see README, 'SNAP engine')"
        ) from err
    if not hasattr(gdal_array, "UseExceptions"):
        gdal_array.UseExceptions = gdal.UseExceptions
    try:
        from pyroSAR.snap import auxil
    except (ImportError, RuntimeError) as err:
        raise ConfigError(f"pyroSAR does not import ({err}); see README, 'SNAP engine'") from err
    return auxil


def is_snap_installation(gpt: str | Path | None) -> bool:
    """Whether ``gpt`` belongs to a SNAP installation (``bin/gpt`` beside ``etc/snap.properties``)."""
    if gpt is None:
        return False
    return (Path(gpt).resolve().parent.parent / "etc" / "snap.properties").is_file()


def node_template(operator: str, gpt: str | Path | None = None):  # noqa: ANN201 - pyroSAR Node
    """A fresh pyroSAR ``Node`` of ``operator`` with its default parameters and no sources."""
    auxil = pyrosar_auxil()
    if is_snap_installation(gpt):
        node = auxil.parse_node(operator)
    else:
        path = shipped_templates() / f"{operator}.xml"
        if not path.is_file():
            raise ConfigError(f"no SNAP node template for operator {operator!r} in {path.parent}")
        element = ET.parse(path).getroot().find("node")
        node = auxil.Node(copy.deepcopy(element))
    sources = node.element.find("sources")
    for child in list(sources):
        sources.remove(child)
    return node
