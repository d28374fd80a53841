"""Search responses and pair building on recorded (real-shaped) responses, offline."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from massmove.asf.aoi import aoi_geometry
from massmove.asf.records import geojson_of, load_response
from massmove.asf.search import search, write_search
from massmove.config import load_yaml, resolve_config
from massmove.errors import InputError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "asf"
# one real CMR record, from asf-search's test resources (BSD-3-Clause, LICENSE-asf_search.txt)
REAL_RECORD = Path(__file__).resolve().parents[1] / "fixtures" / "asf" / "Fairbanks_SLC.yml"


def valais_config(response: Path, **overrides) -> dict:
    config = load_yaml(Path(__file__).resolve().parents[2] / "config/examples/valais.yaml")
    config["search"] = {**config.get("search", {}), "response": str(response)}
    config.update(overrides)
    return resolve_config(config)


def expected_pair_ids() -> set[str]:
    """The pairs the fixture's dates and orbits imply, worked out by hand (see make_valais.py)."""
    a088 = [dt.date(2018, 7, 26) + dt.timedelta(days=6 * k) for k in range(11)]
    d066 = [dt.date(2018, 7, 28) + dt.timedelta(days=6 * k) for k in range(11)]
    full = {
        "A088": [d for k, d in enumerate(a088) if k != 7],
        "D066": [d for k, d in enumerate(d066) if k != 4],
    }
    ids = set()
    for track, dates in full.items():
        for ref in dates:
            for baseline in (12, 18):
                if ref + dt.timedelta(days=baseline) in dates:
                    ids.add(f"{track}_{ref:%Y%m%d}_{ref + dt.timedelta(days=baseline):%Y%m%d}")
    return ids


def write_outputs(outcome, directory: Path) -> None:
    """write_search into ``directory`` (raw/ with bursts.csv, scenes.csv, pairs.csv, report.json)."""
    write_search(
        outcome,
        raw_dir=directory / "raw",
        scenes_csv=directory / "scenes.csv",
        pairs_csv=directory / "pairs.csv",
        report_json=directory / "report.json",
    )


def valais_records(frame: int, days: set[str]) -> list:
    """The S1A/S1B IW SLC records of the Valais response of one frame on some days (MMDD)."""
    return [
        r
        for r in load_response(FIXTURES / "valais_umm.json")
        if r.scene_id.startswith(("S1A_IW_SLC", "S1B_IW_SLC"))
        and r.frame == frame
        and r.start_utc.strftime("%m%d") in days
    ]


def valais_replay(path: Path, **extra) -> Path:
    """A config file replaying the Valais scene and burst responses (plus ``extra`` keys)."""
    search = {
        "response": str(FIXTURES / "valais_umm.json"),
        "burst_response": str(FIXTURES / "valais_bursts.json"),
    }
    path.write_text(yaml.safe_dump({"search": search, **extra}))
    return path


def test_the_shared_real_record_parses():
    (record,) = load_response(REAL_RECORD)
    assert record.scene_id == "S1B_IW_SLC__1SDV_20210102T032031_20210102T032058_024970_02F8C3_C081"
    assert (record.relative_orbit, record.direction, record.processing_level) == (94, "ascending", "SLC")
    assert record.size_bytes == 4193723581 and record.md5 == "6dd7f6a56ed98ba7037dfeb833217d5b"
    assert record.url.endswith(".zip") and record.footprint.area > 1


def test_both_response_forms_give_the_same_records(tmp_path):
    umm = load_response(FIXTURES / "valais_umm.json")
    geojson = load_response(FIXTURES / "valais.geojson")
    assert umm == geojson and len(umm) == 34
    rewritten = tmp_path / "again.geojson"
    rewritten.write_text(json.dumps(geojson_of(umm)))
    assert load_response(rewritten) == umm


def test_replay_gives_exactly_the_implied_pairs():
    outcome = search(valais_config(FIXTURES / "valais_umm.json"))
    assert {p.pair_id for p in outcome.pairs} == expected_pair_ids()
    assert len(outcome.pairs) == 26
    a088 = [p for p in outcome.pairs if p.reference.track == "A088"]
    assert all(len(p.reference.slices) == 2 and len(p.secondary.slices) == 2 for p in a088)
    assert {p.baseline_days for p in outcome.pairs} == {12, 18}
    for pair in outcome.pairs:
        gap = pair.secondary.start_utc - pair.reference.start_utc
        assert abs(gap.total_seconds() - pair.baseline_days * 86400) < 3600


def test_geojson_and_umm_replays_agree():
    a = search(valais_config(FIXTURES / "valais_umm.json"))
    b = search(valais_config(FIXTURES / "valais.geojson"))
    assert [p.pair_id for p in a.pairs] == [p.pair_id for p in b.pairs]


