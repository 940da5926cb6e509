"""The evaluation report rendered by a real headless Chromium (Debian's ``chromium`` package):
the screenshot is not blank, and the DOM after the page's script ran holds the charts and one
table row per question."""

from __future__ import annotations

import re
import struct
import subprocess
import zlib
from collections import Counter
from pathlib import Path

import pytest

from tests.integration.test_eval import N_QUESTIONS, full_run_dir

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="headless Chromium is not installed at "
        "/usr/bin/chromium (apt-get install -y chromium)",
    ),
]


def chromium(url: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args, url],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def report(tmp_path_factory, sample_index) -> Path:
    return full_run_dir(tmp_path_factory, sample_index) / "report.html"


def png_pixels(data: bytes) -> tuple[int, int, list[tuple[int, ...]]]:
    """Decode an 8-bit, non-interlaced RGB/RGBA PNG with the standard library: (width, height,
    pixels as RGB tuples). Enough for Chromium's screenshots, without an imaging dependency."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
    bpp = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(idat), width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f, line = (
            raw[y * (stride + 1)],
            bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]),
        )
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    pixels = [tuple(r[i : i + 3]) for r in rows for i in range(0, stride, bpp)]
    return width, height, pixels


def test_screenshot_is_not_blank(report, tmp_path):
    shot = tmp_path / "report.png"
    proc = chromium(
        report.as_uri(),
        tmp_path / "profile",
        "--window-size=1200,1400",
        f"--screenshot={shot}",
        "--hide-scrollbars",
    )
    assert shot.exists(), proc.stderr[-2000:]
    width, height, pixels = png_pixels(shot.read_bytes())
    assert (width, height) == (1200, 1400)
    colours = Counter(pixels)
    assert len(colours) > 50  # text, bars and shading, not one flat colour
    assert colours[(47, 111, 176)] > 1000  # the metric bars' blue is drawn
    assert colours[(255, 255, 255)] < 0.95 * width * height  # the page is not mostly empty


def test_dom_has_the_charts_and_every_question_row(report, tmp_path):
    proc = chromium(
        report.as_uri(), tmp_path / "profile", "--dump-dom", "--virtual-time-budget=2000"
    )
    dom = proc.stdout
    assert "<svg" in dom, proc.stderr[-2000:]
    for cls in ("metric-bars", "latency-histogram", "tag-heatmap"):
        assert re.search(rf'<svg[^>]*class="chart {cls}"', dom), cls
    assert len(re.findall(r'<rect class="bar"', dom)) >= 10  # one per 0-1 metric measured
    assert len(re.findall(r'<rect class="hist-bar"', dom)) == 12
    assert len(re.findall(r'<tr class="q"', dom)) == N_QUESTIONS
    assert len(re.findall(r'<blockquote class="quote', dom)) >= 1
    # the filter script ran: it writes the row count
    assert re.search(rf'id="f-count"[^>]*>showing {N_QUESTIONS} of {N_QUESTIONS}<', dom)
    for key in ("hit@5", "mrr", "ndcg@10", "citation_validity", "refusal_recall"):
        assert f'id="def-{key}"' in dom


def test_the_report_opens_with_the_clearance_and_the_banner(report, sample_index, tmp_path):
    from tests.integration.test_eval import invoke

    subset = tmp_path / "subset.jsonl"
    subset.write_text(
        "".join(
            ln + "\n"
            for ln in (Path(__file__).parents[2] / "samples" / "qa.jsonl")
            .read_text()
            .splitlines()[:12]
        )
    )
    r = invoke(
        sample_index.settings.data_dir,
        str(subset),
        "--out",
        str(tmp_path / "low"),
        "--clearance",
        "UNMARKED",
    )
    assert r.exit_code == 0, r.stdout + r.stderr
    proc = chromium(
        (tmp_path / "low" / "report.html").as_uri(),
        tmp_path / "profile",
        "--dump-dom",
        "--virtual-time-budget=2000",
    )
    dom = proc.stdout
    h1 = dom.index("<h1>")
    clearance = dom.index('id="clearance"')
    banner = re.search(r'id="clearance-banner"[^>]*>([^<]+)<', dom)
    assert banner, proc.stderr[-2000:]
    assert h1 < clearance < banner.start() < dom.index('id="config"') < dom.index('id="summary"')
    assert re.search(
        r"\d+ of the \d+ gold documents are above the clearance UNMARKED", banner.group(1)
    )
    assert "rerun with --clearance" in banner.group(1)
    # At TOP SECRET (the headline run) nothing is hidden: the clearance shows, no banner.
    top = report.read_text()
    assert "Evaluated at clearance <b>TOP SECRET</b>" in top and "clearance-banner" not in top
