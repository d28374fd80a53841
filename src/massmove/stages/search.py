"""Stage of the ASF search rule (``search.smk``)."""

from __future__ import annotations

import logging
from pathlib import Path

from massmove.settings import StageSettings

log = logging.getLogger(__name__)


def search_stage(
    config: StageSettings,
    raw_dir: str | Path,
    scenes_csv: str | Path,
    pairs_csv: str | Path,
    report_json: str | Path,
    *,
    base_dir: str | Path = ".",
) -> None:
    """Search ASF (or replay ``search.response``), write raw responses, scenes, pairs, report
    and the bursts to download (``download.granularity: burst``)."""
    from massmove.asf.search import search, write_search

    outcome = search(config, base_dir=base_dir)
    log.info("%d records, %d pairs", len(outcome.records), len(outcome.pairs))
    write_search(
        outcome,
        raw_dir=raw_dir,
        scenes_csv=scenes_csv,
        pairs_csv=pairs_csv,
        report_json=report_json,
    )
