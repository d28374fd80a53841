"""Downloading the bursts of one scene from ASF's burst service, and assembling them into a
SAFE product for SNAP with burst2safe (``burst2safe.local2safe``).

The bursts of a scene land in ``resources/bursts/{scene}/`` with ``bursts.json`` listing them
(granule, subswath, polarisation, index, files); a scene whose download stopped half way keeps
its verified files in a ``.partial`` folder beside it for the next try and is moved into place
only when whole. The SAFE is zipped as ``resources/slc/{scene}.zip``, the name the SNAP rules
expect of a whole scene.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from massmove.errors import InputError, ProcessingError
from massmove.io.atomic import atomic_path
from massmove.io.names import BURST_GRANULE, checked_name

log = logging.getLogger(__name__)
MANIFEST = "bursts.json"


def download_scene_bursts(
    rows: Sequence[Mapping[str, Any]],
    directory: str | Path,
    *,
    session: Any,
    retries: int,
    backoff_s: float,
    timeout_s: float,
) -> Path:
    """Download (verified by size, resumable) the bursts ``rows`` of ``results/search/bursts.csv``
    lists for one scene, and their metadata XML, into ``directory``."""
    from massmove.asf.download import download_verified

    directory = Path(directory)
    if not rows:
        raise InputError(f"{directory.name}: results/search/bursts.csv lists no burst of this scene")
    partial = directory.with_name(f".{directory.name}.partial")
    partial.mkdir(parents=True, exist_ok=True)
    listed = []
    for row in rows:
        granule = checked_name(row["granule"], f"{directory.name}: burst", BURST_GRANULE)
        tiff, xml = f"{granule}.tiff", f"{granule}.xml"
        options = {"session": session, "retries": retries, "backoff_s": backoff_s, "timeout_s": timeout_s}
        download_verified(
            str(row["url"]), partial / tiff, size_bytes=int(row["size_bytes"]) or None, **options
        )
        download_verified(str(row["xml_url"]), partial / xml, **options)
        listed.append(
            {
                "granule": granule,
                "subswath": str(row["subswath"]),
                "polarization": str(row["polarization"]),
                "burst_index": int(row["burst_index"]),
                "data": tiff,
                "metadata": xml,
            }
        )
    (partial / MANIFEST).write_text(json.dumps({"scene_id": directory.name, "bursts": listed}, indent=1))
    if directory.exists():
        shutil.rmtree(directory)
    partial.rename(directory)
    return directory


def slc_tree(bursts_dir: str | Path) -> dict[str, Any]:
    """burst2safe's ``slc_dict`` of a scene's bursts: ``{slc: {swath: {pol: {index: {DATA,
    METADATA}}}}}``, from the folder's ``bursts.json``."""
    bursts_dir = Path(bursts_dir)
    manifest = bursts_dir / MANIFEST
    if not manifest.is_file():
        raise InputError(f"{bursts_dir}: no {MANIFEST} (the burst download did not finish)")
    record = json.loads(manifest.read_text())
    tree: dict[str, Any] = {}
    for burst in record["bursts"]:
        for name in (burst["data"], burst["metadata"]):
            if not (bursts_dir / name).is_file():
                raise InputError(f"{bursts_dir}: {name} listed in {MANIFEST} is missing")
        node = tree.setdefault(record["scene_id"], {}).setdefault(burst["subswath"], {})
        node.setdefault(burst["polarization"], {})[str(burst["burst_index"])] = {
            "DATA": bursts_dir / burst["data"],
            "METADATA": bursts_dir / burst["metadata"],
        }
    return tree


def assemble_safe(
    bursts_dir: str | Path,
    slc_zip: str | Path,
    *,
    local2safe: Callable[..., Path] | None = None,
) -> Path:
    """Assemble a scene's bursts into a SAFE (all annotation files kept) and zip it as
    ``slc_zip``, atomically. ``local2safe`` defaults to burst2safe's."""
    if local2safe is None:
        from burst2safe.local2safe import local2safe as burst2safe_local2safe

        local2safe = burst2safe_local2safe
    tree = slc_tree(bursts_dir)
    with tempfile.TemporaryDirectory(prefix="safe_", dir=Path(slc_zip).parent) as scratch:
        try:
            safe = Path(local2safe(tree, all_anns=True, keep_files=False, work_dir=Path(scratch)))
        except (ValueError, KeyError, OSError) as err:
            raise ProcessingError(f"{bursts_dir}: burst2safe could not assemble a SAFE ({err})") from err
        if not safe.is_dir():
            raise ProcessingError(f"{bursts_dir}: burst2safe returned no SAFE folder ({safe})")
        with atomic_path(slc_zip) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as archive:
            for path in sorted(safe.rglob("*")):
                if path.is_file():
                    archive.write(path, str(path.relative_to(safe.parent)))
    log.info("%s: SAFE %s assembled from %s", slc_zip, safe.name, bursts_dir)
    return Path(slc_zip)
