"""The evaluation report rendered by a real headless Chromium (Debian's ``chromium`` package):
the screenshot is not blank, and the DOM after the page's script ran holds the charts and one
table row per question."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.integration.test_eval import full_run_dir

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="headless Chromium is not installed at "
                       "/usr/bin/chromium (apt-get install -y chromium)"),
]


def chromium(url: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args, url],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def report(tmp_path_factory, sample_index) -> Path:
    return full_run_dir(tmp_path_factory, sample_index) / "report.html"


def test_screenshot_is_not_blank(report, tmp_path):
    from PIL import Image

    shot = tmp_path / "report.png"
    proc = chromium(report.as_uri(), tmp_path / "profile", "--window-size=1400,2000",
                    f"--screenshot={shot}", "--hide-scrollbars")
    assert shot.exists(), proc.stderr[-2000:]
    img = Image.open(shot).convert("RGB")
    assert img.size == (1400, 2000)
    colours = img.getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 50  # text, bars and shading, not one colour
    # the metric bars' blue is drawn, and a good share of the page is not background
    assert any(c == (47, 111, 176) for _, c in colours)
    white = sum(n for n, c in colours if c == (255, 255, 255))
    assert white < 0.95 * img.size[0] * img.size[1]


def test_dom_has_the_charts_and_every_question_row(report, tmp_path):
    proc = chromium(report.as_uri(), tmp_path / "profile", "--dump-dom",
                    "--virtual-time-budget=2000")
    dom = proc.stdout
    assert "<svg" in dom, proc.stderr[-2000:]
    for cls in ("metric-bars", "latency-histogram", "tag-heatmap"):
        assert re.search(rf'<svg[^>]*class="chart {cls}"', dom), cls
    assert len(re.findall(r'<rect class="bar"', dom)) >= 10  # one per 0-1 metric measured
    assert len(re.findall(r'<rect class="hist-bar"', dom)) == 12
    assert len(re.findall(r'<tr class="q"', dom)) == 52
    assert len(re.findall(r'<blockquote class="quote', dom)) >= 1
    # the filter script ran: it writes the row count
    assert re.search(r'id="f-count"[^>]*>showing 52 of 52<', dom)
    for key in ("hit@5", "mrr", "ndcg@10", "citation_validity", "refusal_recall"):
        assert f'id="def-{key}"' in dom
