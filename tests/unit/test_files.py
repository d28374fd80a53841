"""source: files: the layouts' metadata, the conversion's fidelity, and bad inputs named."""

from __future__ import annotations

import shutil
import warnings

import numpy as np
import pytest
import rasterio
from pyproj import Transformer

from massmove.asf.aoi import aoi_geometry
from massmove.errors import ConfigError, InputError
from massmove.files.convert import convert
from massmove.files.inventory import file_interferograms
from massmove.files.layouts import scan_folder
from tests.files import fixtures as fx

AOI = aoi_geometry(fx.AOI)


def only(folder, layout):
    items = file_interferograms({"interferograms": [], "folder": str(folder), "layout": layout})
    assert len(items) == 1
    return items[0]


def listed(*entries):
    return file_interferograms({"interferograms": list(entries), "folder": None, "layout": "licsar"})


def phase_errors(converted):
    """Circular error of the product's phase against the fixtures' analytic field."""
    east, north = converted.grid.centres()
    to_lonlat = Transformer.from_crs(converted.grid.crs, "EPSG:4326", always_xy=True)
    lon, lat = to_lonlat.transform(east, north)
    error = np.angle(np.exp(1j * (converted.wrapped_phase_rad - fx.phase_at(lon, lat))))
    return np.abs(error), fx.coherence_at(lon, lat)


@pytest.fixture(scope="module")
def layouts(tmp_path_factory):
    root = tmp_path_factory.mktemp("layouts")
    fx.licsar_folder(root / "licsar")
    fx.hyp3_folder(root / "hyp3")
    fx.snap_export(root / "snap" / "subset_ifg_export.tif")
    return root


def test_licsar_frame_metadata_and_byte_coherence(layouts):
    item = only(layouts / "licsar", "licsar")
    assert item.pair_id == "A088_20180801_20180813"
    converted = convert(item, aoi=AOI, crs="EPSG:2056", posting_m=12.5)
    error, coherence = phase_errors(converted)
    assert np.nanpercentile(error, 99) < 0.01
    # bytes 0-255 scaled to [0, 1]: within half a byte step plus interpolation
    assert np.nanmax(np.abs(converted.coherence - coherence)) < 0.004
    tags = converted.tags
    assert (tags["heading_deg"], tags["incidence_deg"]) == (349.4, 39.4)
    assert tags["perpendicular_baseline_m"] == "unknown"  # LiCSAR's files do not give it here
    # 0.001 degrees at 46.2 N: about 93 m, 7.4 times the 12.5 m posting, flagged
    assert tags["coarser_than_posting"] == "yes"
    assert 7.2 < tags["posting_ratio"] < 7.6


def test_hyp3_parameter_file_gives_track_baseline_and_granules(layouts):
    item = only(layouts / "hyp3", "hyp3")
    assert item.pair_id == "A088_20180801_20180813"
    assert item.record()["reference_datetime"] == "2018-08-01T17:24:30+00:00"
    converted = convert(item, aoi=AOI, crs="EPSG:2056", posting_m=12.5)
    error, coherence = phase_errors(converted)
    assert np.nanpercentile(error, 99) < 0.01
    assert np.nanmax(np.abs(converted.coherence - coherence)) < 1e-3
    tags = converted.tags
    assert tags["perpendicular_baseline_m"] == 61.3
    assert tags["heading_deg"] == 347.8
    assert tags["engine"] == "HyP3 GAMMA" and tags["looks"] == "10x2"
    assert tags["reference_scene"].startswith("S1B_IW_SLC__1SDV_20180801T172430")
    assert tags["posting_ratio"] == 3.2


