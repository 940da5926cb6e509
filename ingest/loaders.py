"""Loaders: turn one file into extracted text (plus page starts and front matter).

Each loader raises :class:`accord.errors.DocumentError` with a specific reason and code when the
file cannot be used; the sync reports it by name and goes on with the other files.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from accord.errors import DocumentError

if TYPE_CHECKING:
    from ingest.ocr import PageOcr

SUPPORTED_SUFFIXES = (".pdf", ".txt", ".md", ".markdown", ".html", ".htm", ".docx")
SIDECAR_SUFFIX = ".meta.yaml"


@dataclass
class Loaded:
    """What a loader returns: canonical text, page starts (PDF), and metadata it found."""

    text: str
    page_starts: list[int] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)  # front matter, PDF/HTML/docx properties
    notes: list[str] = field(default_factory=list)  # e.g. "decoded as cp1252"
    # Text outside the body where markings are printed (Word headers and footers, HTML header
    # and footer elements, classification meta tags): read for markings, not indexed.
    marking_zones: list[tuple[str, str]] = field(default_factory=list)
    ocr_pages: dict[int, float] = field(default_factory=dict)  # page read by OCR -> confidence
    # Where the file itself marks a heading (HTML h1-h4, Word heading styles): (start, end) in
    # ``text``. Sections are named by them as well as by what reads as a heading.
    headings: list[tuple[int, int]] = field(default_factory=list)


def heading_spans(text: str, headings: list[str]) -> list[tuple[int, int]]:
    """The spans of ``headings`` (block texts, in document order) in ``text``: each found as
    a whole block, searching on from the previous one."""
    out: list[tuple[int, int]] = []
    pos = 0
    for h in headings:
        at = text.find(h, pos)
        while at >= 0 and not (
            (at == 0 or text[at - 1] == "\n")
            and (at + len(h) == len(text) or text[at + len(h)] == "\n")
        ):
            at = text.find(h, at + 1)
        if at >= 0:
            out.append((at, at + len(h)))
            pos = at + len(h)
    return out


def is_sidecar(path: Path) -> bool:
    return path.name.endswith(SIDECAR_SUFFIX)


def load(path: Path, rel: str, data: bytes, ocr: PageOcr | None = None) -> Loaded:
    """Load ``data`` (the bytes of ``path``) by its suffix; PDF pages without a text layer are
    read by ``ocr`` when it is given and available.

    Returns the extracted text; raises DocumentError naming ``rel`` and the reason.
    """
    suffix = path.suffix.lower()
    if not data.strip():
        raise DocumentError(rel, "empty file (no content)", "empty")
    if suffix == ".pdf":
        loaded = _load_pdf(rel, data, ocr)
    elif suffix == ".docx":
        loaded = _load_docx(rel, data)
    else:
        raw = _decode_text(rel, data)
        if suffix in (".md", ".markdown"):
            loaded = _load_markdown(rel, raw.text)
        elif suffix in (".html", ".htm"):
            loaded = _load_html(rel, raw.text)
        elif suffix == ".txt":
            loaded = Loaded(text=_tidy(raw.text))
        else:
            raise DocumentError(rel, f"unsupported file type {suffix!r}", "unsupported")
        loaded.notes.extend(raw.notes)
    if not loaded.text.strip():
        raise DocumentError(rel, "no text could be extracted", "no_text")
    return loaded


@dataclass
class _Decoded:
    text: str
    notes: list[str]


def _decode_text(rel: str, data: bytes) -> _Decoded:
    sample = data[:8192]
    if b"\x00" in sample:
        raise DocumentError(rel, "binary content (NUL bytes), not a text file", "binary")
    try:
        return _Decoded(data.decode("utf-8-sig"), [])
    except UnicodeDecodeError:
        pass
    text = data.decode("cp1252", errors="replace") if _is_cp1252(data) else data.decode("latin-1")
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\t\n\r\f")
    if controls > 0.05 * min(len(text), 8192):
        raise DocumentError(rel, "binary content (control characters), not a text file", "binary")
    return _Decoded(text, ["not UTF-8: decoded as Latin-1/Windows-1252"])


def _is_cp1252(data: bytes) -> bool:
    try:
        data.decode("cp1252")
        return True
    except UnicodeDecodeError:
        return False


_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*\r?\n", re.S)
_MD_LINK = re.compile(r"\[([^\]\n]*)\]\((?:[^()\s]|\([^()\s]*\))*\)")
_MD_FOOTREF = re.compile(r"\[\d{1,3}\]\(#f\d+\)")
_MD_EMPH = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>|])")


def _load_markdown(rel: str, raw: str) -> Loaded:
    meta: dict[str, Any] = {}
    body = raw
    m = _FRONT_MATTER.match(raw)
    if m:
        try:
            fm = yaml.safe_load(m.group(1))
        except yaml.YAMLError as exc:
            raise DocumentError(rel, f"invalid YAML front matter: {exc}", "front_matter") from exc
        if isinstance(fm, dict):
            meta = {str(k): v for k, v in fm.items()}
        body = raw[m.end() :]
    # Markdown syntax is not part of what the document says: quotes should read as prose.
    body = _MD_FOOTREF.sub("", body)
    body = _MD_LINK.sub(r"\1", body)
    body = _MD_EMPH.sub(r"\2", body)
    body = _MD_ESCAPE.sub(r"\1", body)
    return Loaded(text=_tidy(body), meta=meta)


def _tidy(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u00a0", " ").replace("\u200b", "").replace("\ufeff", "")
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


# A page whose text layer has fewer characters than this (a page number, a stamp) is an image
# of a page as far as reading goes: OCR reads it.
_MIN_PAGE_CHARS = 20


def _load_pdf(rel: str, data: bytes, ocr: PageOcr | None = None) -> Loaded:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    from ingest.pdf_headings import pdf_headings, styled_runs

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception as exc:  # unsupported algorithm, missing crypto library
                raise DocumentError(
                    rel, f"encrypted PDF, cannot decrypt: {exc}", "encrypted"
                ) from exc
            if not ok:
                raise DocumentError(rel, "encrypted PDF (password required)", "encrypted")
        pages = reader.pages
        n_pages = len(pages)
        parts: list[str] = []
        runs: list[list[tuple[str, float, bool]]] = []  # per page: text, font size, bold
        for page in pages:
            styled: list[tuple[str, float, bool]] = []
            try:
                parts.append(_tidy(page.extract_text(visitor_text=styled_runs(styled)) or ""))
            except Exception:  # one bad page must not lose the others
                parts.append("")
            runs.append(styled)
        info = reader.metadata
        title = str(info.title).strip() if info and info.title else ""
    except DocumentError:
        raise
    except FileNotDecryptedError as exc:
        raise DocumentError(rel, "encrypted PDF (password required)", "encrypted") from exc
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise DocumentError(rel, f"corrupt or unreadable PDF: {exc}", "corrupt") from exc
    if n_pages == 0:
        raise DocumentError(rel, "PDF has no pages", "corrupt")
    notes: list[str] = []
    ocr_pages = _ocr_missing_pages(rel, data, parts, ocr, notes)
    if not any(p.strip() for p in parts):
        from ingest.ocr import INSTALL_HINT

        if ocr is not None and ocr.available:
            raise DocumentError(
                rel, f"scanned PDF: {n_pages} pages and OCR read no text from them", "scanned"
            )
        raise DocumentError(
            rel, f"scanned PDF: {n_pages} pages and no text layer; {INSTALL_HINT}", "scanned"
        )
    text, starts = "", []
    for part in parts:
        if text:
            text += "\n\n"
        starts.append(len(text))
        text += part
    meta = {"pdf_title": title, "pages": n_pages}
    return Loaded(
        text=text,
        page_starts=starts,
        meta=meta,
        notes=notes,
        ocr_pages=ocr_pages,
        headings=pdf_headings(text, starts, parts, runs),
    )


def _ocr_missing_pages(
    rel: str, data: bytes, parts: list[str], ocr: PageOcr | None, notes: list[str]
) -> dict[int, float]:
    """Fill in ``parts`` (page texts, in place) for the pages without a text layer, by OCR.

    Returns page -> mean OCR confidence for the pages OCR read; adds a note when such pages
    exist and no OCR is available. Raises DocumentError when the OCR engine fails.
    """
    missing = [i + 1 for i, p in enumerate(parts) if len(p.strip()) < _MIN_PAGE_CHARS]
    if not missing:
        return {}
    if ocr is None or not ocr.available:
        if any(p.strip() for p in parts):  # a text PDF with image pages: say what is left out
            from ingest.ocr import INSTALL_HINT

            notes.append(
                f"{len(missing)} page(s) without a text layer not read "
                f"({_page_list(missing)}); {INSTALL_HINT}"
            )
        return {}
    try:
        read = ocr.read_pages(rel, data, missing)
    except Exception as exc:  # the engine crashed or the page cannot be rendered
        raise DocumentError(rel, f"OCR failed: {exc}", "ocr") from exc
    pages: dict[int, float] = {}
    for n, got in read.items():
        text = _tidy(got.text)
        if len(text) > len(parts[n - 1].strip()):
            parts[n - 1] = text
            pages[n] = got.confidence
    return pages


def _page_list(pages: list[int]) -> str:
    shown = ", ".join(str(p) for p in pages[:10])
    return f"p. {shown}{' ...' if len(pages) > 10 else ''}"


def _load_html(rel: str, raw: str) -> Loaded:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(raw, "html.parser")
    zones: list[tuple[str, str]] = []
    for tag in soup.find_all("meta"):
        name = str(tag.get("name") or tag.get("property") or "").lower()
        if any(k in name for k in ("classification", "marking", "dlm", "security", "caveat")):
            zones.append((f"<meta name={name!r}>", str(tag.get("content") or "")))
    for tag in soup.find_all(["header", "footer"]):
        zones.append((f"<{tag.name}>", tag.get_text("\n", strip=True)))
    for tag in soup(["script", "style", "noscript", "template", "nav", "footer"]):
        tag.decompose()
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    h1 = soup.find("h1")
    blocks: list[str] = []
    body = soup.body or soup
    block_tags = [
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "p",
        "li",
        "td",
        "th",
        "pre",
        "blockquote",
        "dt",
        "dd",
        "caption",
    ]
    heads: list[str] = []
    for el in body.find_all(block_tags):
        if el.find(block_tags):  # the inner blocks carry the text
            continue
        text = " ".join(el.get_text(" ", strip=True).split())
        if text:
            blocks.append(text)
            if el.name in ("h1", "h2", "h3", "h4"):
                heads.append(text)
    if not blocks:
        blocks = [" ".join(body.get_text(" ", strip=True).split())]
    meta: dict[str, Any] = {"html_title": title or (h1.get_text(" ", strip=True) if h1 else "")}
    text = _tidy("\n\n".join(blocks))
    return Loaded(text=text, meta=meta, marking_zones=zones, headings=heading_spans(text, heads))


def _load_docx(rel: str, data: bytes) -> Loaded:
    try:
        import docx
        from docx.opc.exceptions import PackageNotFoundError
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise DocumentError(rel, "python-docx is not installed", "dependency") from exc
    try:
        d = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as exc:
        raise DocumentError(rel, f"corrupt or unreadable Word file: {exc}", "corrupt") from exc
    except Exception as exc:  # zipfile.BadZipFile, lxml errors
        raise DocumentError(rel, f"corrupt or unreadable Word file: {exc}", "corrupt") from exc
    blocks: list[str] = []
    heads: list[str] = []
    for p in d.paragraphs:
        t = " ".join(p.text.split())
        if t:
            blocks.append(t)
            style = str(getattr(p.style, "name", "") or "")
            if style.startswith("Heading") or style == "Title":
                heads.append(t)
    for table in d.tables:
        for row in table.rows:
            cells = [" ".join(c.text.split()) for c in row.cells]
            line = " | ".join(c for c in cells if c)
            if line:
                blocks.append(line)
    props = d.core_properties
    meta: dict[str, Any] = {"docx_title": (props.title or "").strip()}
    if props.created:
        meta["docx_created"] = props.created.date().isoformat()
    zones: list[tuple[str, str]] = []
    for n, sec in enumerate(d.sections, start=1):
        for kind in (
            "header",
            "first_page_header",
            "even_page_header",
            "footer",
            "first_page_footer",
            "even_page_footer",
        ):
            try:
                part = getattr(sec, kind)
                lines = [p.text for p in part.paragraphs if p.text.strip()]
                for table in part.tables:
                    lines.extend(c.text for row in table.rows for c in row.cells if c.text.strip())
            except Exception:  # a damaged header must not lose the document
                continue
            if lines:
                zones.append((f"section {n} {kind.replace('_', ' ')}", "\n".join(lines)))
    if props.category or props.keywords or props.subject:
        zones.append(
            (
                "document properties",
                "\n".join(x for x in (props.category, props.keywords, props.subject) if x),
            )
        )
    text = _tidy("\n\n".join(blocks))
    return Loaded(text=text, meta=meta, marking_zones=zones, headings=heading_spans(text, heads))


def load_sidecar(path: Path, rel: str) -> tuple[dict[str, Any], bytes]:
    """Read ``NAME.meta.yaml`` beside ``path`` (or ``STEM.meta.yaml``) if present.

    Returns (overrides, raw bytes); raises DocumentError when the sidecar is not a YAML mapping.
    """
    candidates = (
        path.with_name(path.name + SIDECAR_SUFFIX),
        path.with_name(path.stem + SIDECAR_SUFFIX),
    )
    for cand in candidates:
        if cand.is_file():
            raw = cand.read_bytes()
            try:
                data = yaml.safe_load(raw.decode("utf-8")) or {}
            except (yaml.YAMLError, UnicodeDecodeError) as exc:
                raise DocumentError(rel, f"invalid sidecar {cand.name}: {exc}", "sidecar") from exc
            if not isinstance(data, dict):
                raise DocumentError(rel, f"sidecar {cand.name} is not a mapping", "sidecar")
            return {str(k): v for k, v in data.items()}, raw
    return {}, b""
