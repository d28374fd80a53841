"""Where Earthdata credentials may go: over https to NASA's login and ASF's servers only.

A token or a password read from the environment is attached to a request only when its URL is
``https`` and its host is one of :data:`CREDENTIAL_HOSTS` (a host or a dotted suffix), or is
named in the config key ``download.credential_hosts`` (the only way to trust another host; an
entry ``host`` or ``host:port`` trusts https to that host on that port (443 by default),
``http://host:port`` plain http to exactly that host and port, for loopback tests and private
mirrors). Redirects to any other host or scheme lose the ``Authorization`` header,
whatever the session's own redirect rules would keep. URLs come from search responses and the
config, so a replayed or forged response cannot route credentials elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import requests

from massmove.errors import ConfigError

#: hosts (exact) and dotted suffixes (any host below them) that receive Earthdata credentials
#: over https: the Earthdata login, ASF's data pool, burst service, HyP3 API and product buckets
CREDENTIAL_HOSTS = (
    "urs.earthdata.nasa.gov",
    ".earthdata.nasa.gov",
    ".earthdatacloud.nasa.gov",
    ".asf.alaska.edu",
)
TRUST_KEY = "download.credential_hosts"


def _port(parts: Any) -> int:
    return parts.port or (443 if parts.scheme == "https" else 80)


def credentials_allowed(url: str, extra_hosts: Sequence[str] = ()) -> bool:
    """Whether credentials may be sent with a request to ``url``.

    Examples
    --------
    >>> credentials_allowed("https://datapool.asf.alaska.edu/SLC/SA/x.zip")
    True
    >>> credentials_allowed("http://datapool.asf.alaska.edu/SLC/SA/x.zip")
    False
    >>> credentials_allowed("https://asf.alaska.edu.evil.example/x.zip")
    False
    >>> credentials_allowed("http://127.0.0.1:8080/x", ["http://127.0.0.1:8080"])
    True
    >>> credentials_allowed("http://127.0.0.1:9090/x", ["http://127.0.0.1:8080"])
    False
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host:
        return False
    for entry in extra_hosts:
        trusted = urlsplit(entry if "://" in entry else f"https://{entry}")
        if (
            trusted.scheme == parts.scheme
            and (trusted.hostname or "").lower() == host
            and _port(trusted) == _port(parts)
        ):
            return True
    if parts.scheme != "https":
        return False
    return any(host == h or (h.startswith(".") and host.endswith(h)) for h in CREDENTIAL_HOSTS)


def check_trusted_hosts(entries: Sequence[str]) -> None:
    """Each ``download.credential_hosts`` entry is ``host``, ``host:port`` or ``http(s)://host:port``.

    Examples
    --------
    >>> check_trusted_hosts(["mirror.example.org", "http://127.0.0.1:8080"])
    >>> check_trusted_hosts(["host:abc"])
    Traceback (most recent call last):
    ...
    massmove.errors.ConfigError: config key 'download.credential_hosts': 'host:abc' is not host, host:port or http(s)://host:port
    """
    for entry in entries:
        trusted = urlsplit(entry if "://" in entry else f"https://{entry}")
        try:
            trusted.port  # noqa: B018 - parsing the port is the check
        except ValueError:
            trusted = urlsplit("")
        if trusted.scheme not in ("http", "https") or not trusted.hostname or trusted.path not in ("", "/"):
            raise ConfigError(
                f"config key '{TRUST_KEY}': {entry!r} is not host, host:port or http(s)://host:port"
            )


def require_trusted(url: str, extra_hosts: Sequence[str], what: str) -> None:
    """Refuse to send credentials to ``url`` (one line naming ``what`` and the trust key)."""
    if not credentials_allowed(url, extra_hosts):
        raise ConfigError(
            f"{what}: {urlsplit(url).scheme}://{urlsplit(url).netloc} is not a host Earthdata "
            f"credentials are sent to (https to {', '.join(CREDENTIAL_HOSTS)}); name it in "
            f"config key '{TRUST_KEY}' to trust it"
        )


class EarthdataAuth(requests.auth.AuthBase):
    """A bearer token, else a username and password, else the ``~/.netrc`` entry of the URL's
    host, attached only where :func:`credentials_allowed`."""

    def __init__(
        self,
        *,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        extra_hosts: Sequence[str] = (),
    ) -> None:
        self.token, self.username, self.password = token, username, password
        self.extra_hosts = tuple(extra_hosts)

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if not credentials_allowed(str(request.url), self.extra_hosts):
            request.headers.pop("Authorization", None)
            return request
        if self.token:
            request.headers["Authorization"] = f"Bearer {self.token}"
        elif self.username and self.password:
            requests.auth.HTTPBasicAuth(self.username, self.password)(request)
        elif netrc := requests.utils.get_netrc_auth(str(request.url)):
            requests.auth.HTTPBasicAuth(*netrc)(request)
        return request


def strip_untrusted_auth(prepared: requests.PreparedRequest, extra_hosts: Sequence[str]) -> None:
    """Drop the ``Authorization`` header of a (redirected) request to an untrusted URL."""
    if not credentials_allowed(str(prepared.url), extra_hosts):
        prepared.headers.pop("Authorization", None)
