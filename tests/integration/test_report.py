"""The run report of the tiny run: self-contained, its numbers those of the evaluations, and
rendered by headless Chromium with every image and without one network request."""

from __future__ import annotations

import base64
import html
import json
import re
import shutil
import socketserver
import subprocess
import threading
from pathlib import Path

import pytest

from massmove.report.html import POOLED_ROWS, counts_behind
from massmove.scores import format_score

pytestmark = pytest.mark.slow

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"
#: the panels of every pair, side by side (alt text after the pair id)
PANELS = (
    "wrapped phase",
    "likelihood mean",
    "likelihood spread",
    "coherence",
    "classical baseline on the phase",
)
#: Chromium without its own background traffic where flags allow (what remains is measured
#: on a blank page and subtracted by host)
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--no-first-run",
    "--no-pings",
    "--virtual-time-budget=5000",
    "--dump-dom",
]
#: appended to a copy of the report: which images decoded, and which resources were fetched
PROBE = (
    "<script>document.body.setAttribute('data-probe', JSON.stringify({"
    "images: [...document.images].map(i => i.complete && i.naturalWidth > 0),"
    "resources: performance.getEntriesByType('resource').map(e => e.name)}))</script>"
)


def test_report_is_self_contained_and_shows_the_evaluations(tiny_run):
    text = (tiny_run / "results/report.html").read_text()
    # nothing external: every src/href is an inline data URI or an anchor, no URL at all
    references = re.findall(r'(?:src|href)="([^"]*)"', text)
    assert references and all(
        r.startswith(("data:image/png;base64,", "data:image/jpeg;base64,")) for r in references
    )
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", text, flags=re.IGNORECASE)
    assert "<link" not in text and "@import" not in text and "url(" not in text and "<script" not in text
    images = dict(re.findall(r'alt="([^"]*)" src="data:image/\w+;base64,([^"]*)"', text))
    decoded = {alt: base64.b64decode(data) for alt, data in images.items()}
    assert all(d.startswith((PNG_SIGNATURE, JPEG_SIGNATURE)) and len(d) > 100 for d in decoded.values())
    pairs = sorted(p.stem for p in (tiny_run / "results/interferograms").glob("*.tif"))
    for pair in pairs:  # per pair, side by side: phase, likelihood mean and spread, coherence
        for panel in PANELS:
            assert len(decoded[f"{pair} {panel}"]) > 2000
    # the gallery: every detection and missed pattern of the ensemble, labelled
    ensemble = json.loads((tiny_run / "results/evaluation.json").read_text())
    counts = ensemble["counts"]
    labels = re.findall(r'alt="(hit|false alarm|miss) [A-Z]\d{3}_\d{8}_\d{8}"', text)
    assert labels.count("hit") == counts["matched"]
    assert labels.count("false alarm") == counts["detections"] - counts["matched"]
    assert labels.count("miss") == counts["references"] - counts["matched"]
    # the pooled figures of both detectors, as the evaluations hold them, with their counts
    baseline = json.loads((tiny_run / "results/baseline/evaluation.json").read_text())
    for label, key, metric, kind in POOLED_ROWS:
        cells = [format_score(e[key], metric) for e in (ensemble, baseline)]
        cells = [
            f"{c} ({counts_behind(e['counts'], kind)})" if kind else c
            for c, e in zip(cells, (ensemble, baseline), strict=True)
        ]
        row = f"<tr><td>{html.escape(label)}</td><td>{cells[0]}</td><td>{cells[1]}</td></tr>"
        assert row in text
    assert "<th>unetplusplus</th><th>baseline</th>" in text
    # run metadata of the provenance record
    provenance = json.loads((tiny_run / "results/provenance.json").read_text())
    assert provenance["config_digest"] in text
    assert html.escape(provenance["versions"]["torch"]) in text
    # job timings, named by rule, results tree (both detectors) and pair
    assert f"segment/results/{pairs[0]}" in text and f"segment/results/baseline/{pairs[0]}" in text


class _Recorder(socketserver.StreamRequestHandler):
    """A proxy that answers every request with 502 and records its first line."""

    def handle(self) -> None:
        self.server.requests.append(self.rfile.readline().decode(errors="replace").strip())
        self.wfile.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


def _host(request_line: str) -> str:
    target = request_line.split()[1] if len(request_line.split()) > 1 else ""
    return re.sub(r"^[a-z]+://", "", target).split("/")[0].split(":")[0]


def _render(page: Path, profile: Path) -> tuple[str, list[str]]:
    """DOM after headless Chromium loaded ``page``, and the requests it sent out."""
    chromium = shutil.which("chromium")
    assert chromium, "no chromium on PATH: tools/install-chromium.sh installs it"
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Recorder)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        result = subprocess.run(
            [
                chromium,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                f"--proxy-server=http://127.0.0.1:{server.server_address[1]}",
                page.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout, list(server.requests)


def test_report_renders_offline_in_headless_chromium(tiny_run, tmp_path):
    page = tmp_path / "report.html"
    page.write_text((tiny_run / "results/report.html").read_text().replace("</body>", PROBE + "</body>"))
    blank = tmp_path / "blank.html"
    blank.write_text("<html><body>" + PROBE + "</body></html>")
    dom, requests = _render(page, tmp_path / "profile")
    _, browser_own = _render(blank, tmp_path / "profile-blank")
    probe = json.loads(html.unescape(re.search(r"data-probe=\"([^\"]*)\"", dom).group(1)))
    text = (tiny_run / "results/report.html").read_text()
    assert (
        len(probe["images"])
        == text.count("<img ")
        > 5 * len(list((tiny_run / "results/interferograms").glob("*.tif")))
    )
    assert all(probe["images"])  # every image decoded and has a size
    assert probe["resources"] == []  # the page fetched nothing
    # no request left the browser because of the report (Chromium's own update checks, seen on
    # a blank page too, are not the report's)
    own_hosts = {_host(r) for r in browser_own}
    assert [r for r in requests if _host(r) not in own_hosts] == []


def test_the_proxy_check_catches_a_page_that_fetches(tmp_path):
    """The same check fails on a page with one remote image (so it can fail)."""
    page = tmp_path / "remote.html"
    page.write_text('<html><body><img src="http://massmove.invalid/x.png">' + PROBE + "</body></html>")
    dom, requests = _render(page, tmp_path / "profile")
    assert any(_host(r) == "massmove.invalid" for r in requests)
    probe = json.loads(html.unescape(re.search(r"data-probe=\"([^\"]*)\"", dom).group(1)))
    assert probe["images"] == [False]


def test_snakemake_report_holds_the_run_report_with_its_caption(tiny_run, tmp_path):
    import zipfile

    from tests.runs import CONFIG_NAME, snakemake

    archive = tmp_path / "report.zip"
    snakemake(tiny_run, "--configfile", str(tiny_run / CONFIG_NAME), "--report", str(archive))
    with zipfile.ZipFile(archive) as bundle:
        names = bundle.namelist()
        page = bundle.read("report/report.html").decode()
        embedded = [n for n in names if n.endswith("/report.html") and n != "report/report.html"]
        assert len(embedded) == 1
        assert bundle.read(embedded[0]) == (tiny_run / "results/report.html").read_bytes()
    # captions rendered with the run's config (the object IoU threshold, the tracks)
    assert "self-contained (opens offline)" in page
    assert "object IoU threshold\\n0.4)" in page  # (the page holds captions as escaped text)
    assert "on tracks\\n['A088', 'D066']" in page
