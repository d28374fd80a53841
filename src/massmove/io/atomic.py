"""Atomic writes: a product appears under its final name only once it is complete."""

from __future__ import annotations

import contextlib
import glob
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def atomic_path(final_path: str | os.PathLike[str], *, directory: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``final_path``; rename it into place on success.

    Parameters
    ----------
    final_path
        Where the product must end up.
    directory
        True for directory products (Zarr stores): the temporary path is a directory.

    Yields
    ------
    Path
        The temporary path to write to. On an exception it is removed and the final
        path is left untouched, so a rerun never trusts a half-written product. The
        temporaries an earlier writer of the same product left when it was killed (no
        exception ran) are removed when the product is written again: one job writes a
        product at a time.
    """
    final = Path(final_path)
    final.parent.mkdir(parents=True, exist_ok=True)
    # mkdtemp's names: ".{name}." + 8 random characters + ".tmp" (not a sibling "name.x"'s)
    leftover = re.compile(rf"\.{re.escape(final.name)}\.[a-z0-9_]{{8}}\.tmp")
    for stale in final.parent.glob(f".{glob.escape(final.name)}.*.tmp"):
        if leftover.fullmatch(stale.name):
            shutil.rmtree(stale, ignore_errors=True) if stale.is_dir() else stale.unlink(missing_ok=True)
    tmp_root = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent))
    tmp = tmp_root / final.name
    if directory:
        tmp.mkdir()
    try:
        yield tmp
        if final.is_dir() and not final.is_symlink():
            shutil.rmtree(final)
        elif final.exists():
            final.unlink()
        os.replace(tmp, final)
    finally:
        shutil.rmtree(tmp_root, ignore_errors=True)


def write_json(path: str | os.PathLike[str], content: Any, *, indent: int) -> None:
    """Write ``content`` as indented JSON with a final newline, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(content, indent=indent) + "\n")
