"""HyP3 jobs: requests of a pair, reuse of earlier jobs, waiting, against the loopback stand-in."""

from __future__ import annotations

import pytest

from massmove.asf.credentials import credentials_allowed
from massmove.errors import ConfigError, InputError, ProcessingError
from massmove.hyp3.jobs import (
    download_product,
    extract_product,
    hyp3_client,
    job_requests,
    submit_or_reuse,
    wait_for,
)
from tests.hyp3_standin import HyP3StandIn

SETTINGS = {"job_type": "INSAR_GAMMA", "name": "massmove"}
REFERENCE = ["S1A_IW_SLC__1SDV_20180726T172446_20180726T172513_023000_0274E8_5822"]
SECONDARY = ["S1A_IW_SLC__1SDV_20180807T172448_20180807T172515_023175_0279B1_5820"]


def test_two_slice_pass_gives_one_job_per_slice_pair_matched_in_time_order():
    reference = ["S1A_IW_SLC__1SDV_20180726T172446_x", "S1A_IW_SLC__1SDV_20180726T172421_x"]
    secondary = ["S1A_IW_SLC__1SDV_20180807T172448_y", "S1A_IW_SLC__1SDV_20180807T172423_y"]
    requests = job_requests(SETTINGS, "A088_20180726_20180807", reference, secondary, 12.5)
    assert [r["job_parameters"]["granules"] for r in requests] == [
        [reference[1], secondary[1]],
        [reference[0], secondary[0]],
    ]
    assert {r["name"] for r in requests} == {"massmove_A088_20180726_20180807"}
    with pytest.raises(ProcessingError, match="2 reference and 1 secondary slices"):
        job_requests(SETTINGS, "A088_20180726_20180807", reference, secondary[:1], 12.5)


def test_multi_burst_jobs_need_burst_granules():
    with pytest.raises(ConfigError, match="INSAR_ISCE_MULTI_BURST needs burst granules"):
        job_requests({**SETTINGS, "job_type": "INSAR_ISCE_MULTI_BURST"}, "A088_x", REFERENCE, SECONDARY, 12.5)
    bursts = (
        ["S1_186365_IW1_20180726T172447_VV_0A1B-BURST"],
        ["S1_186365_IW1_20180807T172449_VV_2C3D-BURST"],
    )
    (request,) = job_requests({**SETTINGS, "job_type": "INSAR_ISCE_MULTI_BURST"}, "A088_x", *bursts, 12.5)
    assert request["job_parameters"]["looks"] == "5x1" and request["job_parameters"]["reference"] == bursts[0]


def never_done(job):
    raise AssertionError("no product is asked for")


@pytest.fixture
def standin(monkeypatch):
    """The HyP3 stand-in, a client logged into it, and the request of one pair."""
    monkeypatch.setenv("EARTHDATA_TOKEN", "t")
    with HyP3StandIn(never_done, "t") as api:
        (request,) = job_requests(SETTINGS, "A088_20180726_20180807", REFERENCE, SECONDARY, 12.5)
        yield api, hyp3_client(api.url, [api.url]), request


def test_an_earlier_job_of_the_same_request_is_reused_not_paid_twice(standin):
    api, client, request = standin
    first, submitted = submit_or_reuse(client, request)
    again, resubmitted = submit_or_reuse(client, request)
    assert submitted and not resubmitted and again.job_id == first.job_id
    # other looks are another request: a new job
    (coarser,) = job_requests(SETTINGS, "A088_20180726_20180807", REFERENCE, SECONDARY, 80.0)
    other, submitted = submit_or_reuse(client, coarser)
    assert submitted and other.job_id != first.job_id and len(api.submitted) == 2
    # a failed job is not reused
    api.jobs[first.job_id]["status_code"] = "FAILED"
    retry, submitted = submit_or_reuse(client, request)
    assert submitted and retry.job_id not in (first.job_id, other.job_id)
    with pytest.raises(ProcessingError, match=rf"HyP3 job {first.job_id} .* failed"):
        wait_for(client, client.get_job_by_id(first.job_id), timeout_s=1, poll_s=0.01)


def test_a_job_still_running_after_the_timeout_stops_with_advice(standin):
    api, client, request = standin
    job, _ = submit_or_reuse(client, request)
    api.advance = lambda job_id, base: dict(api.jobs[job_id])  # never moves on
    with pytest.raises(ProcessingError, match="not done after 0.05 s; run again to keep waiting"):
        wait_for(client, job, timeout_s=0.05, poll_s=0.01)


def test_an_api_url_outside_the_allow_list_gets_no_credentials(monkeypatch):
    monkeypatch.setenv("EARTHDATA_TOKEN", "t")
    with HyP3StandIn(never_done, "t") as api:
        with pytest.raises(ConfigError) as refused:
            hyp3_client(api.url)
        assert api.requests == []
    message = str(refused.value)
    assert "hyp3.api_url" in message and "download.credential_hosts" in message and "\n" not in message
    # https to ASF's API is trusted without a key; its look-alikes are not
    assert credentials_allowed("https://hyp3-api.asf.alaska.edu/jobs")
    assert not credentials_allowed("https://hyp3-api.asf.alaska.edu.example.org/jobs")
    assert not credentials_allowed("http://hyp3-api.asf.alaska.edu/jobs")


class FinishedJob:
    """What ``download_product`` reads of a finished hyp3_sdk job."""

    def __init__(self, filename: str, url: str) -> None:
        self.job_id, self.files = "job-1", [{"filename": filename, "url": url, "size": 3}]


@pytest.mark.parametrize("filename", ["../x.zip", "/tmp/evil.zip", "sub/x.zip", ".hidden.zip", "x.tif"])
def test_a_product_name_from_the_api_never_leaves_its_folder(tmp_path, filename):
    target = tmp_path / "products"
    with pytest.raises(InputError, match="HyP3 job job-1") as refused:
        download_product(
            FinishedJob(filename, "http://127.0.0.1:9/x"), target, retries=0, backoff_s=0, timeout_s=1
        )
    assert "\n" not in str(refused.value)
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_a_zip_member_that_would_unpack_outside_its_folder_is_refused(tmp_path):
    import zipfile

    archive = tmp_path / "product.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("S1AA_x/S1AA_x_wrapped_phase.tif", b"tif")
        zipped.writestr("../escaped.txt", b"x")
    with pytest.raises(InputError, match=r"member '\.\./escaped\.txt' would unpack outside its folder"):
        extract_product(archive, tmp_path / "out")
    assert not (tmp_path / "escaped.txt").exists() and not (tmp_path / "out").exists()


def test_an_api_answer_that_is_not_json_is_one_line_naming_the_api():
    import requests

    from massmove.hyp3.jobs import api_errors

    with pytest.raises(ProcessingError) as refused, api_errors("https://hyp3-api.asf.alaska.edu"):
        raise requests.exceptions.JSONDecodeError("Expecting value", "<html>502 Bad Gateway</html>", 0)
    assert (
        str(refused.value)
        == "HyP3 at https://hyp3-api.asf.alaska.edu: an answer that is not JSON (JSONDecodeError)"
    )
