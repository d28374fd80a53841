"""Stages of the provenance rules (``provenance.smk``): the run's record and its audit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from massmove.audit import Tolerance, audit, format_report, write_audit
from massmove.io.atomic import write_json
from massmove.provenance import build_provenance
from massmove.settings import StageSettings


def provenance_stage(
    config: StageSettings, run_dir: str | Path, snakefile: str | Path, out_json: str | Path
) -> dict[str, Any]:
    """Build the record and write it atomically to ``out_json``; return it."""
    record = build_provenance(config.plain(), run_dir, snakefile)
    write_json(out_json, record, indent=2)
    return record


def audit_stage(
    config: StageSettings, provenance_json: str | Path, out_json: str | Path, *, cores: int
) -> None:
    """The audit rule: audit, log the report, write it as JSON (also when not reproduced)."""
    from massmove import logger

    tolerance = Tolerance(float_atol=config["audit"]["float_atol"])
    result = audit(provenance_json, cores=cores, tolerance=tolerance)
    for line in format_report(result).splitlines():
        logger.info(line)
    write_audit(result, out_json)
