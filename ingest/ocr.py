"""OCR of PDF pages that have no text layer: scans, faxes, pages printed to outlines.

The PDF loader asks :class:`PageOcr` for the pages whose text layer is empty but which draw
something. Each page is rendered on its own (pypdfium2), read by Tesseract (pytesseract) and
released before the next one, so a 300-page scan never holds more than one page image. What
Tesseract read, with its mean word confidence, is cached under the data folder by the file's
content hash, the page number and the OCR settings: a re-sync, a ``--full`` rebuild or a
sidecar change never reads a page twice.

The engine is behind the small :class:`OcrEngine` seam (``read(image) -> OcrText``) so that
the cache and the page loop do not depend on Tesseract being installed; when it is not,
``PageOcr.available`` is False and the loader reports the scan with the install hint.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)

INSTALL_HINT = (
    "install Tesseract to OCR it during ingest (Debian/Ubuntu: apt-get install "
    "tesseract-ocr tesseract-ocr-msa), or run OCR on it before indexing"
)
# Bump when what is cached changes meaning (rendering, text clean-up): old entries are ignored.
CACHE_VERSION = 1


@dataclass(frozen=True)
class OcrText:
    """What the engine read from one page image: the text and its mean word confidence (0-100)."""

    text: str
    confidence: float


@dataclass
class OcrStats:
    """What OCR did during one load or one sync (pages read, taken from the cache, weak)."""

    read: int = 0  # pages the engine read
    cached: int = 0  # pages answered from the cache
    low: list[tuple[str, int, float]] = field(default_factory=list)  # (source, page, conf)

    def add(self, other: OcrStats) -> None:
        self.read += other.read
        self.cached += other.cached
        self.low.extend(other.low)


class OcrEngine(Protocol):
    """An OCR engine: reads one page image (a PIL image)."""

    name: str

    def read(self, image: Any) -> OcrText: ...


class TesseractEngine:
    """Tesseract through pytesseract: text and mean confidence of the words it kept."""

    def __init__(self, languages: str = "eng+msa") -> None:
        import pytesseract

        self._pt = pytesseract
        have = set(pytesseract.get_languages(config=""))
        wanted = [x for x in languages.split("+") if x]
        langs = [x for x in wanted if x in have] or ["eng"]
        missing = [x for x in wanted if x not in have]
        if missing:
            log.warning(
                "Tesseract has no data for %s (installed: %s); OCR uses %s",
                ", ".join(missing),
                ", ".join(sorted(have)),
                "+".join(langs),
            )
        self.languages = "+".join(langs)
        self.name = f"tesseract-{pytesseract.get_tesseract_version()}-{self.languages}"
        self.calls = 0
        self._lock = threading.Lock()

    def read(self, image: Any) -> OcrText:
        data = self._pt.image_to_data(image, lang=self.languages, output_type=self._pt.Output.DICT)
        with self._lock:
            self.calls += 1
        return text_from_words(data)


def text_from_words(data: dict[str, list[Any]]) -> OcrText:
    """Rebuild lines and paragraphs from Tesseract's word table (``image_to_data``), and the
    mean confidence of the words that carry text. Paragraphs are separated by a blank line so
    the chunker keeps them apart, as it does for text PDFs."""
    paras: list[list[str]] = []
    confs: list[float] = []
    last_para: tuple[int, int, int] | None = None
    last_line: tuple[int, int, int, int] | None = None
    for i, word in enumerate(data.get("text", [])):
        word = (word or "").strip()
        conf = float(data["conf"][i])
        if not word or conf < 0:
            continue
        para = (data["page_num"][i], data["block_num"][i], data["par_num"][i])
        line = (*para, data["line_num"][i])
        if para != last_para:
            paras.append([word])
        elif line != last_line:
            paras[-1].append("\n" + word)
        else:
            paras[-1].append(" " + word)
        last_para, last_line = para, line
        confs.append(conf)
    text = "\n\n".join("".join(p) for p in paras)
    return OcrText(text, round(sum(confs) / len(confs), 1) if confs else 0.0)


def tesseract_available() -> bool:
    """Whether the tesseract program and its Python binding are installed."""
    if shutil.which("tesseract") is None:
        return False
    try:
        import pypdfium2  # noqa: F401
        import pytesseract  # noqa: F401
    except ImportError:
        return False
    return True


class OcrCache:
    """OCR output on disk, one small JSON file per (file hash, page, engine settings)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, sha256: str, page: int, settings_key: str) -> Path:
        key = hashlib.sha256(f"{CACHE_VERSION}|{settings_key}".encode()).hexdigest()[:12]
        return self.root / sha256[:2] / f"{sha256}-{key}-p{page:05d}.json"

    def get(self, sha256: str, page: int, settings_key: str) -> OcrText | None:
        try:
            raw = json.loads(self._path(sha256, page, settings_key).read_text("utf-8"))
            return OcrText(str(raw["text"]), float(raw["confidence"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, sha256: str, page: int, settings_key: str, value: OcrText) -> None:
        path = self._path(sha256, page, settings_key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps({"text": value.text, "confidence": value.confidence}), "utf-8")
        tmp.replace(path)  # atomic: a killed sync never leaves half an entry


class PageOcr:
    """Reads the image-only pages of a PDF, one page at a time, through the cache.

    ``engine`` None means no OCR engine is installed: ``available`` is False and the loader
    reports scans as it would without OCR.
    """

    def __init__(
        self,
        engine: OcrEngine | None,
        cache: OcrCache | None,
        dpi: int = 300,
        low_confidence: float = 60.0,
    ) -> None:
        self.engine = engine
        self.cache = cache
        self.dpi = dpi
        self.low_confidence = low_confidence
        self.stats = OcrStats()
        self._lock = threading.Lock()

    @property
    def available(self) -> bool:
        return self.engine is not None

    @property
    def settings_key(self) -> str:
        return f"{self.engine.name if self.engine else 'none'}|{self.dpi}"

    def read_pages(self, source: str, data: bytes, pages: list[int]) -> dict[int, OcrText]:
        """OCR the 1-based ``pages`` of the PDF ``data``; returns page -> text and confidence.

        Pages that draw nothing (blank) are left out. Raises RuntimeError when the engine fails.
        """
        if self.engine is None or not pages:
            return {}
        sha = hashlib.sha256(data).hexdigest()
        out: dict[int, OcrText] = {}
        todo: list[int] = []
        stats = OcrStats()
        for n in pages:
            hit = self.cache.get(sha, n, self.settings_key) if self.cache else None
            if hit is not None:
                stats.cached += 1
                out[n] = hit
            else:
                todo.append(n)
        if todo:
            import pypdfium2 as pdfium

            pdf = pdfium.PdfDocument(data)
            try:
                for n in todo:
                    page = pdf[n - 1]
                    try:
                        if not any(True for _ in page.get_objects()):
                            continue  # a blank page: nothing to read
                        bitmap = page.render(scale=self.dpi / 72, grayscale=True)
                        image = bitmap.to_pil()
                        try:
                            got = self.engine.read(image)
                        finally:  # one page image at a time, whatever the page count
                            image.close()
                            bitmap.close()
                    finally:
                        page.close()
                    stats.read += 1
                    out[n] = got
                    if self.cache:
                        self.cache.put(sha, n, self.settings_key, got)
            finally:
                pdf.close()
        for n, got in sorted(out.items()):
            if got.text.strip() and got.confidence < self.low_confidence:
                stats.low.append((source, n, got.confidence))
        with self._lock:
            self.stats.add(stats)
        return out


def build_page_ocr(
    mode: str, languages: str, cache_dir: Path, dpi: int = 300, low_confidence: float = 60.0
) -> PageOcr:
    """The OCR the settings ask for: ``mode`` "auto" uses Tesseract when it is installed,
    "off" never OCRs. Returns a PageOcr whose ``available`` says whether pages can be read."""
    engine: OcrEngine | None = None
    if mode != "off" and tesseract_available():
        from accord.settings import configure_ocr_threads

        configure_ocr_threads()
        try:
            engine = TesseractEngine(languages)
        except Exception as exc:  # a broken install: scans are reported, nothing else is lost
            log.warning("Tesseract is installed but cannot run (%s); scans are not OCR'd", exc)
    return PageOcr(engine, OcrCache(cache_dir), dpi, low_confidence)
