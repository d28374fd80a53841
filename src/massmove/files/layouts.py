"""Folder layouts of interferograms made elsewhere, and the metadata their files carry.

- ``licsar``: COMET LiCSAR frame products, ``{d1}_{d2}.geo.diff_pha.tif`` (wrapped phase,
  radians) beside ``{d1}_{d2}.geo.cc.tif`` (coherence, bytes 0-255); the frame id
  (``015A_04878_131313``: relative orbit 15, ascending) from a folder name; heading and
  incidence from the frame's ``metadata/metadata.txt`` (``key=value`` lines) where present.
- ``hyp3``: ASF HyP3 InSAR products (GAMMA or ISCE2), ``{name}_wrapped_phase.tif``,
  ``{name}_corr.tif`` and the parameter file ``{name}.txt`` (``Key: value`` lines: granules,
  pass direction, orbit number, perpendicular baseline, heading).
- ``snap``: GeoTIFF exports of ESA SNAP with the ``Phase_ifg_*`` and ``coh_*`` bands, named in
  the band descriptions or in the DIMAP header SNAP embeds in the TIFF (tag 65000).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from massmove.constants import SENTINEL1_WAVELENGTH_M
from massmove.errors import ConfigError, InputError
from massmove.files.interferogram import FileInterferogram

LICSAR_PHASE = re.compile(r"^(?P<d1>\d{8})_(?P<d2>\d{8})\.geo\.diff_pha\.tif$")
LICSAR_FRAME = re.compile(r"^(?P<orbit>\d{3})(?P<direction>[AD])_\d{5}_\d{6}$")
HYP3_PHASE_SUFFIX = "_wrapped_phase.tif"
SNAP_PHASE_BAND = re.compile(r"^Phase_ifg_.*?(?P<d1>\d{2}[A-Za-z]{3}\d{4})_(?P<d2>\d{2}[A-Za-z]{3}\d{4})")
# Sentinel-1 absolute orbit -> relative orbit (offsets of each satellite's orbit count)
ORBIT_OFFSETS = {"S1A": 73, "S1B": 202, "S1C": 172}
GRANULE_START = re.compile(r"_(?P<start>\d{8}T\d{6})_")


def key_values(path: Path, separator: str) -> dict[str, str]:
    """``key<separator>value`` lines of a metadata file (keys stripped; later lines win)."""
    values = {}
    for line in path.read_text(errors="replace").splitlines():
        key, sep, value = line.partition(separator)
        if sep and key.strip():
            values[key.strip()] = value.strip()
    return values


def _number(values: dict[str, str], key: str, path: Path) -> float | None:
    if key not in values:
        return None
    try:
        return float(values[key].split()[0])
    except (ValueError, IndexError):
        raise InputError(f"{path}: {key} {values[key]!r} is not a number") from None


# --- LiCSAR ---------------------------------------------------------------------------------


def licsar_frame(path: Path) -> tuple[str | None, Path | None]:
    """(track, frame folder) of a LiCSAR file from the frame id among its parent folders."""
    for parent in path.parents:
        match = LICSAR_FRAME.match(parent.name)
        if match:
            return f"{match['direction']}{int(match['orbit']):03d}", parent
    return None, None


def licsar_metadata(frame_dir: Path | None, folder: Path) -> tuple[dict[str, Any], list[Path]]:
    """Heading and incidence of a LiCSAR frame from its ``metadata.txt``, where present."""
    candidates = [frame_dir / "metadata" / "metadata.txt"] if frame_dir else []
    candidates += [folder / "metadata" / "metadata.txt", folder / "metadata.txt"]
    for path in candidates:
        if path.is_file():
            values = key_values(path, "=")
            tags: dict[str, Any] = {}
            heading = _number(values, "heading", path)
            incidence = _number(values, "avg_incidence_angle", path)
            if heading is not None:
                tags["heading_deg"] = round(heading % 360.0, 3)
            if incidence is not None:
                tags["incidence_deg"] = round(incidence, 3)
            return tags, [path]
    return {}, []


def scan_licsar(folder: Path) -> list[FileInterferogram]:
    """LiCSAR products anywhere under ``folder``."""
    found = []
    for phase in sorted(folder.rglob("*.geo.diff_pha.tif")):
        match = LICSAR_PHASE.match(phase.name)
        if not match:
            continue
        coherence = phase.with_name(f"{match['d1']}_{match['d2']}.geo.cc.tif")
        track, frame_dir = licsar_frame(phase)
        tags, sources = licsar_metadata(frame_dir, folder)
        found.append(
            FileInterferogram(
                phase=phase,
                coherence=coherence if coherence.is_file() else None,
                reference=name_date(match["d1"], "%Y%m%d", phase),
                secondary=name_date(match["d2"], "%Y%m%d", phase),
                track=track,
                layout="licsar",
                metadata={
                    **tags,
                    "wavelength_m": SENTINEL1_WAVELENGTH_M,
                    "engine": "LiCSAR (GAMMA)",
                    **({"licsar_frame": frame_dir.name} if frame_dir else {}),
                },
                sources=tuple(sources),
            )
        )
    return found


# --- ASF HyP3 -------------------------------------------------------------------------------


def relative_orbit(granule: str, absolute_orbit: int) -> int | None:
    """Relative orbit of a Sentinel-1 scene from its absolute orbit (None for an unknown
    satellite).

    Examples
    --------
    >>> relative_orbit("S1A_IW_SLC__1SDV_20200203T172103_20200203T172130_031091_039323_4B1B", 31091)
    44
    """
    offset = ORBIT_OFFSETS.get(granule[:3])
    return None if offset is None else (absolute_orbit - offset) % 175 + 1


def _granule_datetime(granule: str) -> str | None:
    match = GRANULE_START.search(granule)
    if not match:
        return None
    return dt.datetime.strptime(match["start"], "%Y%m%dT%H%M%S").replace(tzinfo=dt.UTC).isoformat()


def hyp3_parameters(path: Path) -> dict[str, Any]:
    """What a HyP3 InSAR parameter file (``{name}.txt``) says: dates, granules, track,
    perpendicular baseline, heading, looks and processor."""
    values = key_values(path, ":")
    reference = values.get("Reference Granule", "").split(",")[0].strip()
    secondary = values.get("Secondary Granule", "").split(",")[0].strip()
    if not reference or not secondary:
        raise InputError(f"{path}: not a HyP3 parameter file (no Reference/Secondary Granule)")
    reference_time, secondary_time = _granule_datetime(reference), _granule_datetime(secondary)
    if reference_time is None or secondary_time is None:
        raise InputError(f"{path}: cannot read acquisition times from granules {reference}, {secondary}")
    info: dict[str, Any] = {
        "reference_scene": values["Reference Granule"].replace(" ", ""),
        "secondary_scene": values["Secondary Granule"].replace(" ", ""),
        "reference_datetime": reference_time,
        "secondary_datetime": secondary_time,
        "wavelength_m": SENTINEL1_WAVELENGTH_M,
    }
    baseline = _number(values, "Baseline", path)
    if baseline is not None:
        info["perpendicular_baseline_m"] = round(baseline, 3)
    heading = _number(values, "Heading", path)
    if heading is not None:
        info["heading_deg"] = round(heading % 360.0, 3)
    range_looks, azimuth_looks = (_number(values, f"{axis} looks", path) for axis in ("Range", "Azimuth"))
    if range_looks is not None and azimuth_looks is not None:
        info["looks"] = f"{range_looks:.0f}x{azimuth_looks:.0f}"
    direction = values.get("Reference Pass Direction", "").upper()
    orbit = _number(values, "Reference Orbit Number", path)
    burst = re.match(r"^S1_(?P<burst>\d{6})_IW", reference)
    track = None
    if direction in ("ASCENDING", "DESCENDING") and orbit is not None:
        rel = relative_orbit(reference, int(orbit))
        if rel is not None:
            track = f"{direction[0]}{rel:03d}"
    info["track"] = track
    info["engine"] = "HyP3 ISCE2" if burst else "HyP3 GAMMA"
    return info


def hyp3_product(phase: Path) -> FileInterferogram:
    """One HyP3 product from its ``{name}_wrapped_phase.tif`` (parameter file beside it)."""
    name = phase.name.removesuffix(HYP3_PHASE_SUFFIX)
    parameters = phase.with_name(f"{name}.txt")
    if not parameters.is_file():
        raise InputError(f"{phase}: HyP3 parameter file {parameters.name} is missing beside it")
    info = hyp3_parameters(parameters)
    coherence = phase.with_name(f"{name}_corr.tif")
    track = info.pop("track")
    return FileInterferogram(
        phase=phase,
        coherence=coherence if coherence.is_file() else None,
        reference=name_date(info["reference_datetime"][:10], "%Y-%m-%d", parameters),
        secondary=name_date(info["secondary_datetime"][:10], "%Y-%m-%d", parameters),
        track=track,
        layout="hyp3",
        metadata={**info, "hyp3_product": name},
        sources=(parameters,),
    )


def scan_hyp3(folder: Path) -> list[FileInterferogram]:
    """HyP3 InSAR products (unzipped) anywhere under ``folder``."""
    found = [hyp3_product(phase) for phase in sorted(folder.rglob(f"*{HYP3_PHASE_SUFFIX}"))]
    zipped = sorted(folder.rglob("*.zip"))
    if not found and zipped:
        raise InputError(f"{folder}: holds HyP3 zips ({zipped[0].name}, ...); unzip them first")
    return found


# --- SNAP GeoTIFF exports -------------------------------------------------------------------


def snap_band_names(path: Path, header: str | None) -> list[str]:
    """Band names of a SNAP GeoTIFF export: GDAL's band descriptions, else the bands of the
    DIMAP header SNAP writes into TIFF tag 65000 (``header``, :func:`snap_embedded_header`)."""
    import rasterio

    with rasterio.open(path) as src:
        names = [d or "" for d in src.descriptions]
    if any(names) or header is None:
        return names
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(header)
    except ET.ParseError as err:
        raise InputError(
            f"{path}: the DIMAP header SNAP embeds (TIFF tag 65000) is not XML ({err})"
        ) from None
    found = [(e.findtext("BAND_INDEX"), e.findtext("BAND_NAME")) for e in root.iter("Spectral_Band_Info")]
    ordered = sorted((int(i), n or "") for i, n in found if i is not None)
    return [name for _, name in ordered] or names


def snap_embedded_header(path: Path) -> str | None:
    """The DIMAP XML SNAP embeds in its GeoTIFFs (private tag 65000), if any."""
    import tifffile

    with tifffile.TiffFile(path) as tif:
        tag = tif.pages.first.tags.get(65000)
        if tag is None:
            return None
        value = tag.value
        return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)


def name_date(text: str, pattern: str, path: Path) -> dt.date:
    """A date a product's name or parameter file gives; an impossible one (20180230) is one
    line naming the file."""
    try:
        return dt.datetime.strptime(text, pattern).date()
    except ValueError:
        raise InputError(f"{path}: {text!r} is not a date (in its name or parameters)") from None


def snap_export(path: Path) -> FileInterferogram | None:
    """One SNAP export holding a ``Phase_ifg_*`` band (and a ``coh_*`` band), else None."""
    header = snap_embedded_header(path)
    names = snap_band_names(path, header)
    phase_band = next((i for i, n in enumerate(names, 1) if SNAP_PHASE_BAND.match(n)), None)
    if phase_band is None:
        return None
    match = SNAP_PHASE_BAND.match(names[phase_band - 1])
    assert match is not None
    coherence_band = next((i for i, n in enumerate(names, 1) if n.startswith("coh_")), None)
    metadata: dict[str, Any] = {"engine": "SNAP (GeoTIFF export)", "snap_phase_band": names[phase_band - 1]}
    track = None
    if header is not None:
        from massmove.snap.dimap import read_metadata_xml

        try:
            geometry = read_metadata_xml(header, path)
        except InputError:
            geometry = {}
        if geometry:
            track = f"{geometry.pop('pass')[0].upper()}{geometry.pop('relative_orbit'):03d}"
            metadata.update({k: round(v, 6) for k, v in geometry.items() if v == v})
    return FileInterferogram(
        phase=path,
        coherence=path if coherence_band else None,
        reference=name_date(match["d1"], "%d%b%Y", path),
        secondary=name_date(match["d2"], "%d%b%Y", path),
        track=track,
        layout="snap",
        phase_band=phase_band,
        coherence_band=coherence_band or 1,
        metadata=metadata,
    )


def scan_snap(folder: Path) -> list[FileInterferogram]:
    """SNAP GeoTIFF exports (``*.tif``) anywhere under ``folder``."""
    import rasterio
    import tifffile

    found = []
    for path in sorted([*folder.rglob("*.tif"), *folder.rglob("*.tiff")]):
        try:
            item = snap_export(path)
        except (rasterio.errors.RasterioIOError, tifffile.TiffFileError, OSError, ValueError) as err:
            first = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise InputError(f"{path}: not a readable GeoTIFF ({first})") from None
        if item is not None:
            found.append(item)
    return found


SCANNERS: dict[str, Callable[[Path], list[FileInterferogram]]] = {
    "licsar": scan_licsar,
    "hyp3": scan_hyp3,
    "snap": scan_snap,
}


def scan_folder(folder: Path, layout: str) -> list[FileInterferogram]:
    """The interferograms a folder holds in ``layout``; none found is an error naming both."""
    if not folder.is_dir():
        raise InputError(f"config key 'files.folder': folder not found: {folder}")
    if layout not in SCANNERS:
        raise ConfigError(f"config key 'files.layout': {layout!r} is not one of {sorted(SCANNERS)}")
    found = SCANNERS[layout](folder)
    if not found:
        raise InputError(f"{folder}: no interferograms in the {layout} layout found")
    return found
