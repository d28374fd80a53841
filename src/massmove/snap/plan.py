"""Which subswaths and bursts of a pair's SAFE products the SNAP graph processes.

Each acquisition may come as several consecutive slices (products) of one pass; their bursts
are assembled in azimuth order (SNAP's SliceAssembly) when the AOI needs more than one slice.
The reference's bursts are selected by the AOI per subswath; the secondary's are the bursts
with the same ESA burst IDs (same ground), wherever they sit in its products.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import shapely

from massmove.errors import InputError
from massmove.snap.bursts import Burst, SwathAnnotation, bursts_over_aoi, match_bursts, read_safe_annotations

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class SwathRange:
    """The bursts of one subswath in both acquisitions (1-based, inclusive, as TOPSAR-Split counts)."""

    swath: str
    burst_ids: tuple[int, ...]
    reference_first: int
    reference_last: int
    secondary_first: int
    secondary_last: int


@dataclasses.dataclass(frozen=True)
class BurstPlan:
    """What the graph reads and splits."""

    polarisation: str
    reference_products: tuple[str, ...]  # the slices the graph reads, in azimuth order
    secondary_products: tuple[str, ...]
    swaths: tuple[SwathRange, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (written beside the graph for audits)."""
        return dataclasses.asdict(self)


def _assembled(products: Sequence[str | Path], polarisation: str) -> dict[str, dict[str, Any]]:
    """Per subswath: the bursts of the products in azimuth order and the product of each burst."""
    per_swath: dict[str, dict[int, tuple[Burst, str]]] = {}
    for product in products:
        annotations: list[SwathAnnotation] = read_safe_annotations(product, polarisation)
        for annotation in annotations:
            for burst in annotation.bursts:
                per_swath.setdefault(annotation.swath, {}).setdefault(burst.burst_id, (burst, str(product)))
    assembled = {}
    for swath, by_id in per_swath.items():
        ordered = sorted(by_id.values(), key=lambda item: item[0].azimuth_time)
        assembled[swath] = {"bursts": [b for b, _ in ordered], "products": [p for _, p in ordered]}
    return assembled


def _used_products(
    swaths: dict[str, dict[str, Any]], ids: Mapping[str, Sequence[int]], order: Sequence[str | Path]
) -> list[str]:
    used = {
        product
        for swath, wanted in ids.items()
        for burst, product in zip(swaths[swath]["bursts"], swaths[swath]["products"], strict=True)
        if burst.burst_id in wanted
    }
    return [str(p) for p in order if str(p) in used]


def _position(bursts: Sequence[Burst], burst_id: int) -> int:
    return next(i for i, b in enumerate(bursts) if b.burst_id == burst_id)


def _with_neighbour(bursts: Sequence[Burst], chosen: list[Burst]) -> list[Burst]:
    """Two bursts at least (ESD estimates its shift in burst overlaps): add the next or previous."""
    if len(chosen) >= 2 or len(bursts) < 2:
        return chosen
    at = _position(bursts, chosen[0].burst_id)
    neighbour = bursts[at + 1] if at + 1 < len(bursts) else bursts[at - 1]
    return sorted([chosen[0], neighbour], key=lambda b: b.azimuth_time)


def plan_bursts(
    reference_products: Sequence[str | Path],
    secondary_products: Sequence[str | Path],
    polarisation: str,
    aoi: shapely.Geometry,
    *,
    esd: bool,
) -> BurstPlan:
    """Subswaths and bursts covering ``aoi`` (longitude/latitude), matched by burst ID.

    Raises
    ------
    InputError
        No burst of the reference products covers the AOI (the products are named), or the
        secondary lacks bursts the reference needs.
    """
    reference = _assembled(reference_products, polarisation)
    secondary = _assembled(secondary_products, polarisation)
    ids: dict[str, list[int]] = {}
    covering = bursts_over_aoi(
        {swath: reference[swath]["bursts"] for swath in reference}, aoi, reference_products
    )
    for swath, chosen in covering.items():
        if esd:
            chosen = _with_neighbour(reference[swath]["bursts"], chosen)
        if swath not in secondary:
            raise InputError(
                f"{', '.join(Path(p).name for p in secondary_products)}: no subswath {swath} "
                f"(the reference needs bursts {[b.burst_id for b in chosen]})"
            )
        match_bursts(chosen, secondary[swath]["bursts"])  # raises, naming missing bursts
        ids[swath] = [b.burst_id for b in chosen]
    reference_used = _used_products(reference, ids, reference_products)
    secondary_used = _used_products(secondary, ids, secondary_products)
    swaths = []
    for swath, wanted in ids.items():
        # positions count within the products the graph reads, assembled in azimuth order
        ref_index = [_position(_bursts_of(reference[swath], reference_used), i) for i in wanted]
        sec_index = [_position(_bursts_of(secondary[swath], secondary_used), i) for i in wanted]
        swaths.append(
            SwathRange(
                swath,
                tuple(wanted),
                min(ref_index) + 1,
                max(ref_index) + 1,
                min(sec_index) + 1,
                max(sec_index) + 1,
            )
        )
    plan = BurstPlan(polarisation, tuple(reference_used), tuple(secondary_used), tuple(swaths))
    log.info("bursts: %s", plan.to_dict())
    return plan


def _bursts_of(swath: dict[str, Any], products: Sequence[str]) -> list[Burst]:
    return [b for b, p in zip(swath["bursts"], swath["products"], strict=True) if p in products]
