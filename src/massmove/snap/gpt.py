"""Running SNAP's ``gpt`` on a graph: executable lookup, command line, errors, orbit files."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from massmove.asf.orbits import EOF_NAME
from massmove.errors import ConfigError, InputError, ProcessingError
from massmove.io.atomic import atomic_path

log = logging.getLogger(__name__)

STDERR_TAIL_LINES = 20
TILE_CACHE_SHARE = 0.6  # of the Java heap


class GptError(ProcessingError):
    """gpt failed: its exit code and the last lines it wrote."""


def find_gpt(configured: str | None) -> str:
    """Path of gpt: ``snap.gpt`` of the config, else gpt on PATH.

    Raises
    ------
    ConfigError
        One line saying how to set ``snap.gpt``.
    """
    if configured:
        path = Path(configured).expanduser()
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
        raise ConfigError(
            f"config key 'snap.gpt': {configured} is not an executable file; set snap.gpt to the gpt "
            "of your SNAP installation (e.g. ~/esa-snap/bin/gpt)"
        )
    found = shutil.which("gpt")
    if found is None:
        raise ConfigError(
            "SNAP's gpt was not found on PATH; set snap.gpt in the config to its path "
            "(e.g. snap: {gpt: ~/esa-snap/bin/gpt}) or put SNAP's bin directory on PATH"
        )
    return found


def gpt_command(
    gpt: str, graph_xml: str | Path, *, threads: int, mem_mb: int, memory_fraction: float
) -> list[str]:
    """gpt's command line: ``-q`` from the rule's threads, ``-J-Xmx`` and ``-c`` from its memory."""
    heap_mb = max(256, int(mem_mb * memory_fraction))
    cache_mb = max(128, int(heap_mb * TILE_CACHE_SHARE))
    return [gpt, str(graph_xml), "-q", str(threads), "-c", f"{cache_mb}M", f"-J-Xmx{heap_mb}M"]


def _tail(text: str, lines: int = STDERR_TAIL_LINES) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def snap_version(gpt: str) -> str:
    """SNAP's version from ``gpt --diag`` ("unknown" when it does not say)."""
    try:
        result = subprocess.run([gpt, "--diag"], capture_output=True, text=True, timeout=300, check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise GptError(f"{gpt} --diag did not run: {err}") from err
    match = re.search(r"SNAP Release version\s+([\w.\-]+)", result.stdout + result.stderr)
    return match.group(1) if match else "unknown"


def run_gpt(command: Sequence[str], *, cwd: str | Path = ".") -> None:
    """Run gpt; its output goes to the log, a failure raises with its exit code and last lines."""
    log.info("running: %s", " ".join(command))
    try:
        result = subprocess.run(list(command), capture_output=True, text=True, cwd=cwd, check=False)
    except OSError as err:
        raise GptError(f"{command[0]} did not start: {err}") from err
    if result.stdout.strip():
        log.info("gpt stdout (last lines):\n%s", _tail(result.stdout))
    if result.stderr.strip():
        log.info("gpt stderr (last lines):\n%s", _tail(result.stderr))
    if result.returncode != 0:
        raise GptError(
            f"gpt failed with exit code {result.returncode} on {command[1]}; last lines:\n"
            f"{_tail(result.stderr or result.stdout)}"
        )


def place_orbit_files(
    orbit_files: Sequence[str | Path], record_files: Sequence[str | Path], auxdata_dir: str | Path
) -> list[Path]:
    """Copy the run's verified orbit files where SNAP looks for them, so it does not download.

    The run stores each orbit as ``resources/orbits/{scene}.EOF`` beside a JSON record that
    names the original file; SNAP reads
    ``{auxdata}/Orbits/Sentinel-1/{POEORB|RESORB}/{S1A|...}/{YYYY}/{MM}/{original name}``
    (year and month of the start of validity, ``..._V{YYYYMMDD}T...``).
    """
    placed = []
    for orbit, record in zip(map(Path, orbit_files), map(Path, record_files), strict=True):
        name = json.loads(record.read_text())["orbit_file"]
        match = EOF_NAME.match(name)
        if match is None:
            raise InputError(f"{record}: orbit file {name!r} is not a Sentinel-1 orbit file name")
        year, month = match["start"][:4], match["start"][4:6]
        target = Path(auxdata_dir).expanduser() / "Orbits" / "Sentinel-1" / match["kind"] / match["mission"]
        target = target / year / month
        target.mkdir(parents=True, exist_ok=True)
        destination = target / name
        if not destination.exists():
            with atomic_path(destination) as tmp:
                shutil.copyfile(orbit, tmp)
        placed.append(destination)
    return placed
