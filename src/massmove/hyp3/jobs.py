"""HyP3 job requests of a pair, reuse of earlier jobs, waiting and the product download.

A job is identified by its name (``{hyp3.name}_{pair_id}``), its type and its parameters: a
job with the same three that has not failed or expired is reused, so a rerun (or a second run
of the same config) never pays twice.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from massmove.errors import ConfigError, CorruptInputError, InputError, ProcessingError
from massmove.io.names import checked_name

log = logging.getLogger(__name__)

# looks offered per job type and the posting of the product they give (HyP3 product guides)
LOOKS_POSTING_M: dict[str, dict[str, float]] = {
    "INSAR_GAMMA": {"20x4": 80.0, "10x2": 40.0},
    "INSAR_ISCE_MULTI_BURST": {"20x4": 80.0, "10x2": 40.0, "5x1": 20.0},
}


# the most bursts HyP3 takes per pass in one INSAR_ISCE_MULTI_BURST job
MAX_BURSTS_PER_JOB = 15


def looks_for(job_type: str, posting_m: float) -> str:
    """The looks whose product posting is closest to ``posting_m`` (the finer one on a tie).

    Examples
    --------
    >>> looks_for("INSAR_GAMMA", 12.5), looks_for("INSAR_ISCE_MULTI_BURST", 12.5)
    ('10x2', '5x1')
    >>> looks_for("INSAR_GAMMA", 100.0)
    '20x4'
    """
    options = LOOKS_POSTING_M[job_type]
    return min(options, key=lambda looks: (abs(options[looks] - posting_m), options[looks]))


def job_requests(
    settings: Mapping[str, Any],
    pair_id: str,
    reference: Sequence[str],
    secondary: Sequence[str],
    posting_m: float,
) -> list[dict[str, Any]]:
    """The prepared HyP3 jobs of one pair (``hyp3_sdk``'s ``prepare_*`` dictionaries).

    ``reference``/``secondary``: the pair's SLC scenes (INSAR_GAMMA, one job per slice pair,
    slices matched in time order) or its burst granules (INSAR_ISCE_MULTI_BURST, one job).
    """
    from hyp3_sdk import HyP3

    job_type = settings["job_type"]
    looks = looks_for(job_type, posting_m)
    name = f"{settings['name']}_{pair_id}"
    if job_type == "INSAR_GAMMA":
        if len(reference) != len(secondary):
            raise ProcessingError(
                f"pair {pair_id}: {len(reference)} reference and {len(secondary)} secondary slices "
                "cannot be matched into INSAR_GAMMA jobs"
            )
        return [
            HyP3.prepare_insar_job(r, s, name=name, looks=looks, include_wrapped_phase=True)  # type: ignore[arg-type]
            for r, s in zip(sorted(reference), sorted(secondary), strict=True)
        ]
    if job_type == "INSAR_ISCE_MULTI_BURST":
        if not all(g.endswith("-BURST") for g in [*reference, *secondary]):
            raise ConfigError(
                f"config key 'hyp3.job_type': INSAR_ISCE_MULTI_BURST needs burst granules; pair "
                f"{pair_id} has scenes {list(reference)[:1]}... (use INSAR_GAMMA for scene pairs)"
            )
        return [
            HyP3.prepare_insar_isce_multi_burst_job(group_ref, group_sec, name=name, looks=looks)  # type: ignore[arg-type]
            for group_ref, group_sec in burst_groups(pair_id, reference, secondary)
        ]
    raise ConfigError(f"config key 'hyp3.job_type': {job_type!r} is not supported")


def _burst_key(granule: str) -> tuple[str, int]:
    """(subswath, burst id) of a burst granule ``S1_{id}_IW{n}_{time}_{pol}_{crc}-BURST``."""
    parts = granule.split("_")
    return parts[2], int(parts[1])


def burst_groups(
    pair_id: str, reference: Sequence[str], secondary: Sequence[str]
) -> list[tuple[list[str], list[str]]]:
    """Reference and secondary bursts of a pair matched by burst id, in jobs HyP3 accepts:
    per subswath, runs of consecutive burst ids, at most ``MAX_BURSTS_PER_JOB`` each.

    Examples
    --------
    >>> ref = [f"S1_{i}_IW1_20180726T172437_VV_AAAA-BURST" for i in (100, 101, 103)]
    >>> sec = [f"S1_{i}_IW1_20180807T172437_VV_BBBB-BURST" for i in (100, 101, 103)]
    >>> [len(r) for r, s in burst_groups("A088_x", ref, sec)]
    [2, 1]
    """
    first = {_burst_key(g): g for g in reference}
    second = {_burst_key(g): g for g in secondary}
    if set(first) != set(second):
        odd = sorted(set(first) ^ set(second))[0]
        raise ProcessingError(f"pair {pair_id}: burst {odd[1]} {odd[0]} is in one pass only")
    groups: list[tuple[list[str], list[str]]] = []
    previous: tuple[str, int] | None = None
    for key in sorted(first):
        run_on = previous is not None and key[0] == previous[0] and key[1] == previous[1] + 1
        if not run_on or len(groups[-1][0]) == MAX_BURSTS_PER_JOB:
            groups.append(([], []))
        groups[-1][0].append(first[key])
        groups[-1][1].append(second[key])
        previous = key
    return groups


def same_request(job: Mapping[str, Any], request: Mapping[str, Any]) -> bool:
    """Whether a HyP3 job (its dictionary) was made from ``request``: same type, name and every
    parameter the request sets (the API may add defaults of its own).

    Examples
    --------
    >>> request = {"job_type": "INSAR_GAMMA", "name": "m_A", "job_parameters": {"looks": "10x2"}}
    >>> same_request({**request, "job_parameters": {"looks": "10x2", "apply_water_mask": False}}, request)
    True
    >>> same_request({**request, "job_parameters": {"looks": "20x4"}}, request)
    False
    """
    if job.get("job_type") != request["job_type"] or job.get("name") != request.get("name"):
        return False
    given = job.get("job_parameters") or {}
    return all(given.get(key) == value for key, value in request["job_parameters"].items())


def hyp3_client(api_url: str, extra_hosts: Sequence[str] = ()) -> Any:
    """A ``hyp3_sdk.HyP3`` client: EARTHDATA_TOKEN, else EARTHDATA_USERNAME and
    EARTHDATA_PASSWORD, else ``~/.netrc`` (as for downloads; nothing is written anywhere).
    Credentials go only to an API the allow-list trusts (https to ASF, or a host of
    ``download.credential_hosts``): another ``hyp3.api_url`` is refused before any request."""
    from hyp3_sdk import HyP3
    from hyp3_sdk.exceptions import AuthenticationError

    from massmove.asf.credentials import require_trusted
    from massmove.asf.download import CREDENTIALS_HELP, CredentialsError

    token = os.environ.get("EARTHDATA_TOKEN")
    user, password = os.environ.get("EARTHDATA_USERNAME"), os.environ.get("EARTHDATA_PASSWORD")
    require_trusted(api_url, extra_hosts, "config key 'hyp3.api_url'")
    try:
        if token:
            return HyP3(api_url, token=token)
        if user and password:
            return HyP3(api_url, username=user, password=password)
        return HyP3(api_url)
    except AuthenticationError as err:
        first = str(err).splitlines()[0]
        raise CredentialsError(f"HyP3 at {api_url}: login refused ({first}); {CREDENTIALS_HELP}") from None


@contextlib.contextmanager
def api_errors(api_url: str) -> Iterator[None]:
    """HyP3 API errors as one line naming the API: a refused login with the credentials' help,
    anything else as a processing error."""
    import requests
    from hyp3_sdk.exceptions import HyP3SDKError

    from massmove.asf.download import CREDENTIALS_HELP, CredentialsError

    try:
        yield
    except (json.JSONDecodeError, requests.exceptions.JSONDecodeError) as err:  # an error page, not JSON
        raise ProcessingError(
            f"HyP3 at {api_url}: an answer that is not JSON ({type(err).__name__})"
        ) from None
    except HyP3SDKError as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        if "401" in first or "403" in first:
            raise CredentialsError(f"HyP3 at {api_url}: {first}, login refused; {CREDENTIALS_HELP}") from None
        raise ProcessingError(f"HyP3 at {api_url}: {first}") from None


def submit_or_reuse(client: Any, request: Mapping[str, Any]) -> tuple[Any, bool]:
    """The job of ``request``: an earlier one that has not failed or expired, else a new one.
    Returns (job, submitted)."""
    earlier = [
        job
        for job in client.find_jobs(name=request["name"], job_type=request["job_type"])
        if same_request(job.to_dict(), request) and not job.failed() and not job.expired()
    ]
    if earlier:
        job = max(earlier, key=lambda j: j.request_time)
        log.info("reusing HyP3 job %s (%s, %s)", job.job_id, request["name"], job.status_code)
        return job, False
    job = client.submit_prepared_jobs(dict(request))[0]
    log.info("submitted HyP3 job %s (%s)", job.job_id, request["name"])
    return job, True


def wait_for(client: Any, job: Any, *, timeout_s: float, poll_s: float) -> Any:
    """Wait (progress bar, one look every ``poll_s``) until the job succeeded; a failed job or
    one still running after ``timeout_s`` stops with one line naming it."""
    from hyp3_sdk.exceptions import HyP3Error

    if not job.complete():
        try:
            job = client.watch(job, timeout=int(timeout_s), interval=poll_s)
        except HyP3Error:
            raise ProcessingError(
                f"HyP3 job {job.job_id} ({job.name}) not done after {timeout_s:g} s; run again to "
                "keep waiting (the job is found again, not resubmitted)"
            ) from None
    if job.failed():
        raise ProcessingError(
            f"HyP3 job {job.job_id} ({job.name}) failed; its logs: {', '.join(job.logs or []) or 'none'}"
        )
    if not job.files:
        raise ProcessingError(f"HyP3 job {job.job_id} ({job.name}) succeeded without product files")
    return job


def anonymous_session() -> Any:
    """A session that sends no credentials at all (not even ``~/.netrc``'s)."""
    import requests

    session = requests.Session()
    session.trust_env = False
    return session


def download_product(
    job: Any, directory: str | Path, *, retries: int, backoff_s: float, timeout_s: float
) -> Path:
    """Download the job's product zip (size verified, resumable) and check it is a whole zip."""

    from massmove.asf.download import download_verified

    entry = job.files[0]
    name = checked_name(entry["filename"], f"HyP3 job {job.job_id}")
    if not name.endswith(".zip"):
        raise InputError(f"HyP3 job {job.job_id}: product {name!r} is not a .zip; refused")
    path = Path(directory) / name
    download_verified(
        entry["url"],
        path,
        size_bytes=int(entry["size"]) if entry.get("size") else None,
        session=anonymous_session(),  # HyP3 products are served without a login
        retries=retries,
        backoff_s=backoff_s,
        timeout_s=timeout_s,
    )
    try:
        with zipfile.ZipFile(path) as archive:
            broken = archive.testzip()
    except zipfile.BadZipFile as err:
        path.unlink(missing_ok=True)
        raise CorruptInputError(f"{path}: HyP3 product of job {job.job_id} is not a zip ({err})") from err
    if broken is not None:
        path.unlink(missing_ok=True)
        raise CorruptInputError(f"{path}: HyP3 product of job {job.job_id} has a corrupt member {broken}")
    return path


def extract_product(zip_path: str | Path, directory: str | Path) -> Path:
    """Unzip a HyP3 product into ``directory``; return the path of its wrapped phase GeoTIFF."""
    from massmove.files.layouts import HYP3_PHASE_SUFFIX

    with zipfile.ZipFile(zip_path) as archive:
        names = archive.namelist()
        unsafe = [n for n in names if Path(n).is_absolute() or ".." in Path(n).parts]
        if unsafe:
            raise InputError(f"{zip_path}: member {unsafe[0]!r} would unpack outside its folder")
        archive.extractall(directory)
    phases = [n for n in names if n.endswith(HYP3_PHASE_SUFFIX)]
    if len(phases) != 1:
        raise InputError(
            f"{zip_path}: expected one *{HYP3_PHASE_SUFFIX} in the HyP3 product, found {len(phases)}"
        )
    return Path(directory) / phases[0]
