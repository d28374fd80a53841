"""Fixtures of the SNAP engine tests: SAFE zips of real annotation, a stand-in gpt."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest
import shapely

from tests.snap.safe import make_safe_zip

REPO = Path(__file__).resolve().parents[2]

# across the IW1/IW2 seam of the fixture product (lon/lat): bursts of both subswaths
AOI_TWO_SUBSWATHS = (11.05, 46.30, 11.20, 46.36)


@pytest.fixture
def safe_pair(tmp_path: Path) -> tuple[Path, Path]:
    """Reference SAFE zip and one 12 days later that starts two bursts later."""
    directory = tmp_path / "slc"
    directory.mkdir()
    return make_safe_zip(directory), make_safe_zip(directory, days=12, drop_first=2)


@pytest.fixture
def aoi_two_subswaths() -> shapely.Polygon:
    """An AOI that needs IW1 and IW2."""
    return shapely.box(*AOI_TWO_SUBSWATHS)


@pytest.fixture
def fake_gpt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """An executable stand-in gpt and the file its calls are logged to."""
    directory = tmp_path / "fake-snap" / "bin"
    directory.mkdir(parents=True)
    gpt = directory / "gpt"
    gpt.write_text(
        f"#!{sys.executable}\n"
        "import sys\n"
        f"sys.path.insert(0, {str(REPO)!r})\n"
        "from tests.snap.fake_gpt import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    gpt.chmod(gpt.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    calls = tmp_path / "gpt_calls.jsonl"
    monkeypatch.setenv("FAKE_GPT_CALLS", str(calls))
    return gpt, calls
