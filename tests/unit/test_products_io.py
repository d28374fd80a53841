import shutil
from pathlib import Path

import numpy as np
import pytest
import zarr
from rio_cogeo.cogeo import cog_validate

from massmove.errors import CorruptInputError, InputError
from massmove.geometry import AcquisitionGeometry
from massmove.grid import Grid
from massmove.io.atomic import atomic_path
from massmove.io.raster_io import read_bands, write_cog
from massmove.io.slc_store import read_slc_store, write_slc_store


@pytest.fixture
def geometry():
    return AcquisitionGeometry(
        0.0555,
        192.4,
        7590.0,
        (2_700_000.0, 1_100_000.0, 693_000.0),
        0.00184,
        820_000.0,
        2.33,
        300,
        700,
        "EPSG:2056",
        "2018-08-01T05:33:50+00:00",
    )


@pytest.fixture
def slc(geometry):
    rng = np.random.default_rng(1)
    shape = (geometry.n_lines, geometry.n_samples)
    return (rng.normal(size=shape) + 1j * rng.normal(size=shape)).astype(np.complex64)


def test_slc_store_round_trip(tmp_path, geometry, slc):
    path = tmp_path / "SYN_D066_20180801T053350.zarr"
    write_slc_store(path, slc, geometry, {"scene_id": "SYN_D066_20180801T053350"})
    scene = read_slc_store(path)
    np.testing.assert_array_equal(scene.slc, slc)
    assert scene.geometry == geometry
    assert scene.metadata["scene_id"] == "SYN_D066_20180801T053350"
    grid = dict(zarr.open_group(str(path), mode="r").attrs)["geolocation_grid"]
    assert len(grid["easting_m"]) == 210 and 30 < min(grid["incidence_deg"]) < max(grid["incidence_deg"]) < 47


def test_corrupt_store_is_named(tmp_path, geometry, slc):
    path = tmp_path / "scene.zarr"
    write_slc_store(path, slc, geometry, {"scene_id": "scene"})
    chunk = next(p for p in (path / "slc").rglob("*") if p.is_file() and p.name != "zarr.json")
    data = bytearray(chunk.read_bytes())
    data[len(data) // 2] ^= 0xFF
    chunk.write_bytes(bytes(data))
    with pytest.raises(CorruptInputError) as err:
        read_slc_store(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_missing_chunk_is_detected(tmp_path, geometry, slc):
    path = tmp_path / "scene.zarr"
    write_slc_store(path, slc, geometry, {"scene_id": "scene"})
    chunk = next(p for p in (path / "slc").rglob("*") if p.is_file() and p.name != "zarr.json")
    chunk.unlink()  # zarr would silently fill it with zeros
    with pytest.raises(CorruptInputError, match="sha256"):
        read_slc_store(path)


def test_missing_store_is_named(tmp_path):
    with pytest.raises(InputError, match="SLC store not found: .*nowhere.zarr"):
        read_slc_store(tmp_path / "nowhere.zarr")


def test_failed_write_leaves_nothing(tmp_path):
    target = tmp_path / "product.tif"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        Path(tmp).write_text("half")
        raise RuntimeError("interrupted")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_a_killed_writers_temporaries_go_when_the_product_is_written_again(tmp_path):
    target = tmp_path / "product.tif"
    # what a job killed mid-write leaves (no exception handler ran), and a neighbour's
    stale = tmp_path / ".product.tif.k1ll3d_x.tmp"
    (stale / "product.tif").parent.mkdir(parents=True)
    (stale / "product.tif").write_text("half")
    neighbour = tmp_path / ".other.tif.abc12345.tmp"
    neighbour.mkdir()
    sibling = tmp_path / ".product.tif.aux.abc12345.tmp"  # a live temporary of "product.tif.aux"
    sibling.mkdir()
    with atomic_path(target) as tmp:
        Path(tmp).write_text("whole")
    assert target.read_text() == "whole"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([sibling.name, neighbour.name, "product.tif"])


def test_cog_is_valid_and_tagged(tmp_path):
    grid = Grid(2_600_000.0, 1_120_000.0, 12.5, 600, 700, "EPSG:2056")
    phase = np.random.default_rng(0).uniform(-np.pi, np.pi, grid.shape).astype(np.float32)
    phase[:10] = np.nan
    coherence = np.full(grid.shape, 0.5, dtype=np.float32)
    path = tmp_path / "ifg.tif"
    write_cog(
        path,
        [phase, coherence],
        ["wrapped_phase", "coherence"],
        grid,
        {"pair_id": "A088_x", "baseline_days": 12},
    )
    valid, errors, _ = cog_validate(str(path))
    assert valid, errors
    bands, read_grid, tags = read_bands(path)
    assert read_grid == grid
    assert tags["pair_id"] == "A088_x" and tags["baseline_days"] == "12"
    np.testing.assert_array_equal(bands["wrapped_phase"], phase)
    import rasterio

    with rasterio.open(path) as src:
        assert src.overviews(1), "a COG product carries overviews"
        assert src.profile["tiled"] and src.block_shapes[0] == (256, 256)


def test_store_rewrite_replaces_previous(tmp_path, geometry, slc):
    path = tmp_path / "scene.zarr"
    write_slc_store(path, slc, geometry, {"scene_id": "a"})
    write_slc_store(path, slc * 2, geometry, {"scene_id": "b"})
    scene = read_slc_store(path)
    assert scene.metadata["scene_id"] == "b"
    np.testing.assert_array_equal(scene.slc, slc * 2)
    shutil.rmtree(path)


def test_vectors_without_a_crs_are_refused_everywhere(tmp_path):
    import geopandas as gpd
    import shapely

    from massmove.evaluate.agreement import read_annotations
    from massmove.io.labels import rasterise_labels, read_labels
    from massmove.io.vector import read_vector

    frame = gpd.GeoDataFrame({"class": ["coherent"]}, geometry=[shapely.box(0, 0, 100, 100)])
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        frame.to_file(tmp_path / "labels.shp")  # a Shapefile without .prj: no CRS
    placed = frame.set_crs("EPSG:2056")
    placed.to_file(tmp_path / "placed.gpkg")
    for read in (
        lambda p: read_vector(p, what="label polygons"),
        lambda p: read_labels(p, label_class="coherent"),
        lambda p: read_annotations(p, crs="EPSG:2056", class_column="class", default_class="coherent"),
    ):
        with pytest.raises(InputError, match=r"labels\.shp: .* without a CRS"):
            read(tmp_path / "labels.shp")
        assert len(read(tmp_path / "placed.gpkg")) == 1
    grid = Grid(0, 100, 10.0, 10, 10, "EPSG:2056")
    assert int(rasterise_labels(placed, grid).sum()) == 100
    with pytest.raises(InputError, match="without a CRS"):
        rasterise_labels(frame, grid)
