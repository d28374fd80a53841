"""The SNAP engine: burst plans from real annotation, the graph node by node, gpt's command and errors."""

from __future__ import annotations

import json
import subprocess

import pytest
import shapely

from massmove.config import resolve_config
from massmove.errors import ConfigError, InputError
from massmove.grid import Grid
from massmove.snap.gpt import GptError, find_gpt, gpt_command, run_gpt, snap_version
from massmove.snap.graph import GraphSettings, build_graph, read_graph, write_graph
from massmove.snap.nodes import node_template
from massmove.snap.plan import plan_bursts
from tests.snap.safe import make_safe_zip

GRID = Grid(650000.0, 5140000.0, 12.5, 100, 100, "EPSG:32632")


def _config(**snap):
    return resolve_config({"crs": "EPSG:32632", "snap": snap})


def _graph(tmp_path, safe_pair, aoi, **snap):
    reference, secondary = safe_pair
    config = _config(**snap)
    plan = plan_bursts([reference], [secondary], "VH", aoi, esd=config["snap"]["esd"])
    settings = GraphSettings.from_config(config, "resources/dem/aoi_dem.tif", GRID)
    path = tmp_path / "graph.xml"
    write_graph(build_graph(plan, settings, "results/snap/X/snap_output"), path)
    return plan, read_graph(path)  # re-read with pyroSAR


def _upstream(workflow, node_id):
    """Operators from a node back to Read along the first source, and the nodes."""
    chain = []
    node = workflow[node_id]
    while True:
        chain.append(node)
        source = node.source
        if source is None:
            return chain[::-1]
        node = workflow[source[0] if isinstance(source, list) else source]


def test_two_subswath_graph_has_the_chain_node_by_node(tmp_path, safe_pair, aoi_two_subswaths):
    plan, workflow = _graph(tmp_path, safe_pair, aoi_two_subswaths)
    assert [s.swath for s in plan.swaths] == ["IW1", "IW2"]
    merge = workflow["TOPSAR-Merge"]
    assert len(merge.source) == 2
    per_swath = {}
    for tail in merge.source:
        chain = _upstream(workflow, tail)
        assert [n.operator for n in chain] == [
            "Read",
            "TOPSAR-Split",
            "Apply-Orbit-File",
            "Back-Geocoding",
            "Enhanced-Spectral-Diversity",
            "Interferogram",
            "TOPSAR-Deburst",
            "TopoPhaseRemoval",
        ]
        split = chain[1].parameters
        per_swath[split["subswath"]] = chain
    assert set(per_swath) == {"IW1", "IW2"}
    for swath in plan.swaths:
        chain = per_swath[swath.swath]
        geocoding = chain[3]
        # both acquisitions: the reference's and the secondary's split of the same subswath
        splits = [_upstream(workflow, s)[1].parameters for s in geocoding.source]
        reads = [_upstream(workflow, s)[0].parameters["file"] for s in geocoding.source]
        assert reads == [str(p) for p in safe_pair]
        assert [(p["subswath"], p["firstBurstIndex"], p["lastBurstIndex"]) for p in splits] == [
            (swath.swath, str(swath.reference_first), str(swath.reference_last)),
            (swath.swath, str(swath.secondary_first), str(swath.secondary_last)),
        ]
        assert all(p["selectedPolarisations"] == "VH" for p in splits)
        assert chain[2].parameters["orbitType"] == "Sentinel Precise (Auto Download)"
        assert geocoding.parameters["demName"] == "External DEM"
        assert geocoding.parameters["externalDEMFile"] == "resources/dem/aoi_dem.tif"
        assert geocoding.parameters["demResamplingMethod"] == "BILINEAR_INTERPOLATION"
        interferogram = chain[5].parameters
        assert (interferogram["cohWinAz"], interferogram["cohWinRg"]) == ("3", "10")
        assert (
            interferogram["includeCoherence"] == "true" and interferogram["subtractFlatEarthPhase"] == "true"
        )
        assert chain[7].parameters["demName"] == "External DEM"
    # the secondary starts two bursts later: the same ground sits two positions earlier
    assert all(s.reference_first - s.secondary_first == 2 for s in plan.swaths)
    tail = _upstream(workflow, "Write")[-4:]
    assert [n.operator for n in tail] == [
        "GoldsteinPhaseFiltering",
        "Multilook",
        "Terrain-Correction",
        "Write",
    ]
    assert workflow["GoldsteinPhaseFiltering"].source == "TOPSAR-Merge"
    goldstein, multilook, terrain, write = (n.parameters for n in tail)
    assert (goldstein["alpha"], goldstein["FFTSizeString"], goldstein["windowSizeString"]) == (
        "1.0",
        "64",
        "3",
    )
    assert (multilook["nRgLooks"], multilook["nAzLooks"]) == ("4", "1")
    assert terrain["pixelSpacingInMeter"] == "12.5" and terrain["mapProjection"] == "EPSG:32632"
    assert (terrain["standardGridOriginX"], terrain["standardGridOriginY"]) == ("650000.0", "5140000.0")
    assert terrain["alignToStandardGrid"] == "true"
    assert write["file"] == "results/snap/X/snap_output" and write["formatName"] == "BEAM-DIMAP"


