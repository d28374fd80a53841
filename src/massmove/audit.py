"""Audit of a run: rerun its recorded config elsewhere and compare every product.

``massmove audit RUN/results/provenance.json`` (or ``snakemake audit`` in the run directory)

1. checks that the files the config names (operators' checkpoints, labelled data, a replayed
   search, a user DEM) still have the recorded sha256;
2. reruns the recorded config with the installed massmove's own workflow (never a Snakefile a
   record names: a received record cannot make the audit run a stranger's code; a different
   version or commit from the record's is said in the report) in a fresh directory (relative
   named inputs are linked into it, so the config and its digest stay exactly as recorded; a
   named input whose path leaves the run directory is refused);
3. compares every product of the run as it is now on disk with the rerun's, and with the
   digest the provenance recorded.

An audit that compared no product is not a reproduction: it fails.

Statuses: ``identical`` (same bytes), ``within tolerance`` (only with a tolerance, see
:class:`Tolerance`), ``different``, ``missing`` (recorded or rerun, but not in the run),
``unexpected`` (in the run but neither recorded nor rerun). ``changed_since_record`` marks a
file whose bytes differ from what the provenance recorded.

Tolerance (off by default): on the same kind of machine every product is byte-identical
(the test suite checks it). On another device, float arithmetic differs (GPU kernels, TF32,
fp16/bf16 autocast, another CPU's vector units), so ``--float-atol A`` accepts GeoTIFFs whose
bands have the same shape, dtype and nodata mask and differ by at most ``A`` per pixel
(wrapped phase compared modulo 2 pi), and model weights (``*.safetensors``) whose tensors differ
by at most ``A``. Vector layers, tables and JSON records are always compared byte for byte.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from massmove import __version__
from massmove.config import repository_root
from massmove.errors import InputError
from massmove.io.atomic import write_json
from massmove.provenance import named_input_digests, named_inputs, tree_digests, workflow_record

STATUSES = ("identical", "within tolerance", "different", "missing", "unexpected")


@dataclass(frozen=True)
class Tolerance:
    """Per-pixel / per-weight absolute tolerance for float products (None: bytes only)."""

    float_atol: float | None = None


@dataclass
class AuditResult:
    """Per product its status, plus the named inputs that changed since the record."""

    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    changed_inputs: list[str] = field(default_factory=list)
    rerun_dir: str = ""
    rerun_returncode: int = 0
    # how the auditing software differs from the recorded one (version, workflow commit)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the rerun succeeded, no named input changed, at least one product was
        compared and every product is identical (or within the tolerance asked for)."""
        return (
            self.rerun_returncode == 0
            and not self.changed_inputs
            and bool(self.files)
            and all(f["status"] in ("identical", "within tolerance") for f in self.files.values())
        )

    def counts(self) -> dict[str, int]:
        """Number of products per status."""
        return {s: sum(f["status"] == s for f in self.files.values()) for s in STATUSES}

    def to_json(self) -> dict[str, Any]:
        """The report as written to JSON."""
        return {
            "ok": self.ok,
            "counts": self.counts(),
            "changed_inputs": self.changed_inputs,
            "rerun_dir": self.rerun_dir,
            "rerun_returncode": self.rerun_returncode,
            "notes": self.notes,
            "files": self.files,
        }


def load_provenance(provenance_json: str | Path) -> dict[str, Any]:
    """Read a provenance record; a clear error when it is not one."""
    path = Path(provenance_json)
    try:
        record = json.loads(path.read_text())
    except FileNotFoundError as err:
        raise InputError(f"{path}: no such provenance record") from err
    except json.JSONDecodeError as err:
        raise InputError(f"{path}: not JSON ({err.msg} at line {err.lineno})") from err
    missing = {"config", "outputs", "inputs", "workflow", "run_dir"} - set(record)
    if missing:
        raise InputError(f"{path}: not a massmove provenance record (no {', '.join(sorted(missing))})")
    return record


def changed_named_inputs(record: Mapping[str, Any], run_dir: Path) -> list[str]:
    """Named inputs whose files no longer have the recorded digests."""
    now = named_input_digests(record["config"], run_dir)
    return [name for name, digests in record.get("named_inputs", {}).items() if now.get(name) != digests]