def test_snap_export_band_names_from_the_embedded_dimap_header(layouts):
    path = layouts / "snap" / "subset_ifg_export.tif"
    with rasterio.open(path) as src:
        assert src.descriptions == (None, None)  # GDAL sees no names: they are in tag 65000
    item = only(layouts / "snap", "snap")
    assert (item.pair_id, item.phase_band, item.coherence_band) == ("A088_20180801_20180813", 1, 2)
    converted = convert(item, aoi=AOI, crs="EPSG:2056", posting_m=12.5)
    error, coherence = phase_errors(converted)
    # 0.00015 degrees (about 14 m) onto 12.5 m: bilinear on the unit phasor
    assert np.nanpercentile(error, 99) < 0.01
    assert np.nanmax(np.abs(converted.coherence - coherence)) < 1e-3
    assert converted.tags["perpendicular_baseline_m"] == -48.5
    assert converted.tags["incidence_deg"] == pytest.approx(38.25)


def test_listed_interferogram_to_another_crs_and_a_coarser_posting(layouts):
    hyp3 = layouts / "hyp3" / fx.HYP3_NAME
    (item,) = listed(
        {
            "phase": str(hyp3 / f"{fx.HYP3_NAME}_wrapped_phase.tif"),
            "coherence": str(hyp3 / f"{fx.HYP3_NAME}_corr.tif"),
            "reference": "2018-08-01",
            "secondary": "2018-08-13",
        }
    )
    assert item.pair_id == "X000_20180801_20180813"
    assert item.record()["direction"] == "unknown"
    # 40 m onto 60 m: the phasors are averaged (a multilook), not interpolated
    converted = convert(item, aoi=AOI, crs="EPSG:32632", posting_m=60.0)
    error, _ = phase_errors(converted)
    assert np.nanpercentile(error, 99) < 0.05
    assert converted.tags["coarser_than_posting"] == "no"
    assert converted.tags["heading_deg"] == "unknown"


def test_missing_coherence_is_estimated_from_the_phase_and_tagged(tmp_path):
    fx.licsar_folder(tmp_path, with_coherence=False)
    item = only(tmp_path, "licsar")
    assert item.coherence is None
    converted = convert(item, aoi=AOI, crs="EPSG:2056", posting_m=12.5)
    assert converted.tags["coherence_source"].startswith("estimated from the phase")
    # smooth fringes of 2.4 km over 5 x 5 pixels of 93 m: the phasors nearly agree
    assert 0.8 < float(np.nanmin(converted.coherence)) <= 1.0


def _bad_copy(tmp_path, transform_values, **write):
    """The HyP3 fixture's phase with its values transformed (written as a listed entry)."""
    root = fx.hyp3_folder(tmp_path / "src")
    source = root / fx.HYP3_NAME / f"{fx.HYP3_NAME}_wrapped_phase.tif"
    with rasterio.open(source) as src:
        values, transform = src.read(1).astype(np.float64), src.transform
    path = fx.write_tif(
        tmp_path / "bad_phase.tif",
        [transform_values(values)],
        transform,
        write.pop("crs", "EPSG:32632"),
        **write,
    )
    return {"phase": str(path), "reference": "2018-08-01", "secondary": "2018-08-13", "track": "A088"}


@pytest.mark.parametrize(
    ("transform_values", "crs", "message"),
    [
        (np.degrees, "EPSG:32632", "are not wrapped radians in [-pi, pi] (degrees?)"),
        (lambda v: np.unwrap(v, axis=1) * 3, "EPSG:32632", "(an unwrapped phase or another unit?)"),
        (lambda v: v * 0.0554 / (4 * np.pi) * 0.2, "EPSG:32632", "not a wrapped phase in radians"),
        (lambda v: v, None, "the raster has no CRS"),
        (lambda v: np.mod(v, 2 * np.pi), "EPSG:32632", "(wrapped on [0, 2 pi)? rewrap it to (-pi, pi])"),
    ],
    ids=["degrees", "unwrapped", "metres", "no-crs", "zero-to-two-pi"],
)
def test_a_phase_that_is_not_wrapped_radians_is_named(tmp_path, transform_values, crs, message):
    (item,) = listed(_bad_copy(tmp_path, transform_values, crs=crs))
    with pytest.raises(InputError) as caught:
        convert(item, aoi=AOI, crs="EPSG:2056", posting_m=12.5)
    text = str(caught.value)
    assert text.startswith(str(tmp_path / "bad_phase.tif")) and message in text
    assert "\n" not in text