def test_configured_parameters_reach_the_graph(tmp_path, safe_pair, aoi_two_subswaths):
    reference, secondary = safe_pair
    config = resolve_config(
        {
            "crs": "EPSG:32632",
            "posting_m": 20.0,
            "snap": {"esd": False, "dem": "SRTM 1Sec HGT"},
            "interferogram": {
                "coherence_window": {"azimuth": 2, "range": 8},
                "goldstein": {"alpha": 0.6, "fft_size": 32, "window": 5},
                "multilook": {"azimuth": 2, "range": 6},
            },
        }
    )
    plan = plan_bursts([reference], [secondary], "VH", aoi_two_subswaths, esd=False)
    workflow = build_graph(plan, GraphSettings.from_config(config, None, GRID), "out")
    assert "Enhanced-Spectral-Diversity" not in workflow.operators
    assert workflow["Interferogram"].source == "Back-Geocoding"
    for node_id in ("Back-Geocoding", "TopoPhaseRemoval", "Terrain-Correction"):
        assert workflow[node_id].parameters["demName"] == "SRTM 1Sec HGT"
        assert workflow[node_id].parameters["externalDEMFile"] is None
    values = {
        ("Interferogram", "cohWinAz"): "2",
        ("Interferogram", "cohWinRg"): "8",
        ("GoldsteinPhaseFiltering", "alpha"): "0.6",
        ("GoldsteinPhaseFiltering", "FFTSizeString"): "32",
        ("GoldsteinPhaseFiltering", "windowSizeString"): "5",
        ("Multilook", "nAzLooks"): "2",
        ("Multilook", "nRgLooks"): "6",
        ("Terrain-Correction", "pixelSpacingInMeter"): "20.0",
    }
    assert {key: workflow[key[0]].parameters[key[1]] for key in values} == values
    # without ESD, a subswath keeps the single burst the AOI needs
    assert [len(s.burst_ids) for s in plan.swaths] == [1, 2]


def test_slices_of_one_pass_are_assembled(tmp_path, aoi_two_subswaths):
    directory = tmp_path / "slc"
    directory.mkdir()
    first = make_safe_zip(directory, keep_first=6)
    second = make_safe_zip(directory, drop_first=6, start_offset_s=16)
    secondary = make_safe_zip(directory, days=12)
    plan = plan_bursts([first, second], [secondary], "VH", aoi_two_subswaths, esd=True)
    assert plan.reference_products == (str(first), str(second))
    workflow = build_graph(plan, GraphSettings.from_config(_config(), "dem.tif", GRID), "out")
    assembly = workflow["SliceAssembly"]
    assert [workflow[s].parameters["file"] for s in assembly.source] == [str(first), str(second)]
    # positions count in the assembled product: the same as in the unsliced product
    whole = plan_bursts([make_safe_zip(tmp_path)], [secondary], "VH", aoi_two_subswaths, esd=True)
    assert [s.reference_first for s in plan.swaths] == [s.reference_first for s in whole.swaths]


def test_aoi_outside_the_products_names_them(safe_pair):
    with pytest.raises(InputError, match="no burst covers the AOI") as err:
        plan_bursts([safe_pair[0]], [safe_pair[1]], "VH", shapely.box(7.0, 46.0, 7.5, 46.3), esd=True)
    assert safe_pair[0].name in str(err.value)
    with pytest.raises(InputError, match="no IW SLC annotation of polarisation HH"):
        plan_bursts([safe_pair[0]], [safe_pair[1]], "HH", shapely.box(11, 46.3, 11.2, 46.4), esd=True)


def test_templates_carry_snap_defaults():
    node = node_template("Interferogram")
    assert node.operator == "Interferogram" and node.source is None
    assert node.parameters["srpPolynomialDegree"] == "5"
    with pytest.raises(ConfigError, match="no SNAP node template"):
        node_template("Calibration-Unknown")


def test_gpt_lookup_says_how_to_set_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ConfigError, match="set snap.gpt") as err:
        find_gpt(None)
    assert "\n" not in str(err.value)
    with pytest.raises(ConfigError, match="config key 'snap.gpt': .* is not an executable"):
        find_gpt(str(tmp_path / "nope" / "gpt"))


def test_gpt_command_from_threads_and_memory():
    assert gpt_command("gpt", "g.xml", threads=4, mem_mb=16000, memory_fraction=0.85) == [
        "gpt",
        "g.xml",
        "-q",
        "4",
        "-c",
        "8160M",
        "-J-Xmx13600M",
    ]


def test_stand_in_gpt_checks_and_fails_like_gpt(tmp_path, fake_gpt, monkeypatch):
    gpt, calls = fake_gpt
    assert snap_version(str(gpt)) == "10.0.0"
    graph = tmp_path / "g.xml"
    graph.write_text('<graph id="Graph"><node id="Write"><operator>Write</operator><sources/></node></graph>')
    with pytest.raises(GptError, match="exit code 2") as err:
        run_gpt([str(gpt), str(graph), "-q", "0", "-c", "1M", "-J-Xmx2M"])
    assert "-q must be a positive thread count" in str(err.value)
    with pytest.raises(GptError, match="exit code 1") as err:
        run_gpt([str(gpt), str(graph), "-q", "2", "-c", "1M", "-J-Xmx2M"])
    assert "incomplete or disordered chain" in str(err.value)
    monkeypatch.setenv("FAKE_GPT_EXIT", "3")
    with pytest.raises(GptError, match="exit code 3") as err:
        run_gpt([str(gpt), str(graph), "-q", "2", "-c", "1M", "-J-Xmx2M"])
    assert "OutOfMemoryError" in str(err.value) and "reading products" in str(err.value)
    logged = [json.loads(line)["argv"] for line in calls.read_text().splitlines()]
    assert logged[0] == ["--diag"] and len(logged) == 4
    assert subprocess.run([str(gpt), "--diag"], capture_output=True, check=True).returncode == 0