def prepare_rerun_dir(record: Mapping[str, Any], run_dir: Path, rerun_dir: Path) -> Path:
    """Write the recorded config into ``rerun_dir`` and link relative named inputs into it.

    A relative named input must stay inside the run directory (``../x`` would be linked
    outside the rerun directory): refused with one line naming it.
    """
    names = named_inputs(record["config"])
    for name in names:
        path = Path(name).expanduser()
        # lexically: an earlier audit's links in a reused --workdir point outside by design
        if not path.is_absolute() and os.path.normpath(path).split(os.sep)[0] == "..":
            raise InputError(
                f"named input {name!r} of the provenance record leaves the run directory; refused"
            )
    rerun_dir.mkdir(parents=True, exist_ok=True)
    config_yaml = rerun_dir / "audit_config.yaml"
    config_yaml.write_text(yaml.safe_dump(record["config"], sort_keys=True))
    for name in names:
        if Path(name).expanduser().is_absolute():
            continue
        link = rerun_dir / name
        if not link.exists():
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to((run_dir / name).resolve())
    return config_yaml


def installed_snakefile() -> Path:
    """The workflow of this massmove installation (beside its package source)."""
    return repository_root() / "Snakefile"


def software_notes(record: Mapping[str, Any], snakefile: Path) -> list[str]:
    """How the auditing massmove and workflow differ from the recorded ones (empty: the same)."""
    notes = []
    recorded_version = record.get("massmove_version")
    if recorded_version != __version__:
        notes.append(f"massmove {__version__} audits a run recorded by massmove {recorded_version}")
    recorded_commit = (record.get("workflow") or {}).get("git_commit")
    current = workflow_record(snakefile)
    if recorded_commit and current["git_commit"] and recorded_commit != current["git_commit"]:
        notes.append(
            f"workflow commit {current['git_commit'][:12]} audits a run of commit {recorded_commit[:12]}"
        )
    elif recorded_commit and not current["git_commit"]:
        notes.append(
            f"the run was recorded at workflow commit {recorded_commit[:12]}; this one has no git record"
        )
    if current["git_dirty"] and (record.get("workflow") or {}).get("git_dirty") is False:
        notes.append("the auditing workflow has uncommitted changes")
    return notes


def rerun(
    record: Mapping[str, Any],
    run_dir: Path,
    rerun_dir: Path,
    *,
    cores: int,
    snakefile: str | Path | None,
    log: Path,
) -> int:
    """Run the workflow on the recorded config in ``rerun_dir``; return snakemake's exit code.

    The workflow is ``snakefile`` when given (the auditor's explicit choice), else the
    installed one; never the path a record names.
    """
    config_yaml = prepare_rerun_dir(record, run_dir, rerun_dir)
    snakefile = Path(snakefile) if snakefile else installed_snakefile()
    if not snakefile.is_file():
        raise InputError(f"{snakefile}: no such Snakefile")
    command = [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(snakefile),
        "--directory",
        str(rerun_dir),
        "--configfile",
        str(config_yaml),
        "--cores",
        str(cores),
        "--rerun-incomplete",
    ]
    with open(log, "w") as handle:
        return subprocess.run(command, stdout=handle, stderr=subprocess.STDOUT, check=False).returncode


def _wrapped(difference: np.ndarray) -> np.ndarray:
    return np.abs(np.angle(np.exp(1j * difference)))


def rasters_within(path_a: Path, path_b: Path, atol: float) -> bool:
    """Same bands, shape, dtype and nodata mask; every pixel within ``atol`` (phase bands
    compared on the circle)."""
    import rasterio

    with rasterio.open(path_a) as a, rasterio.open(path_b) as b:
        if (a.count, a.shape, a.dtypes, a.crs, a.transform) != (
            b.count,
            b.shape,
            b.dtypes,
            b.crs,
            b.transform,
        ):
            return False
        for band in range(1, a.count + 1):
            va, vb = a.read(band).astype(np.float64), b.read(band).astype(np.float64)
            if not np.array_equal(np.isnan(va), np.isnan(vb)):
                return False
            ok = ~np.isnan(va)
            phase = "phase" in (a.descriptions[band - 1] or "")
            difference = _wrapped(va[ok] - vb[ok]) if phase else np.abs(va[ok] - vb[ok])
            if difference.size and float(difference.max()) > atol:
                return False
    return True


def weights_within(path_a: Path, path_b: Path, atol: float) -> bool:
    """Same tensors (names, shapes) within ``atol``."""
    from safetensors.numpy import load_file

    a, b = load_file(str(path_a)), load_file(str(path_b))
    if a.keys() != b.keys():
        return False
    return all(
        a[k].shape == b[k].shape
        and np.allclose(a[k].astype(np.float64), b[k].astype(np.float64), rtol=0, atol=atol)
        for k in a
    )