def test_coherence_on_another_grid_or_outside_0_1_is_named(tmp_path, layouts):
    entry = _bad_copy(tmp_path, lambda v: v)
    transform, _, _, lon, lat = fx.raster_grid("EPSG:32632", 50.0)
    other = fx.write_tif(tmp_path / "coh_50m.tif", [fx.coherence_at(lon, lat)], transform, "EPSG:32632")
    (item,) = listed({**entry, "coherence": str(other)})
    with pytest.raises(InputError, match=rf"^{other}: coherence is on another grid than the phase"):
        convert(item, aoi=AOI, crs="EPSG:2056", posting_m=12.5)
    transform, _, _, lon, lat = fx.raster_grid("EPSG:32632", 40.0)
    scaled = fx.write_tif(
        tmp_path / "coh_255.tif", [fx.coherence_at(lon, lat) * 255], transform, "EPSG:32632"
    )
    (item,) = listed({**entry, "coherence": str(scaled)})
    with pytest.raises(InputError, match=rf"^{scaled}: coherence values from .* are outside \[0, 1\]"):
        convert(item, aoi=AOI, crs="EPSG:2056", posting_m=12.5)


def test_an_aoi_outside_the_raster_is_named(layouts):
    item = only(layouts / "hyp3", "hyp3")
    with pytest.raises(InputError, match=rf"^{item.phase}: the AOI .* lies outside the raster"):
        convert(item, aoi=aoi_geometry([8.0, 46.5, 8.1, 46.6]), crs="EPSG:2056", posting_m=12.5)


def test_two_inputs_of_one_pair_are_refused_naming_both(tmp_path, layouts):
    phase = layouts / "hyp3" / fx.HYP3_NAME / f"{fx.HYP3_NAME}_wrapped_phase.tif"
    copy = shutil.copy(phase, tmp_path / "again.tif")
    entries = [
        {"phase": str(path), "reference": "2018-08-01", "secondary": "2018-08-13", "track": "A088"}
        for path in (phase, copy)
    ]
    with pytest.raises(
        ConfigError, match=rf"^{copy}: pair A088_20180801_20180813 is given twice \(also {phase}\)"
    ):
        listed(*entries)


def test_missing_listed_file_and_empty_folder_are_named(tmp_path):
    with pytest.raises(InputError, match=r"files.interferograms\[0\]'.*file not found: .*nowhere.tif"):
        listed({"phase": str(tmp_path / "nowhere.tif"), "reference": "2018-08-01", "secondary": "2018-08-13"})
    with pytest.raises(InputError, match=rf"^{tmp_path}: no interferograms in the hyp3 layout"):
        file_interferograms({"interferograms": [], "folder": str(tmp_path), "layout": "hyp3"})


def test_a_folder_gives_the_pairs_of_the_runs_tracks_baselines_and_period(tmp_path):
    fx.licsar_folder(tmp_path)
    files = {"interferograms": [], "folder": str(tmp_path), "layout": "licsar"}
    period = {"start": "2018-07-15", "end": "2018-09-30"}
    chosen = {"tracks": ["A088"], "baselines_days": [12, 18], "period": period}
    assert [i.pair_id for i in file_interferograms(files, selection=chosen)] == ["A088_20180801_20180813"]
    for other in ({"baselines_days": [6]}, {"tracks": ["D066"]}, {"period": {**period, "end": "2018-08-10"}}):
        with pytest.raises(ConfigError, match=r"none of its 1 interferograms matches tracks, baselines_days"):
            file_interferograms(files, selection={**chosen, **other})


