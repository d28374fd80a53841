"""Arrays that cannot fit: refused with the numbers before they are allocated.

The estimates are lower bounds (bytes per pixel below what the jobs measured), so a refusal
means the job would surely fail with a MemoryError (or be killed) on this machine; a job that
passes may still need more than the estimate.
"""

from __future__ import annotations

import os

from massmove.errors import InputError

#: bytes per ground-grid pixel of the synthetic ground job, a lower bound (142 measured on the
#: default 2,200 x 2,200 grid: 686 MB peak; benchmarks of simulate_ground)
GROUND_BYTES_PER_PX = 100
#: bytes per product pixel held by a job that makes or imports a product: six float64 arrays
PRODUCT_BYTES_PER_PX = 48


def machine_memory_bytes() -> int:
    """Physical memory of this machine (what one job can at most use)."""
    return int(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))


def refuse_beyond_memory(estimate_bytes: float, what: str, advice: str) -> None:
    """One line with the numbers when ``estimate_bytes`` exceeds this machine's memory.

    Examples
    --------
    >>> refuse_beyond_memory(1e3, "a small job", "")
    >>> refuse_beyond_memory(1e18, "config key 'posting_m'", "use a coarser posting")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    massmove.errors.InputError: config key 'posting_m': at least 1000000000.0 GB of arrays, ...
    """
    available = machine_memory_bytes()
    if estimate_bytes > available:
        raise InputError(
            f"{what}: at least {estimate_bytes / 1e9:.1f} GB of arrays, more than this machine's "
            f"{available / 1e9:.1f} GB; {advice}"
        )
