"""Downloads against a loopback server with injected faults (no internet)."""

from __future__ import annotations

import hashlib

import pytest
import requests

from massmove.asf.download import CredentialsError, DownloadError, download_verified
from tests.loopback import FileServer

BODY = bytes(range(256)) * 4096  # 1 MiB
MD5 = hashlib.md5(BODY, usedforsecurity=False).hexdigest()


@pytest.fixture
def server():
    with FileServer() as srv:
        srv.files["scene.zip"] = BODY
        yield srv


def fetch(server, mode, tmp_path, **kwargs):
    kwargs = {"size_bytes": len(BODY), "md5": MD5, "retries": 3, "backoff_s": 0.01, "timeout_s": 5, **kwargs}
    return download_verified(f"{server.url}/{mode}/scene.zip", tmp_path / "scene.zip", **kwargs)


def test_plain_download_is_verified(server, tmp_path):
    path = fetch(server, "ok", tmp_path)
    assert path.read_bytes() == BODY
    assert not list(tmp_path.glob("*.part"))


def test_partial_file_is_resumed_with_range(server, tmp_path):
    (tmp_path / "scene.zip.part").write_bytes(BODY[:300_000])
    fetch(server, "ok", tmp_path)
    assert (tmp_path / "scene.zip").read_bytes() == BODY
    (_, _, headers) = server.requests[-1]
    assert headers["Range"] == "bytes=300000-"


def test_server_ignoring_range_restarts_cleanly(server, tmp_path):
    (tmp_path / "scene.zip.part").write_bytes(BODY[:300_000])
    fetch(server, "norange", tmp_path)
    assert (tmp_path / "scene.zip").read_bytes() == BODY


def test_truncated_body_is_resumed(server, tmp_path):
    fetch(server, "truncate", tmp_path)
    assert (tmp_path / "scene.zip").read_bytes() == BODY
    assert server.hits["/truncate/scene.zip"] == 2
    assert server.requests[-1][2]["Range"] == f"bytes={len(BODY) // 2}-"


def test_server_errors_are_retried(server, tmp_path):
    fetch(server, "flaky", tmp_path)
    assert server.hits["/flaky/scene.zip"] == 3
    assert (tmp_path / "scene.zip").read_bytes() == BODY


def test_wrong_checksum_is_rejected_and_nothing_is_left(server, tmp_path):
    with pytest.raises(DownloadError, match="md5"):
        fetch(server, "corrupt", tmp_path, retries=1)
    assert list(tmp_path.iterdir()) == []
    assert server.hits["/corrupt/scene.zip"] == 2


def test_wrong_size_is_rejected(server, tmp_path):
    with pytest.raises(DownloadError, match="bytes"):
        fetch(server, "ok", tmp_path, size_bytes=len(BODY) + 10, retries=1)
    assert not (tmp_path / "scene.zip").exists()


def test_401_says_how_to_set_credentials_at_once(server, tmp_path):
    with pytest.raises(CredentialsError) as err:
        fetch(server, "auth", tmp_path)
    message = str(err.value)
    assert "EARTHDATA_TOKEN" in message and ".netrc" in message and "\n" not in message
    assert server.hits["/auth/scene.zip"] == 1  # no pointless retries
    assert not (tmp_path / "scene.zip").exists()


def test_token_from_the_environment_is_sent_and_never_shown(server, tmp_path, monkeypatch, caplog):
    from massmove.asf.download import earthdata_session

    monkeypatch.setenv("EARTHDATA_TOKEN", server.token)
    with caplog.at_level("DEBUG"):
        fetch(server, "auth", tmp_path, session=earthdata_session([server.url]))
    assert (tmp_path / "scene.zip").read_bytes() == BODY
    assert server.requests[-1][2]["Authorization"] == f"Bearer {server.token}"
    assert server.token not in caplog.text


def test_404_is_not_retried(server, tmp_path):
    with pytest.raises(DownloadError, match="HTTP 404"):
        fetch(server, "missing", tmp_path)
    assert server.hits["/missing/scene.zip"] == 1


def test_unreachable_server_fails_after_retries(tmp_path):
    with pytest.raises(DownloadError, match="after 2 attempts"):
        download_verified(
            "http://127.0.0.1:9/x.zip", tmp_path / "x.zip", retries=1, backoff_s=0.01, timeout_s=1
        )
    assert isinstance(requests.ConnectionError(), Exception)


def test_credentials_go_nowhere_the_allow_list_does_not_name(server, tmp_path, monkeypatch):
    """A replayed search whose URLs point at another host (here a loopback server over http)
    gets no token: the download is refused as a login (401), and the server saw no credential."""
    from massmove.asf.download import earthdata_session

    monkeypatch.setenv("EARTHDATA_TOKEN", server.token)
    with pytest.raises(CredentialsError, match="HTTP 401"):
        fetch(server, "auth", tmp_path, session=earthdata_session())
    monkeypatch.delenv("EARTHDATA_TOKEN")
    monkeypatch.setenv("EARTHDATA_USERNAME", "someone")
    monkeypatch.setenv("EARTHDATA_PASSWORD", "pass-word")
    with pytest.raises(CredentialsError):
        fetch(server, "auth", tmp_path, session=earthdata_session())
    assert server.requests and all("Authorization" not in headers for _, _, headers in server.requests)
    # the same host trusted by name on another port does not count
    other_port = server.url.rsplit(":", 1)[0] + ":1"
    with pytest.raises(CredentialsError):
        fetch(server, "auth", tmp_path, session=earthdata_session([other_port]))
    assert all("Authorization" not in headers for _, _, headers in server.requests)


def test_a_redirect_to_another_host_loses_the_credentials(server, tmp_path, monkeypatch):
    from massmove.asf.download import earthdata_session

    with FileServer() as elsewhere:
        elsewhere.files["scene.zip"] = BODY
        server.redirect_to = elsewhere.url
        monkeypatch.setenv("EARTHDATA_TOKEN", server.token)
        path = fetch(server, "redirect", tmp_path, session=earthdata_session([server.url]))
        assert path.read_bytes() == BODY
        (_, _, first), (_, _, followed) = server.requests[-1], elsewhere.requests[-1]
    assert first["Authorization"] == f"Bearer {server.token}"  # the trusted host got it
    assert "Authorization" not in followed  # the host it redirected to did not