def test_a_listed_interferogram_outside_the_runs_tracks_baselines_or_period_is_refused(layouts):
    phase = layouts / "hyp3" / fx.HYP3_NAME / f"{fx.HYP3_NAME}_wrapped_phase.tif"
    entry = {"phase": str(phase), "reference": "2018-08-01", "secondary": "2018-08-13", "track": "A088"}
    files = {"interferograms": [entry], "folder": None, "layout": "licsar"}
    period = {"start": "2018-07-15", "end": "2018-09-30"}
    chosen = {"tracks": ["A088"], "baselines_days": [12, 18], "period": period}
    assert [i.pair_id for i in file_interferograms(files, selection=chosen)] == ["A088_20180801_20180813"]
    for other in ({"baselines_days": [6]}, {"tracks": ["D066"]}, {"period": {**period, "end": "2018-08-10"}}):
        with pytest.raises(ConfigError) as refused:
            file_interferograms(files, selection={**chosen, **other})
        assert str(refused.value).startswith(f"{phase}: listed in files.interferograms, but its track A088")


def test_an_impossible_date_in_a_licsar_name_is_one_line_naming_the_file(tmp_path):
    fx.licsar_folder(tmp_path)
    (phase,) = list(tmp_path.rglob("*.geo.diff_pha.tif"))
    bad = phase.with_name("20180801_20180230.geo.diff_pha.tif")
    phase.rename(bad)
    with pytest.raises(InputError) as refused:
        scan_folder(tmp_path, "licsar")
    assert str(refused.value) == f"{bad}: '20180230' is not a date (in its name or parameters)"


def test_a_snap_folder_with_a_stray_file_or_a_broken_header_names_the_file(tmp_path):
    import tifffile

    stray = tmp_path / "notes.tif"
    stray.write_text("not a tiff")
    with pytest.raises(InputError, match=rf"^{stray}: not a readable GeoTIFF \("):
        scan_folder(tmp_path, "snap")
    stray.unlink()
    broken = tmp_path / "export.tif"
    tifffile.imwrite(
        broken, np.zeros((4, 4), np.float32), extratags=[(65000, "s", 0, "<Dimap_Document><broken", False)]
    )
    expected = rf"^{broken}: the DIMAP header SNAP embeds \(TIFF tag 65000\) is not XML"
    with warnings.catch_warnings(), pytest.raises(InputError, match=expected):
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)  # a bare TIFF
        scan_folder(tmp_path, "snap")


def test_a_coherence_file_that_is_no_raster_is_named_not_the_phase(layouts, tmp_path):
    hyp3 = layouts / "hyp3" / fx.HYP3_NAME
    text = tmp_path / "coherence.tif"
    text.write_text("not a raster")
    (item,) = listed(
        {
            "phase": str(hyp3 / f"{fx.HYP3_NAME}_wrapped_phase.tif"),
            "coherence": str(text),
            "reference": "2018-08-01",
            "secondary": "2018-08-13",
        }
    )
    with pytest.raises(InputError) as refused:
        convert(item, aoi=AOI, crs="EPSG:32632", posting_m=60.0)
    assert str(refused.value).startswith(f"{text}: cannot read the coherence raster (")


def test_an_input_too_large_to_read_at_once_is_refused_before_it_is_read(layouts, monkeypatch):
    hyp3 = layouts / "hyp3" / fx.HYP3_NAME
    phase = hyp3 / f"{fx.HYP3_NAME}_wrapped_phase.tif"
    (item,) = listed({"phase": str(phase), "reference": "2018-08-01", "secondary": "2018-08-13"})
    monkeypatch.setattr("massmove.io.memory.machine_memory_bytes", lambda: 1000)
    with pytest.raises(InputError) as refused:
        convert(item, aoi=AOI, crs="EPSG:32632", posting_m=60.0)
    message = str(refused.value)
    assert message.startswith(f"{phase}: at least ") and "resample it coarser first" in message
