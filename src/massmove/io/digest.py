"""Digests of files, read in blocks."""

from __future__ import annotations

import hashlib
from pathlib import Path


def file_hexdigest(path: str | Path, algorithm: str) -> str:
    """Hex digest of a file with a hashlib algorithm (``"sha256"``, ``"md5"``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "x"
    >>> _ = f.write_bytes(b"abc")
    >>> file_hexdigest(f, "md5")
    '900150983cd24fb0d6963f7d28e17f72'
    """
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, lambda: hashlib.new(algorithm, usedforsecurity=False)).hexdigest()
