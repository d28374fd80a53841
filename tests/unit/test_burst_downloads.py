"""download.granularity burst: the bursts a search selects, what they save, their download and
the call that assembles them into a SAFE."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from massmove.asf.burst_safe import assemble_safe, download_scene_bursts, slc_tree
from massmove.asf.bursts import load_burst_response
from massmove.asf.download import DownloadError
from massmove.asf.pairing import pair_scenes
from massmove.asf.search import search
from massmove.config import resolve_config
from massmove.errors import InputError, ProcessingError
from tests.loopback import FileServer
from tests.unit.test_asf_search import FIXTURES, write_outputs


def burst_config(aoi, **search_keys):
    return resolve_config(
        {
            "source": "asf",
            "interferogram": {"engine": "snap"},
            "aoi": aoi,
            "period": {"start": "2018-07-15", "end": "2018-09-30"},
            "search": {
                "response": str(FIXTURES / "valais_umm.json"),
                "burst_response": str(FIXTURES / "valais_bursts.json"),
                **search_keys,
            },
            "download": {"granularity": "burst"},
        }
    )


def test_the_real_burst_record_shape_reads():
    (burst,) = load_burst_response(FIXTURES / "SLC_BURST.yml")
    assert burst.full_burst_id == "159_308695_EW5" and burst.size_bytes == 34111200
    assert burst.scene_id == "S1A_EW_SLC__1SDH_20221221T143159_20221221T143302_046431_059001_547B"
    assert burst.xml_url.endswith("/EW5/HH/19.xml")


@pytest.mark.parametrize(
    "aoi", [[6.77, 45.86, 8.48, 46.65], [7.48, 46.18, 7.52, 46.22]], ids=["valais", "small"]
)
def test_bursts_cover_the_pairs_and_their_bytes_are_reported_beside_the_scenes(tmp_path, aoi):
    outcome = search(burst_config(aoi))
    scenes = pair_scenes(outcome.pairs)
    downloads = outcome.downloads
    # counts first: every scene of every pair has bursts, both passes of a pair the same ids
    assert {b.scene_id for b in outcome.bursts} == set(scenes)
    for pair in outcome.pairs:
        ids = [
            {b.full_burst_id for b in outcome.bursts if b.scene_id in {s.scene_id for s in p.slices}}
            for p in (pair.reference, pair.secondary)
        ]
        assert ids[0] == ids[1]
    assert downloads["bursts"] == len(outcome.bursts)
    assert downloads["burst_bytes"] == sum(b.size_bytes for b in outcome.bursts)
    assert downloads["scene_bytes"] == sum(s.size_bytes for s in scenes.values())
    assert downloads["saved_bytes"] == downloads["scene_bytes"] - downloads["burst_bytes"] > 0
    write_outputs(outcome, tmp_path)
    table = pd.read_csv(tmp_path / "raw" / "bursts.csv")
    assert table["size_bytes"].sum() == downloads["burst_bytes"]
    assert (
        json.loads((tmp_path / "report.json").read_text())["downloads"]["burst_bytes"]
        == downloads["burst_bytes"]
    )


def test_a_small_aoi_needs_a_few_bursts_per_pass():
    small = search(burst_config([7.48, 46.18, 7.52, 46.22])).downloads
    valais = search(burst_config([6.77, 45.86, 8.48, 46.65])).downloads
    assert small["bursts"] < valais["bursts"]
    # a 3 x 4.4 km AOI: one or two bursts along track in one or two subswaths of each scene
    assert max(s["bursts"] for s in small["per_scene"].values() if s["bursts"]) <= 4
    assert small["burst_share_of_scene_bytes"] < 0.15


def test_scenes_without_bursts_stop_the_search(tmp_path):
    only_some = [
        i
        for i in json.loads((FIXTURES / "valais_bursts.json").read_text())
        if "20180726" not in i["umm"]["GranuleUR"]
    ]
    path = tmp_path / "some_bursts.json"
    path.write_text(json.dumps(only_some))
    with pytest.raises(ProcessingError, match="no burst over the AOI shared by both passes"):
        search(burst_config([7.48, 46.18, 7.52, 46.22], burst_response=str(path)))


def test_burst_downloads_are_verified_and_land_whole(tmp_path):
    rows = []
    with FileServer() as server:
        for index in range(2):
            body = hashlib.sha256(f"burst {index}".encode()).digest() * 1000
            server.files[f"{index}.tiff"] = body
            server.files[f"{index}.xml"] = b"<burst/>"
            rows.append(
                {
                    "granule": f"S1_186306_IW1_20180726T17243{index}_VV_8126-BURST",
                    "subswath": "IW1",
                    "polarization": "VV",
                    "burst_index": index,
                    "url": f"{server.url}/ok/{index}.tiff",
                    "xml_url": f"{server.url}/ok/{index}.xml",
                    "size_bytes": len(body),
                }
            )
        import requests

        scene = tmp_path / "bursts" / "S1A_IW_SLC__1SDV_20180726T172421_X"
        download_scene_bursts(rows, scene, session=requests.Session(), retries=1, backoff_s=0.01, timeout_s=5)
        assert (scene / f"{rows[1]['granule']}.tiff").read_bytes() == server.files["1.tiff"]
        assert not scene.with_name(f".{scene.name}.partial").exists()
        # a burst whose size disagrees is not trusted: nothing lands in place
        rows[0]["url"] = f"{server.url}/corrupt/0.tiff"
        rows[0]["size_bytes"] += 1
        other = tmp_path / "bursts" / "S1B_other"
        with pytest.raises(
            DownloadError, match=r"0.tiff: failed after 1 attempts \(last: 32000 of 32001 bytes\)"
        ):
            download_scene_bursts(
                rows, other, session=requests.Session(), retries=0, backoff_s=0.01, timeout_s=5
            )
        assert not other.exists()
    tree = slc_tree(scene)
    assert sorted(tree[scene.name]["IW1"]["VV"]) == ["0", "1"]


def test_assembly_hands_burst2safe_the_scene_tree_and_zips_its_safe(tmp_path):
    """The call into burst2safe and the zip around its SAFE; the assembly itself is burst2safe's
    (it needs the burst service's metadata XML, which no fixture here holds)."""
    scene = tmp_path / "S1A_IW_SLC__1SDV_20180726T172421_X"
    scene.mkdir()
    (scene / "a.tiff").write_bytes(b"tiff")
    (scene / "a.xml").write_bytes(b"<xml/>")
    manifest = {
        "scene_id": scene.name,
        "bursts": [
            {
                "granule": "a",
                "subswath": "IW2",
                "polarization": "VV",
                "burst_index": 3,
                "data": "a.tiff",
                "metadata": "a.xml",
            }
        ],
    }
    (scene / "bursts.json").write_text(json.dumps(manifest))
    seen = {}

    def local2safe(tree, all_anns, keep_files, work_dir):
        seen.update(tree=tree, all_anns=all_anns)
        safe = Path(work_dir) / "S1A_IW_SLC__1SSV_20180726T172430_20180726T172436_023000_0274E8_ABCD.SAFE"
        (safe / "annotation").mkdir(parents=True)
        (safe / "manifest.safe").write_text("<manifest/>")
        (safe / "annotation" / "s1a-iw2-slc-vv.xml").write_text("<product/>")
        return safe

    zip_path = tmp_path / "slc" / f"{scene.name}.zip"
    zip_path.parent.mkdir()
    assemble_safe(scene, zip_path, local2safe=local2safe)
    assert seen["all_anns"] and seen["tree"][scene.name]["IW2"]["VV"]["3"]["DATA"] == scene / "a.tiff"
    with zipfile.ZipFile(zip_path) as archive:
        assert sorted(archive.namelist()) == [
            "S1A_IW_SLC__1SSV_20180726T172430_20180726T172436_023000_0274E8_ABCD.SAFE/annotation/s1a-iw2-slc-vv.xml",
            "S1A_IW_SLC__1SSV_20180726T172430_20180726T172436_023000_0274E8_ABCD.SAFE/manifest.safe",
        ]
    (scene / "a.xml").unlink()
    with pytest.raises(InputError, match="a.xml listed in bursts.json is missing"):
        assemble_safe(scene, zip_path, local2safe=local2safe)


@pytest.mark.parametrize(
    "granule", ["../../etc/x", "/tmp/x", "S1_186306_IW1_20180726T172430_VV_8126-BURST/../x"]
)
def test_a_burst_name_that_is_a_path_is_refused_before_anything_is_written(tmp_path, granule):
    import requests

    row = {"granule": granule, "subswath": "IW1", "polarization": "VV", "burst_index": 0}
    row |= {"url": "http://127.0.0.1:9/x.tiff", "xml_url": "http://127.0.0.1:9/x.xml", "size_bytes": 1}
    scene = tmp_path / "bursts" / "S1A_scene"
    with pytest.raises(InputError, match=r"S1A_scene: burst: name .* is not of the form S1_"):
        download_scene_bursts(
            [row], scene, session=requests.Session(), retries=0, backoff_s=0.01, timeout_s=1
        )
    assert not any(p.is_file() for p in tmp_path.rglob("*"))
