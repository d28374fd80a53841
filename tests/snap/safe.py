"""Zipped SAFE products built from real IW SLC annotation (metadata only, no measurement data)."""

from __future__ import annotations

import datetime as dt
import gzip
import re
import zipfile
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "s1_annotation"
REFERENCE_NAME = "S1B_IW_SLC__1SDV_20210401T052622_20210401T052650_026269_032297_EFA4"
ANNOTATIONS = {
    "IW1": "s1b-iw1-slc-vh-20210401t052624-20210401t052649-026269-032297-001.xml",
    "IW2": "s1b-iw2-slc-vh-20210401t052622-20210401t052650-026269-032297-002.xml",
}


def shifted_annotation(text: str, *, days: int, drop_first: int, keep_first: int | None = None) -> str:
    """The same track ``days`` later, its product starting ``drop_first`` bursts later.

    ``keep_first`` keeps only that many bursts of the original list (a slice of the pass).
    """

    def later(match: re.Match) -> str:
        when = dt.datetime.fromisoformat(match.group(2)) + dt.timedelta(days=days)
        return f"<{match.group(1)}>{when.isoformat()}</{match.group(1)}>"

    text = re.sub(r"<(azimuthTime|ascendingNodeTime)>([0-9T:.\-]+)</\1>", later, text)
    if drop_first or keep_first is not None:
        head, burst_list = text.split("<burstList", 1)
        bursts = re.findall(r"<burst>.*?</burst>", burst_list, flags=re.S)
        tail = burst_list.split("</burstList>", 1)[1]
        kept = bursts[drop_first:keep_first]
        text = f'{head}<burstList count="{len(kept)}">{"".join(kept)}</burstList>{tail}'
    absolute = int(re.search(r"<absoluteOrbitNumber>(\d+)<", text).group(1))
    return text.replace(
        f"<absoluteOrbitNumber>{absolute}<", f"<absoluteOrbitNumber>{absolute + 175 * days // 12}<"
    )


def make_safe_zip(
    directory: Path,
    *,
    days: int = 0,
    drop_first: int = 0,
    keep_first: int | None = None,
    start_offset_s: int = 0,
) -> Path:
    """A zipped SAFE holding the VH annotation of IW1 and IW2 (shifted by ``days`` when asked).

    ``drop_first``/``keep_first`` cut the burst lists (a later frame, or a slice of the pass);
    ``start_offset_s`` moves the start in the product name (another slice of the same pass).
    """
    start = dt.datetime(2021, 4, 1, 5, 26, 22) + dt.timedelta(days=days, seconds=start_offset_s)
    name = REFERENCE_NAME.replace("20210401T052622", f"{start:%Y%m%dT%H%M%S}")
    name = name.replace("20210401T052650", f"{start + dt.timedelta(seconds=28):%Y%m%dT%H%M%S}")
    path = directory / f"{name}.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{name}.SAFE/manifest.safe", "<xfdu:XFDU/>")
        for member in ANNOTATIONS.values():
            text = gzip.decompress((FIXTURES / f"{member}.gz").read_bytes()).decode()
            if days or drop_first or keep_first is not None:
                text = shifted_annotation(text, days=days, drop_first=drop_first, keep_first=keep_first)
            archive.writestr(f"{name}.SAFE/annotation/{member.replace('20210401', f'{start:%Y%m%d}')}", text)
    return path
