"""OCR benchmark: what OCR costs on scans, and that it costs nothing on text-only folders.

    python benchmarks/ocr.py [--corpus ../shared/corpus] [--files 150] [--work DIR] [--text-only]

Figures, each phase in a fresh process (peak memory is the phase's own):
- text-only folder (the corpus PDFs with a text layer on every page and the first N Markdown
  files of the corpus):
  a full sync with ACCORD_OCR=off (the baseline, ingest as it was) and with ACCORD_OCR=auto;
- the scanned corpus PDF (16 pages, no text layer): a first sync (every page OCR'd) and a
  rebuild (--full) that takes every page from the OCR cache.
Not a test: it prints figures and never fails on time.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import CORPUS, emit, run_phase  # noqa: E402

SCAN = "PostOfficeHorizon-IT-Inquiry-Response.pdf"


def text_folder(corpus: Path, work: Path, n: int) -> Path:
    from pypdf import PdfReader

    out = work / "text-docs"
    if out.exists():
        return out
    out.mkdir(parents=True)
    for pdf in sorted((corpus / "pdf").glob("*.pdf")):
        # Only PDFs with a text layer on every page: a blank or image page inside a text PDF
        # is OCR'd (as it should be), which is not what this comparison is about.
        if all(len((p.extract_text() or "").strip()) >= 20 for p in PdfReader(str(pdf)).pages):
            shutil.copy(pdf, out / pdf.name)
    for md in sorted((corpus / "whitehouse").rglob("*.md"))[:n]:
        shutil.copy(md, out / md.name)
    return out


def phase(kind: str, folder: Path, data: Path, ocr: str, full: bool) -> None:
    from accord.runtime import Runtime
    from accord.settings import Settings

    rt = Runtime(Settings(_env_file=None, data_dir=data, ocr=ocr))
    t = time.perf_counter()
    res = rt.syncer().run(folder, full=full)
    secs = time.perf_counter() - t
    emit(
        {
            "kind": kind,
            "files": res.added + res.updated,
            "chunks": res.chunks_written,
            "seconds": round(secs, 2),
            "files_per_s": round((res.added + res.updated) / secs, 2),
            "ocr_read": res.ocr.read,
            "ocr_cached": res.ocr.cached,
            "failed": len(res.failed),
        }
    )
    rt.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--phase")
    ap.add_argument("--folder", type=Path)
    ap.add_argument("--data", type=Path)
    ap.add_argument("--ocr", default="auto")
    ap.add_argument("--full", action="store_true")
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--files", type=int, default=150)
    ap.add_argument("--work", type=Path, default=Path("/tmp/accord-ocr-bench"))
    ap.add_argument("--text-only", action="store_true", help="skip the scan phases")
    a = ap.parse_args()
    if a.phase:
        phase(a.phase, a.folder, a.data, a.ocr, a.full)
        return
    shutil.rmtree(a.work, ignore_errors=True)
    text = text_folder(a.corpus, a.work, a.files)
    scans = a.work / "scan-docs"
    scans.mkdir(parents=True)
    shutil.copy(a.corpus / "pdf" / SCAN, scans / SCAN)
    script = Path(__file__)
    rows = [
        run_phase(
            script,
            "text, OCR off (baseline)",
            "--folder",
            str(text),
            "--data",
            str(a.work / "d-off"),
            "--ocr",
            "off",
        ),
        run_phase(
            script,
            "text, OCR auto",
            "--folder",
            str(text),
            "--data",
            str(a.work / "d-auto"),
            "--ocr",
            "auto",
        ),
    ]
    if not a.text_only:
        rows += [
            run_phase(
                script, "scan, first sync", "--folder", str(scans), "--data", str(a.work / "d-scan")
            ),
            run_phase(
                script,
                "scan, rebuild (cache)",
                "--folder",
                str(scans),
                "--data",
                str(a.work / "d-scan"),
                "--full",
            ),
        ]
    head = (
        f"{'run':28} {'files':>5} {'chunks':>6} {'seconds':>8} {'files/s':>8} "
        f"{'OCR read':>8} {'cached':>6} {'peak MB':>8}"
    )
    print(head)
    for r in rows:
        print(
            f"{r['kind']:28} {r['files']:>5} {r['chunks']:>6} {r['seconds']:>8} "
            f"{r['files_per_s']:>8} {r['ocr_read']:>8} {r['ocr_cached']:>6} "
            f"{r['peak_rss_mb']:>8}"
        )
    base, auto = rows[0], rows[1]
    print(
        f"text-only throughput with OCR on: {auto['files_per_s'] / base['files_per_s']:.2f}x "
        "the baseline (same files, same run)"
    )


if __name__ == "__main__":
    main()