def compare_file(path_run: Path, path_rerun: Path, tolerance: Tolerance) -> str:
    """``identical``, ``within tolerance`` or ``different`` (bytes first, then the tolerance)."""
    if path_run.read_bytes() == path_rerun.read_bytes():
        return "identical"
    if tolerance.float_atol is not None:
        try:
            if path_run.suffix == ".tif" and rasters_within(path_run, path_rerun, tolerance.float_atol):
                return "within tolerance"
            if path_run.suffix == ".safetensors" and weights_within(
                path_run, path_rerun, tolerance.float_atol
            ):
                return "within tolerance"
        except Exception:  # an unreadable file (e.g. changed bytes) is simply different
            return "different"
    return "different"


def compare_runs(
    record: Mapping[str, Any], run_dir: Path, rerun_dir: Path, tolerance: Tolerance = Tolerance()
) -> dict[str, dict[str, Any]]:
    """Status of every product of the run against the rerun (and against the record)."""
    recorded = {**record["inputs"], **record["outputs"]}
    now = tree_digests(run_dir)
    again = tree_digests(rerun_dir)
    report: dict[str, dict[str, Any]] = {}
    for path in sorted(set(recorded) | set(now) | set(again)):
        entry: dict[str, Any] = {
            "recorded_sha256": recorded.get(path),
            "run_sha256": now.get(path),
            "rerun_sha256": again.get(path),
        }
        if path not in now:
            entry["status"] = "missing"
        elif path not in again:
            entry["status"] = "unexpected" if path not in recorded else "different"
        elif now[path] == again[path]:
            entry["status"] = "identical"
        else:
            entry["status"] = compare_file(run_dir / path, rerun_dir / path, tolerance)
        entry["changed_since_record"] = path in recorded and now.get(path) != recorded[path]
        report[path] = entry
    return report


def audit(
    provenance_json: str | Path,
    *,
    cores: int = 2,
    workdir: str | Path | None = None,
    snakefile: str | Path | None = None,
    tolerance: Tolerance = Tolerance(),
) -> AuditResult:
    """Rerun the run recorded in ``provenance_json`` and compare (see the module docstring).

    Parameters
    ----------
    provenance_json
        ``results/provenance.json`` of the run; the run directory is the one it lies in
        (``RUN/results/provenance.json``), so a run copied elsewhere is audited where it is.
    cores
        Cores of the rerun.
    workdir
        Where to rerun (kept afterwards; an earlier audit's rerun there is reused as far as
        Snakemake finds it up to date). Default: a temporary directory, removed afterwards.
    snakefile
        The workflow to rerun with (default: the installed massmove's; the record's is never
        run, only compared with: a different version or commit is in ``notes``).
    tolerance
        Tolerance for float products (default: bytes only).
    """
    provenance_json = Path(provenance_json).resolve()
    record = load_provenance(provenance_json)
    run_dir = provenance_json.parent.parent
    result = AuditResult(
        changed_inputs=changed_named_inputs(record, run_dir),
        notes=software_notes(record, Path(snakefile) if snakefile else installed_snakefile()),
    )
    with tempfile.TemporaryDirectory(prefix="massmove-audit-") as scratch:
        rerun_dir = Path(workdir).resolve() if workdir else Path(scratch) / "rerun"
        log = Path(scratch) / "rerun.log"
        result.rerun_returncode = rerun(record, run_dir, rerun_dir, cores=cores, snakefile=snakefile, log=log)
        if result.rerun_returncode != 0:
            tail = log.read_text()[-3000:]
            raise InputError(
                f"the rerun of {provenance_json} failed (exit {result.rerun_returncode}):\n{tail}"
            )
        result.files = compare_runs(record, run_dir, rerun_dir, tolerance)
        result.rerun_dir = str(rerun_dir) if workdir else ""
    return result


def format_report(result: AuditResult) -> str:
    """Human-readable lines: one per product that is not identical, then the counts."""
    lines = [f"note: {note}" for note in result.notes]
    lines += [f"changed input: {name}" for name in result.changed_inputs]
    for path, entry in result.files.items():
        if entry["status"] != "identical":
            note = " (changed since the provenance record)" if entry["changed_since_record"] else ""
            lines.append(f"{entry['status']}: {path}{note}")
    counts = ", ".join(f"{n} {s}" for s, n in result.counts().items() if n) or "nothing compared"
    lines.append(f"{'OK' if result.ok else 'NOT REPRODUCED'}: {counts}")
    return "\n".join(lines) + "\n"


def write_audit(result: AuditResult, out_json: str | Path) -> None:
    """Write the audit report atomically."""
    write_json(out_json, result.to_json(), indent=2)


def default_cores() -> int:
    """All cores of this machine."""
    return os.cpu_count() or 1
