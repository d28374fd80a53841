"""Small interferograms in the layouts of other processors, built from their documented formats:
COMET LiCSAR frame products, ASF HyP3 InSAR products, ESA SNAP GeoTIFF exports (with the DIMAP
header SNAP embeds in tag 65000). The phase is an analytic field, so a conversion can be checked
against it at any map point."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from pyproj import Transformer

# a small area in the Valais (degrees) and a larger raster footprint around it
AOI = [7.48, 46.18, 7.52, 46.22]
FOOTPRINT = (7.44, 46.15, 7.56, 46.25)
DATES = ("20180801", "20180813")
# fringes of 2.4 km along a slanted direction, plus a bowl of 1.5 rad: smooth at 100 m pixels
FRINGE_M = 2400.0


def phase_at(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """The fixtures' wrapped phase (radians) at geographic points."""
    east, north = Transformer.from_crs("EPSG:4326", "EPSG:2056", always_xy=True).transform(lon, lat)
    east0, north0 = 2_606_000.0, 1_120_000.0
    ramp = 2 * math.pi * ((east - east0) * 0.8 + (north - north0) * 0.6) / FRINGE_M
    bowl = 1.5 * np.exp(-(((east - 2_606_500.0) ** 2 + (north - 1_119_500.0) ** 2) / 800.0**2))
    return np.angle(np.exp(1j * (ramp + bowl)))


