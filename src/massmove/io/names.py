"""File names that come from outside (a server's answer, a search response), checked before
they touch the disk: a plain name in the folder it is written to, never a path."""

from __future__ import annotations

import re

from massmove.errors import InputError

#: a plain file name: letters, digits, dot, dash, underscore; no separator, not hidden
PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,254}")
#: a Sentinel-1 burst granule of ASF's burst service (S1_{burst id}_IW{n}_{time}_{pol}_{tag}-BURST)
BURST_GRANULE = re.compile(r"S1_\d{6}_IW[1-3]_\d{8}T\d{6}_[HV]{2}_[0-9A-Za-z]{4}-BURST")


def checked_name(name: object, what: str, pattern: re.Pattern[str] = PLAIN_NAME) -> str:
    """``name`` when it is a whole match of ``pattern`` (a plain file name by default), else one
    line naming ``what`` and the name.

    Examples
    --------
    >>> checked_name("S1AA_20180726T172421_INT40_G_ueF_1234.zip", "HyP3 product")
    'S1AA_20180726T172421_INT40_G_ueF_1234.zip'
    >>> checked_name("../x.zip", "HyP3")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    massmove.errors.InputError: HyP3: name '../x.zip' from the server is not a plain file name; ...
    """
    text = str(name)
    if not pattern.fullmatch(text) or text in (".", ".."):
        kind = "a plain file name" if pattern is PLAIN_NAME else f"of the form {pattern.pattern}"
        raise InputError(f"{what}: name {text!r} from the server is not {kind}; refused")
    return text
