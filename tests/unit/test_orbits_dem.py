"""Orbit fallback (with a stand-in for sentineleof that checks what it is asked) and DEM tiles."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest
import rasterio
import shapely
from rasterio.transform import from_origin

from massmove.asf.dem import fetch_dem, glo30_tiles
from massmove.asf.orbits import fetch_orbit
from massmove.config import resolve_config
from massmove.errors import InputError, ProcessingError
from tests.loopback import FileServer

SCENE = "S1B_IW_SLC__1SDV_20180801T172422_20180801T172449_011850_014406_58101"
WHEN = dt.datetime(2018, 8, 1, 17, 24, 22, tzinfo=dt.UTC)


def eof_name(
    kind: str, start: str = "20180731T225942", stop: str = "20180802T005942", mission: str = "S1B"
) -> str:
    return f"{mission}_OPER_AUX_{kind}_OPOD_20180821T120643_V{start}_{stop}.EOF"


class FakeSentinelEof:
    """Stands in for eof.download.download_eofs: checks the request, answers per orbit type."""

    def __init__(self, available: set[str]) -> None:
        self.available = available
        self.calls: list[tuple[dt.datetime, str, str]] = []

    def __call__(self, when: dt.datetime, mission: str, save_dir: Path, orbit_type: str) -> list[Path]:
        assert mission == "S1B" and when == WHEN and orbit_type in {"precise", "restituted"}
        self.calls.append((when, mission, orbit_type))
        if orbit_type not in self.available:
            raise ValueError(f"no {orbit_type} orbit found")
        kind = "POEORB" if orbit_type == "precise" else "RESORB"
        path = Path(save_dir) / eof_name(
            kind, "20180801T160000", "20180801T190000" if kind == "RESORB" else "20180802T005942"
        )
        path.write_text(f"<Earth_Explorer_File>{kind}</Earth_Explorer_File>")
        return [path]


def test_precise_orbit_is_used_when_available(tmp_path):
    fake = FakeSentinelEof({"precise", "restituted"})
    record = fetch_orbit(SCENE, WHEN, tmp_path / "o.EOF", tmp_path / "o.json", downloader=fake)
    assert record["orbit_type"] == "precise" and not record["fallback"] and record["warning"] == ""
    assert [c[2] for c in fake.calls] == ["precise"]
    assert "POEORB" in (tmp_path / "o.EOF").read_text()


def test_restituted_fallback_is_recorded(tmp_path):
    fake = FakeSentinelEof({"restituted"})
    record = fetch_orbit(SCENE, WHEN, tmp_path / "o.EOF", tmp_path / "o.json", downloader=fake)
    assert [c[2] for c in fake.calls] == ["precise", "restituted"]
    assert record["fallback"] and "restituted" in record["warning"]
    assert json.loads((tmp_path / "o.json").read_text()) == record


def test_no_orbit_at_all_is_an_error_and_leaves_nothing(tmp_path):
    with pytest.raises(ProcessingError, match="no precise or restituted orbit"):
        fetch_orbit(SCENE, WHEN, tmp_path / "o.EOF", tmp_path / "o.json", downloader=FakeSentinelEof(set()))
    assert list(tmp_path.iterdir()) == []


def test_local_orbit_directory_is_searched_by_validity(tmp_path):
    local = tmp_path / "orbits"
    local.mkdir()
    (local / eof_name("POEORB", "20180720T225942", "20180722T005942")).write_text("old")
    (local / eof_name("POEORB", mission="S1A")).write_text("other satellite")
    (local / eof_name("RESORB", "20180801T160000", "20180801T190000")).write_text("restituted")
    (local / eof_name("POEORB")).write_text("precise")
    record = fetch_orbit(SCENE, WHEN, tmp_path / "o.EOF", tmp_path / "o.json", local_dir=local)
    assert record["orbit_type"] == "precise" and (tmp_path / "o.EOF").read_text() == "precise"
    (local / eof_name("POEORB")).unlink()
    record = fetch_orbit(SCENE, WHEN, tmp_path / "o2.EOF", tmp_path / "o2.json", local_dir=local)
    assert record["fallback"] and (tmp_path / "o2.EOF").read_text() == "restituted"
    with pytest.raises(InputError, match="no precise or restituted orbit"):
        fetch_orbit(SCENE, WHEN.replace(month=9), tmp_path / "o3.EOF", tmp_path / "o3.json", local_dir=local)


def test_glo30_tile_names_of_the_valais():
    names = glo30_tiles(shapely.box(6.77, 45.86, 8.48, 46.65))
    assert names == [
        f"Copernicus_DSM_COG_10_N{lat}_00_E00{lon}_00_DEM" for lat in (45, 46) for lon in (6, 7, 8)
    ]


def tile_bytes(name: str, tmp_path: Path) -> bytes:
    lat = int(name.split("_")[4][1:])
    lon = int(name.split("_")[6][1:])
    path = tmp_path / f"{name}.tif"
    size = 120  # a 30 arc-second stand-in for the 1 arc-second tile
    lons, lats = np.meshgrid(lon + (np.arange(size) + 0.5) / size, lat + 1 - (np.arange(size) + 0.5) / size)
    height = (1000 + 500 * np.sin(lons * 3) + 300 * np.cos(lats * 5)).astype("float32")
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=size,
        height=size,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=from_origin(lon, lat + 1, 1 / size, 1 / size),
    ) as dst:
        dst.write(height, 1)
    return path.read_bytes()


def test_dem_from_loopback_tiles(tmp_path):
    aoi = shapely.box(7.2, 45.9, 7.6, 46.2)
    with FileServer() as server:
        for name in glo30_tiles(aoi):
            if "E006" not in name:  # the western tile is missing: skipped, like a sea tile
                server.files[name] = tile_bytes(name, tmp_path)
        config = resolve_config(
            {
                "source": "asf",
                "interferogram": {"engine": "none"},
                "posting_m": 50.0,
                "dem": {"tile_url": server.url + "/ok/{tile}"},
            }
        )
        used = fetch_dem(aoi, config, tmp_path / "dem.tif", tmp_path / "tiles")
    assert used == [
        "Copernicus_DSM_COG_10_N45_00_E007_00_DEM.tif",
        "Copernicus_DSM_COG_10_N46_00_E007_00_DEM.tif",
    ]
    with rasterio.open(tmp_path / "dem.tif") as src:
        assert src.crs.to_epsg() == 2056 and src.res == (50.0, 50.0)
        dem = src.read(1)
    assert np.isfinite(dem).mean() > 0.95
    assert 100 < np.nanmin(dem) and np.nanmax(dem) < 1900


def test_own_dem_skips_the_download(tmp_path):
    own = tmp_path / "own.tif"
    own.write_bytes(tile_bytes("Copernicus_DSM_COG_10_N46_00_E007_00_DEM", tmp_path))
    config = resolve_config(
        {
            "source": "asf",
            "interferogram": {"engine": "none"},
            "posting_m": 100.0,
            "dem": {"path": str(own), "tile_url": "http://127.0.0.1:9/{tile}"},
        }
    )
    used = fetch_dem(shapely.box(7.2, 46.1, 7.6, 46.4), config, tmp_path / "dem.tif", tmp_path / "tiles")
    assert used == ["own.tif"] and not (tmp_path / "tiles").exists()
