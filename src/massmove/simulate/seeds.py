"""Named, independent random streams derived from the scene seed.

Each component (terrain, an acquisition's atmosphere, a chunk of speckle) draws from its own
stream keyed by names, so results do not depend on the order or grouping of the work.
"""

from __future__ import annotations

import zlib

import numpy as np


def stream(seed: int, *keys: str | int) -> np.random.Generator:
    """Random generator for ``seed`` and a path of keys.

    Examples
    --------
    >>> a = stream(1, "atmosphere", "A088", "20180801").normal()
    >>> b = stream(1, "atmosphere", "A088", "20180801").normal()
    >>> a == b
    True
    """
    words = [int(seed)] + [k if isinstance(k, int) else zlib.crc32(k.encode()) for k in keys]
    return np.random.default_rng(np.random.SeedSequence(words))
