"""Verified, resumable HTTP downloads (ASF SLCs, DEM tiles).

A file appears under its final name only after its size and md5 were checked. A partial
transfer stays beside it as ``NAME.part`` and is resumed with an HTTP Range request; a corrupt
one is discarded. Server errors and broken connections are retried with exponential backoff;
a refused login stops at once with instructions. Credentials come from the environment or
``~/.netrc`` and are never written to a log, an error message or an output.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests
from tqdm import tqdm

from massmove.asf.credentials import EarthdataAuth, strip_untrusted_auth
from massmove.errors import MassmoveError
from massmove.io.digest import file_hexdigest

log = logging.getLogger(__name__)
STREAM_BYTES = 1 << 16  # small reads: a broken transfer keeps all but the last 64 KiB
CREDENTIALS_HELP = (
    "set EARTHDATA_TOKEN, or EARTHDATA_USERNAME and EARTHDATA_PASSWORD, in the environment, or add "
    "'machine urs.earthdata.nasa.gov login USER password PASS' to ~/.netrc"
)


class DownloadError(MassmoveError):
    """A download failed for good."""


class CredentialsError(DownloadError):
    """The server refused the credentials (or none were given)."""


class _Retry(Exception):
    """A failure worth another attempt."""


def public_url(url: str) -> str:
    """The URL without query string or user info, safe to log."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def earthdata_session(extra_hosts: Sequence[str] = ()) -> requests.Session:
    """An HTTP session authenticated from the environment, else from ``~/.netrc``; credentials
    go only where :func:`massmove.asf.credentials.credentials_allowed` (https to NASA's login
    and ASF, or the hosts of ``download.credential_hosts``), redirects included."""
    from asf_search import ASFSession

    class GuardedSession(ASFSession):  # type: ignore[misc]
        def rebuild_auth(self, prepared: requests.PreparedRequest, response: requests.Response) -> None:
            super().rebuild_auth(prepared, response)
            strip_untrusted_auth(prepared, extra_hosts)

    session = GuardedSession()
    session.auth = EarthdataAuth(
        token=os.environ.get("EARTHDATA_TOKEN"),
        username=os.environ.get("EARTHDATA_USERNAME"),
        password=os.environ.get("EARTHDATA_PASSWORD"),
        extra_hosts=extra_hosts,
    )
    return session


def _transfer(
    session: requests.Session, url: str, part: Path, *, size_bytes: int | None, timeout_s: float
) -> None:
    have = part.stat().st_size if part.exists() else 0
    if size_bytes and have > size_bytes:
        part.unlink()
        have = 0
    if size_bytes and have == size_bytes:
        return
    headers = {"Range": f"bytes={have}-"} if have else {}
    with session.get(url, headers=headers, stream=True, timeout=timeout_s) as response:
        status = response.status_code
        if status in (401, 403):
            raise CredentialsError(f"{public_url(url)}: HTTP {status}, login refused; {CREDENTIALS_HELP}")
        if status == 416 and size_bytes and have == size_bytes:
            return
        if status == 429 or status >= 500:
            raise _Retry(f"HTTP {status}")
        if status >= 400:
            raise DownloadError(f"{public_url(url)}: HTTP {status}")
        resume = have and status == 206
        if resume:
            first = response.headers.get("Content-Range", "").split(" ")[-1].split("-")[0]
            if first != str(have):
                raise _Retry(f"server resumed at byte {first}, not {have}")
        elif have:
            log.info("%s: server ignored the range request, starting over", public_url(url))
        total = size_bytes or (have if resume else 0) + int(response.headers.get("Content-Length", 0) or 0)
        with (
            part.open("ab" if resume else "wb") as handle,
            tqdm(
                total=total or None,
                initial=have if resume else 0,
                unit="B",
                unit_scale=True,
                desc=part.name.removesuffix(".part"),
                mininterval=5.0,
                disable=None,
            ) as bar,
        ):
            for block in response.iter_content(chunk_size=STREAM_BYTES):
                handle.write(block)
                bar.update(len(block))


def download_verified(
    url: str,
    destination: str | Path,
    *,
    size_bytes: int | None = None,
    md5: str | None = None,
    session: requests.Session | None = None,
    retries: int = 5,
    backoff_s: float = 2.0,
    timeout_s: float = 60.0,
) -> Path:
    """Download ``url`` to ``destination`` and verify it; resume, retry, never leave a corrupt file.

    Raises
    ------
    CredentialsError
        HTTP 401/403: the message says how to provide credentials.
    DownloadError
        Another client error, or every attempt failed (size or md5 wrong, server errors,
        broken connections).
    """
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    part = destination.with_name(destination.name + ".part")
    session = session or requests.Session()
    last = ""
    for attempt in range(retries + 1):
        if attempt:
            wait = backoff_s * 2 ** (attempt - 1)
            log.warning(
                "%s: attempt %d failed (%s); retrying in %.1f s", public_url(url), attempt, last, wait
            )
            time.sleep(wait)
        try:
            _transfer(session, url, part, size_bytes=size_bytes, timeout_s=timeout_s)
        except _Retry as err:
            last = str(err)
            continue
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as err:
            last = type(err).__name__
            continue
        have = part.stat().st_size if part.exists() else 0
        if size_bytes and have != size_bytes:
            last = f"{have} of {size_bytes} bytes"
            continue
        if md5:
            found = file_hexdigest(part, "md5")
            if found != md5.lower():
                part.unlink()
                last = f"md5 {found} instead of {md5}"
                continue
        os.replace(part, destination)
        log.info("%s: %d bytes verified", destination.name, have)
        return destination
    raise DownloadError(f"{public_url(url)}: failed after {retries + 1} attempts (last: {last})")
