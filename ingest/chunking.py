"""Structure-aware chunking with exact offsets.

Paragraphs, numbered articles and clauses and agenda items stay whole where they fit; a heading
opens a new chunk and names the section of what follows it; chunks never cross a PDF page. Every
chunk is an exact slice of the document's extracted text, and its id is a pure function of the
document's path, content hash and the chunk's position.
"""

from __future__ import annotations

import hashlib
import re

from accord.language.detect import UNKNOWN, detect
from accord.language.text import LINE_HEADS, STRUCTURAL, is_heading, sentence_spans, trim_span
from accord.models import Chunk, Document

_BLOCK_SPLIT = re.compile(r"\n[ \t]*\n")


def chunk_id(source: str, sha256: str, ordinal: int) -> str:
    """Deterministic chunk id: the same file content always yields the same ids."""
    path_hash = hashlib.sha1(source.encode("utf-8")).hexdigest()[:10]
    return f"{path_hash}-{sha256[:12]}-{ordinal:04d}"


def _blocks(doc: Document) -> list[tuple[int, int]]:
    """Paragraph spans, split also at page starts so no block crosses a page."""
    text = doc.text
    cuts = sorted({0, len(text), *doc.page_starts})
    spans: list[tuple[int, int]] = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        pos = a
        for m in _BLOCK_SPLIT.finditer(text, a, b):
            spans.append((pos, m.start()))
            pos = m.end()
        spans.append((pos, b))
    out = []
    for s, e in (trim_span(text, a, b) for a, b in spans):
        if e > s:
            out.append((s, e))
    return out


def _split_long(text: str, s: int, e: int, max_chars: int) -> list[tuple[int, int]]:
    """Split a block longer than ``max_chars`` at sentence (then word) boundaries."""
    pieces: list[tuple[int, int]] = []
    cur_s: int | None = None
    cur_e = s
    for ss, se in sentence_spans(text, s, e):
        while se - ss > max_chars:  # one enormous "sentence": cut at a space
            cut = text.rfind(" ", ss, ss + max_chars)
            cut = cut if cut > ss else ss + max_chars
            if cur_s is not None:
                pieces.append((cur_s, cur_e))
                cur_s = None
            pieces.append((ss, cut))
            ss = cut
            while ss < se and text[ss].isspace():
                ss += 1
        if cur_s is not None and se - cur_s > max_chars:
            pieces.append((cur_s, cur_e))
            cur_s = None
        if cur_s is None:
            cur_s = ss
        cur_e = se
    if cur_s is not None and cur_e > cur_s:
        pieces.append((cur_s, cur_e))
    return pieces


def _line_heading(line: str) -> bool:
    """A line inside a block (a PDF page's lines) that heads what follows: "Article 9 - Entry
    into Force", "SECTION 2", not "Article 9(2) of the MoU shall ..." wrapped from a sentence."""
    line = line.strip()
    if line.startswith("#"):
        return bool(re.match(r"#{1,6}\s+\S", line))  # a Markdown heading
    m = STRUCTURAL.match(line) or LINE_HEADS.match(line)
    if not m or len(line) > 100 or line.endswith((".", ",", ";", ":")) or len(line.split()) > 14:
        return False
    rest = line[m.end() :].strip()
    return not rest or rest[0] in "-–—:." or rest[0].isupper()


def _dateline(line: str) -> bool:
    """A line that only dates or places the text ("Canberra, 15 August 1963", "January 2026")."""
    from ingest.metadata import MONTH_YEAR, first_date

    line = line.strip()
    return bool(first_date(line) or MONTH_YEAR.fullmatch(line))


def _running_lines(doc: Document) -> set[str]:
    """Lines printed on two pages or more (running heads and feet, digits aside)."""
    if len(doc.page_starts) < 2:
        return set()
    seen: dict[str, set[int]] = {}
    for s, e in _blocks(doc):
        page = doc.page_at(s)
        for line in doc.text[s:e].split("\n"):
            key = re.sub(r"\d+", "#", line.strip())
            if key:
                seen.setdefault(key, set()).add(page or 0)
    return {k for k, pages in seen.items() if len(pages) > 1}


def _page_heading(line: str, before: str, after: str, running: set[str]) -> bool:
    """A short line of a PDF page that heads a paragraph: after a line that ends a sentence
    (or nothing), before one that starts one, itself no sentence, date or running head."""
    line = line.strip()
    n = len(line.split())
    if not 2 <= n <= 8 or len(line) > 70 or not line[0].isupper() or line[-1] in ".,;:!?)":
        return False
    if before.strip() and before.strip()[-1] not in ".:;?!":
        return False
    nxt = after.strip()
    if not nxt or not (nxt[0].isupper() or nxt[0].isdigit() or nxt[0] in '•–-("“'):
        return False
    return not _dateline(line) and re.sub(r"\d+", "#", line) not in running


