"""One interferogram made elsewhere: its files and what they say about it."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from massmove.pairs import UNKNOWN_TRACK, Track

# what a tag holds when the inputs do not say it
UNKNOWN = "unknown"


@dataclasses.dataclass(frozen=True)
class FileInterferogram:
    """One interferogram made elsewhere and what its files say about it.

    ``phase_band``/``coherence_band`` are 1-based band indexes (SNAP exports hold both in one
    file); ``metadata`` holds the product tags the inputs give (heading, incidence, baseline,
    granules, engine); what they do not give is tagged ``unknown`` by the conversion.
    """

    phase: Path
    reference: dt.date
    secondary: dt.date
    coherence: Path | None = None
    track: str | None = None
    layout: str = "list"
    phase_band: int = 1
    coherence_band: int = 1
    metadata: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    sources: tuple[Path, ...] = ()

    @property
    def pair_id(self) -> str:
        """``{track}_{reference:%Y%m%d}_{secondary:%Y%m%d}``; track ``X000`` when unknown."""
        return f"{self.track or UNKNOWN_TRACK}_{self.reference:%Y%m%d}_{self.secondary:%Y%m%d}"

    @property
    def baseline_days(self) -> int:
        """Temporal baseline in days."""
        return (self.secondary - self.reference).days

    @property
    def files(self) -> list[Path]:
        """Every file the conversion reads (the rule's inputs)."""
        paths = [self.phase, *([self.coherence] if self.coherence else []), *self.sources]
        return sorted(set(paths), key=str)

    def record(self) -> dict[str, Any]:
        """The pair-table row of this interferogram."""
        if self.track:
            track = Track.parse(self.track)
            direction, orbit = track.direction, str(track.relative_orbit)
        else:
            direction, orbit = UNKNOWN, UNKNOWN
        return {
            "pair_id": self.pair_id,
            "track": self.track or UNKNOWN_TRACK,
            "direction": direction,
            "relative_orbit": orbit,
            "reference_scene": self.metadata.get("reference_scene", UNKNOWN),
            "secondary_scene": self.metadata.get("secondary_scene", UNKNOWN),
            "reference_datetime": self.metadata.get("reference_datetime", self.reference.isoformat()),
            "secondary_datetime": self.metadata.get("secondary_datetime", self.secondary.isoformat()),
            "baseline_days": self.baseline_days,
            "layout": self.layout,
            "phase": str(self.phase),
            "coherence": str(self.coherence) if self.coherence else "",
        }