def test_refusals_are_reported_with_reasons():
    report = search(valais_config(FIXTURES / "valais_umm.json")).report
    reasons = {
        r["scene_id"].split("_")[1] + "_" + r["scene_id"].split("_")[2]: r["reason"] for r in report.rejected
    }
    assert reasons["IW_GRD"] == "not an SLC product (GRD_HD)"
    assert reasons["EW_SLC"].startswith("beam mode EW")
    other = [r for r in report.rejected if "A015" in r["reason"]]
    assert len(other) == 1 and "not requested" in other[0]["reason"]
    partial = report.partial_passes
    assert len(partial) == 1 and partial[0]["track"] == "A088" and 0.2 < partial[0]["aoi_share"] < 0.9


def test_baselines_without_pairs_are_reported():
    outcome = search(valais_config(FIXTURES / "valais_umm.json", baselines_days=[12, 7]))
    missing = {(m["track"], m["baseline_days"]) for m in outcome.report.baselines_without_pairs}
    assert missing == {("A088", 7), ("D066", 7)}
    assert {p.baseline_days for p in outcome.pairs} == {12}


def test_aoi_outside_every_pass_is_reported_and_no_pair_is_an_error(tmp_path):
    outcome = search(valais_config(FIXTURES / "valais_umm.json", aoi=[12.0, 46.0, 12.5, 46.5]))
    assert outcome.pairs == []
    assert {u["track"] for u in outcome.report.uncovered_aoi} == {"A088", "D066"}
    with pytest.raises(Exception, match="found no pair"):
        write_outputs(outcome, tmp_path)
    assert not (tmp_path / "pairs.csv").exists()


def test_written_tables(tmp_path):
    import pandas as pd

    outcome = search(valais_config(FIXTURES / "valais_umm.json"))
    write_outputs(outcome, tmp_path)
    pairs = pd.read_csv(tmp_path / "pairs.csv")
    assert set(pairs["pair_id"]) == expected_pair_ids()
    row = pairs[pairs["pair_id"] == "A088_20180726_20180807"].iloc[0]
    assert row["reference_scene"].count(";") == 1 and row["frames"] == "146;151"
    assert row["relative_orbit"] == 88 and row["direction"] == "ascending"
    scenes = pd.read_csv(tmp_path / "scenes.csv")
    assert len(scenes) == 34 and {"url", "md5", "size_bytes", "footprint_wkt"} <= set(scenes.columns)
    assert (tmp_path / "raw" / "valais_umm.json").read_bytes() == (FIXTURES / "valais_umm.json").read_bytes()


def test_aoi_forms(tmp_path):
    box = aoi_geometry([6.77, 45.86, 8.48, 46.65])
    wkt = aoi_geometry(box.wkt)
    path = tmp_path / "aoi.geojson"
    import geopandas as gpd

    gpd.GeoDataFrame(geometry=[box], crs="EPSG:4326").to_crs("EPSG:2056").to_file(path, driver="GeoJSON")
    from_file = aoi_geometry(str(path))
    assert wkt.equals(box)
    assert from_file.symmetric_difference(box).area < 1e-3 * box.area
    with pytest.raises(InputError, match="file not found"):
        aoi_geometry("nowhere.geojson")


def test_live_search_asks_asf_the_right_questions(monkeypatch, tmp_path):
    """A stand-in for asf_search.search checks each query and answers from the recorded records."""
    import asf_search

    items = json.loads((FIXTURES / "valais_umm.json").read_text())
    queries = []

    def fake_search(**query):
        queries.append(query)
        assert query["processingLevel"] == asf_search.PRODUCT_TYPE.SLC
        assert query["beamMode"] == asf_search.BEAMMODE.IW
        assert query["platform"] == [asf_search.PLATFORM.SENTINEL1]
        assert query["intersectsWith"].startswith("POLYGON")
        assert query["start"].date() == dt.date(2018, 7, 15) and query["end"].date() == dt.date(2018, 9, 30)
        wanted = (query["relativeOrbit"], query["flightDirection"])
        products = [asf_search.ASFProduct(item) for item in items]
        return asf_search.ASFSearchResults(
            [p for p in products if (p.properties["pathNumber"], p.properties["flightDirection"]) == wanted]
        )

    monkeypatch.setattr(asf_search, "search", fake_search)
    config = valais_config(FIXTURES / "valais_umm.json")
    config["search"]["response"] = None
    live = search(config)
    assert [(q["relativeOrbit"], q["flightDirection"]) for q in queries] == [
        (88, "ASCENDING"),
        (66, "DESCENDING"),
    ]
    assert {p.pair_id for p in live.pairs} == expected_pair_ids()
    write_outputs(live, tmp_path)
    # what the live run saved replays to the same pairs
    replayed = search(valais_config(tmp_path / "raw" / "records.geojson"))
    assert [p.pair_id for p in replayed.pairs] == [p.pair_id for p in live.pairs]
    assert sorted((tmp_path / "raw").iterdir()) == sorted(
        tmp_path / "raw" / name for name in ("A088.geojson", "D066.geojson", "records.geojson", "bursts.csv")
    )
    # whole scenes: the burst table has its header and no burst
    assert pd.read_csv(tmp_path / "raw" / "bursts.csv").empty