def heading_marks(doc: Document) -> list[tuple[int, str]]:
    """(offset, text) of every heading in ``doc``, in order. Markdown: its '#' lines; HTML and
    Word: what the file marks (h1-h4, heading styles) and blocks that read as headings; PDF and
    text: blocks that read as headings, article or section lines inside a block and, on a PDF
    page, short lines that head a paragraph. A security marking or a dateline never is."""
    text = doc.text
    markdown = doc.source.lower().endswith((".md", ".markdown"))
    markings = {str(e.get("line") or "").strip().upper() for e in doc.marking_evidence}
    markings |= {doc.marking.upper()}
    explicit = {(int(h[0]), int(h[1])) for h in doc.extra.get("headings") or []}
    printed = {s: e for s, e in explicit}
    running = _running_lines(doc)
    marks: dict[int, str] = {}
    for s, e in _blocks(doc):
        block = text[s:e]
        if block.strip().upper() in markings:
            continue
        if (
            (s, e) in explicit
            or (
                not markdown
                and is_heading(block)
                and not _dateline(block)
                and (not STRUCTURAL.match(block) or _line_heading(block))
            )
            or (
                markdown
                and "\n" not in block
                and block.lstrip().startswith("#")
                and _line_heading(block)
            )
        ):
            marks[s] = block.strip().lstrip("#").strip()
        elif "\n" in block:
            lines = block.split("\n")
            pos = s
            until = -1  # the end of a printed heading wrapped over lines
            for i, line in enumerate(lines):
                at = pos + len(line) - len(line.lstrip())
                if at < until:
                    pos += len(line) + 1
                    continue
                end = printed.get(at)  # a PDF's heading type, on one line or wrapped
                if end is not None and line.strip().upper() not in markings:
                    marks[at] = " ".join(text[at:end].split())
                    until = end
                elif line.strip().upper() not in markings and (
                    _line_heading(line)
                    if markdown or not doc.page_starts
                    else (
                        _line_heading(line)
                        or _page_heading(
                            line,
                            lines[i - 1] if i else "",
                            lines[i + 1] if i + 1 < len(lines) else "",
                            running,
                        )
                    )
                ):
                    marks[pos + len(line) - len(line.lstrip())] = line.strip().lstrip("#").strip()
                pos += len(line) + 1
    return sorted(marks.items())


def section_at(headings: list[tuple[int, str]], offset: int) -> str | None:
    """The nearest heading at or above ``offset``."""
    found = None
    for at, name in headings:
        if at > offset:
            break
        found = name
    return found


def chunk_document(doc: Document, target_chars: int = 900, max_chars: int = 1400) -> list[Chunk]:
    """Cut ``doc`` into chunks of about ``target_chars`` (never more than ``max_chars``).

    Returns chunks in document order with exact offsets, page, the nearest heading above the
    chunk and the headings inside it (a quote's section is the nearest above the quote).
    """
    text = doc.text
    marks = heading_marks(doc)
    block_heads = {at for at, _ in marks}
    groups: list[tuple[int, int, str | None]] = []
    cur: tuple[int, int] | None = None
    section: str | None = None
    cur_section: str | None = None
    cur_page: int | None = None
    pending_heading = False

    def flush() -> None:
        nonlocal cur
        if cur is not None:
            groups.append((cur[0], cur[1], cur_section))
        cur = None

    for s, e in _blocks(doc):
        block = text[s:e]
        page = doc.page_at(s)
        heading = s in block_heads and "\n" not in block.strip()
        if page != cur_page and cur is not None:
            flush()
        cur_page = page
        if heading:
            strong = bool(STRUCTURAL.match(block)) or block.lstrip().startswith("#")
            if (
                cur is not None
                and (strong or (e - cur[0]) > target_chars // 2)
                and not pending_heading
            ):
                flush()
            section = block.strip().lstrip("#").strip()
            if cur is None:
                cur, cur_section = (s, e), section
            else:
                cur = (cur[0], e)
            pending_heading = True
            continue
        pieces = _split_long(text, s, e, max_chars) if e - s > max_chars else [(s, e)]
        for ps, pe in pieces:
            if cur is not None and not pending_heading and pe - cur[0] > target_chars:
                flush()
            if cur is not None and pe - cur[0] > max_chars:
                flush()
            if cur is None:
                cur, cur_section = (ps, pe), section
            else:
                cur = (cur[0], pe)
            pending_heading = False
    flush()

    chunks = []
    for i, (s, e, _sec) in enumerate(groups):
        chunks.append(
            Chunk(
                id=chunk_id(doc.source, doc.sha256, i),
                source=doc.source,
                text=text[s:e],
                char_start=s,
                char_end=e,
                ordinal=i,
                page=doc.page_at(s),
                section=section_at(marks, s),
                language=detect(text[s:e]),
                headings=[(at, name) for at, name in marks if s < at < e],
            )
        )
    # A document written in two languages (an instrument's "both texts being equally
    # authentic") keeps both as versions of one document: each chunk says its language, and
    # the document lists the languages it holds.
    langs = sorted({c.language for c in chunks if c.language and c.language != UNKNOWN})
    if len(langs) > 1:
        doc.extra["languages"] = langs
    return chunks


def embedding_text(chunk: Chunk, doc_title: str) -> str:
    """What the embedding model sees: the chunk with its document title and section.

    A chunk of an MoU's Article 7 rarely repeats the MoU's name; prefixing the title and heading
    lets a question about "the MoU on transborder crime" find it.
    """
    head = doc_title
    if chunk.section and chunk.section not in doc_title:
        head = f"{doc_title} — {chunk.section}" if doc_title else chunk.section
    return f"{head}\n{chunk.text}" if head else chunk.text