def coherence_at(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """The fixtures' coherence: 0.3 to 0.9 across the footprint."""
    west, south, east, north = FOOTPRINT
    return 0.3 + 0.6 * (lon - west) / (east - west) * (lat - south) / (north - south)


def raster_grid(
    crs: str, spacing: float, footprint: tuple[float, float, float, float] = FOOTPRINT
) -> tuple[Affine, int, int, np.ndarray, np.ndarray]:
    """Transform, shape and geographic pixel centres of a raster over ``footprint`` in ``crs``."""
    from rasterio.warp import transform_bounds

    west, south, east, north = transform_bounds("EPSG:4326", crs, *footprint)
    width, height = math.ceil((east - west) / spacing), math.ceil((north - south) / spacing)
    transform = Affine(spacing, 0, west, 0, -spacing, north)
    cols, rows = np.meshgrid(np.arange(width) + 0.5, np.arange(height) + 0.5)
    x, y = transform * (cols, rows)
    lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(x, y)
    return transform, height, width, np.asarray(lon), np.asarray(lat)


def write_tif(
    path: Path,
    bands: list[np.ndarray],
    transform: Affine,
    crs: str | None,
    *,
    dtype: str = "float32",
    nodata: float | None = None,
    descriptions: list[str] | None = None,
) -> Path:
    """A plain GeoTIFF."""
    path.parent.mkdir(parents=True, exist_ok=True)
    profile = {
        "driver": "GTiff",
        "height": bands[0].shape[0],
        "width": bands[0].shape[1],
        "count": len(bands),
        "dtype": dtype,
        "transform": transform,
        "nodata": nodata,
    }
    if crs is not None:
        profile["crs"] = crs
    with rasterio.open(path, "w", **profile) as dst:
        for index, band in enumerate(bands, start=1):
            dst.write(band.astype(dtype), index)
            if descriptions:
                dst.set_band_description(index, descriptions[index - 1])
    return path


def licsar_folder(root: Path, *, with_coherence: bool = True) -> Path:
    """A LiCSAR frame as the COMET portal serves it: EPSG:4326 at 0.001 degrees (about 100 m),
    phase float32 radians with 0 as nodata, coherence bytes 0-255, frame metadata.txt."""
    frame = root / "088A_05043_131313"
    transform, _, _, lon, lat = raster_grid("EPSG:4326", 0.001)
    folder = frame / "interferograms" / f"{DATES[0]}_{DATES[1]}"
    write_tif(
        folder / f"{DATES[0]}_{DATES[1]}.geo.diff_pha.tif",
        [phase_at(lon, lat)],
        transform,
        "EPSG:4326",
        nodata=0.0,
    )
    if with_coherence:
        cc = np.rint(coherence_at(lon, lat) * 255)
        write_tif(
            folder / f"{DATES[0]}_{DATES[1]}.geo.cc.tif",
            [cc],
            transform,
            "EPSG:4326",
            dtype="uint8",
            nodata=0,
        )
    metadata = frame / "metadata" / "metadata.txt"
    metadata.parent.mkdir(parents=True, exist_ok=True)
    metadata.write_text(
        "master=20180807\ncenter_time=17:24:31.5\nheading=-10.6\navg_incidence_angle=39.4\n"
        "centre_range_m=845000\navg_height=2100\n"
    )
    return root


HYP3_NAME = "S1BA_20180801T172430_20180813T172431_VVP012_INT40_G_weF_4D2E"


HYP3_GRANULES = (
    "S1B_IW_SLC__1SDV_20180801T172430_20180801T172457_012014_016398_1A2B",
    "S1A_IW_SLC__1SDV_20180813T172431_20180813T172458_023260_028668_3C4D",
)


def hyp3_folder(
    root: Path,
    *,
    name: str = HYP3_NAME,
    granules: tuple[str, str] = HYP3_GRANULES,
    footprint: tuple[float, float, float, float] = FOOTPRINT,
    orbits: tuple[int, int] | None = None,
) -> Path:
    """A HyP3 INSAR_GAMMA product unzipped: UTM 32N at 40 m, wrapped phase, corr and the
    parameter file (absolute orbit numbers: ``orbits``, else those of the granule names)."""
    product = root / name
    transform, _, _, lon, lat = raster_grid("EPSG:32632", 40.0, footprint)
    write_tif(
        product / f"{name}_wrapped_phase.tif", [phase_at(lon, lat)], transform, "EPSG:32632", nodata=0.0
    )
    write_tif(product / f"{name}_corr.tif", [coherence_at(lon, lat)], transform, "EPSG:32632", nodata=0.0)
    lines = f"Reference Granule: {granules[0]}\nSecondary Granule: {granules[1]}\n"
    if not granules[0].endswith("-BURST"):  # ISCE2 burst products name no orbit
        orbits = orbits or (int(granules[0].split("_")[-3]), int(granules[1].split("_")[-3]))
        lines += (
            "Reference Pass Direction: ASCENDING\n"
            f"Reference Orbit Number: {orbits[0]}\n"
            "Secondary Pass Direction: ASCENDING\n"
            f"Secondary Orbit Number: {orbits[1]}\n"
        )
    (product / f"{name}.txt").write_text(
        lines + "Baseline: 61.3\n"
        "UTM zone: 32632\n"
        "Heading: -12.2\n"
        "Spacecraft height: 693000.0\n"
        "Earth radius at nadir: 6366000.0\n"
        "Slant range near: 800000.0\n"
        "Range looks: 10\n"
        "Azimuth looks: 2\n"
        "INSAR phase filter: adf\n"
        "Phase filter parameter: 0.6\n"
        "Resolution of output (m): 40\n"
        "DEM source: GLO_30\n"
        "Unwrapping type: mcf\n"
    )
    return root


SNAP_BANDS = ["Phase_ifg_IW2_VV_01Aug2018_13Aug2018", "coh_IW2_VV_01Aug2018_13Aug2018"]


def dimap_header(bands: list[str]) -> str:
    """The DIMAP header SNAP embeds in a GeoTIFF export (band list and Abstracted_Metadata)."""
    infos = "".join(
        f"<Spectral_Band_Info><BAND_INDEX>{i}</BAND_INDEX><BAND_NAME>{n}</BAND_NAME></Spectral_Band_Info>"
        for i, n in enumerate(bands)
    )
    attributes = {
        "PASS": "ASCENDING",
        "REL_ORBIT": "88",
        "radar_frequency": "5405.000454334349",
        "centre_heading": "-12.4",
        "incidence_near": "30.6",
        "incidence_far": "45.9",
    }
    attrs = "".join(f'<MDATTR name="{k}">{v}</MDATTR>' for k, v in attributes.items())
    baselines = '<MDElem name="Baselines"><MDATTR name="Perp Baseline">-48.5</MDATTR></MDElem>'
    return (
        '<?xml version="1.0" encoding="ISO-8859-1"?><Dimap_Document><Image_Interpretation>'
        f'{infos}</Image_Interpretation><Dataset_Sources><MDElem name="metadata">'
        f'<MDElem name="Abstracted_Metadata">{attrs}{baselines}</MDElem></MDElem></Dataset_Sources>'
        "</Dimap_Document>"
    )


def snap_export(path: Path, *, spacing_deg: float = 0.00015) -> Path:
    """A SNAP GeoTIFF export as SNAP writes it: EPSG:4326 (Terrain-Correction's default),
    Phase_ifg and coh bands, names only in the embedded DIMAP header (tag 65000), no band
    descriptions GDAL could read."""
    import tifffile

    transform, height, width, lon, lat = raster_grid("EPSG:4326", spacing_deg)
    stack = np.stack([phase_at(lon, lat), coherence_at(lon, lat)]).astype(np.float32)
    geokeys = [1, 1, 0, 3, 1024, 0, 1, 2, 1025, 0, 1, 1, 2048, 0, 1, 4326]
    extratags = [
        (33550, "d", 3, (spacing_deg, spacing_deg, 0.0)),
        (33922, "d", 6, (0.0, 0.0, 0.0, transform.c, transform.f, 0.0)),
        (34735, "H", len(geokeys), geokeys),
        (65000, "s", 0, dimap_header(SNAP_BANDS)),
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    tifffile.imwrite(path, stack, planarconfig="separate", extratags=extratags, photometric="minisblack")
    return path
