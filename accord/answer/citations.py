"""Citations and source lists made from retrieved chunks: what every answerer (extractive,
LLM, timeline) cites a quote with, the section of a quote (the nearest heading above it), and
the documents a refusal lists as possibly related."""

from __future__ import annotations

import json

from accord.access.audiences import unpack_caveats
from accord.models import Citation, RetrievedChunk, RetrievedSource


def make_citation(
    n: int, chunk: RetrievedChunk, quote: str, start: int, end: int, score: float
) -> Citation:
    m = chunk.metadata
    page = int(m["page"]) if m.get("page") else None
    # a sentence quoted whole over a page break (accord.answer.extractive) ends on the next page
    over = page is not None and end > int(m.get("char_end") or end)
    return Citation(
        n=n,
        source=str(m.get("source", "")),
        title=str(m.get("title", "")),
        doc_type=str(m.get("doc_type", "other")),
        date=(m.get("date") or None),
        page=(int(m["page"]) if m.get("page") else None),
        section=quote_section(m, start),
        chunk_id=chunk.chunk_id,
        quote=quote,
        char_start=start,
        char_end=end,
        content_hash=str(m.get("sha256", "")),
        score=round(float(score), 4),
        marking=str(m.get("marking", "UNMARKED")),
        caveats=unpack_caveats(m.get("caveats")),
        ocr_confidence=(float(m["ocr_confidence"]) if m.get("ocr") else None),
        page_end=page + 1 if over and page is not None else None,
    )


def quote_section(meta: dict, start: int) -> str | None:
    """The section of a quote starting at ``start`` (document offset): the nearest heading
    above it inside its chunk (``headings``), else the chunk's own section."""
    try:
        marks = json.loads(str(meta.get("headings") or "[]"))
    except ValueError:
        marks = []
    found = None
    for at, name in marks:
        if int(at) > start:
            break
        found = str(name)
    section = found or meta.get("section") or None
    # a heading quoted inside an amending text ('"Article 3 - ...') is named without the quote
    return section.strip(" \"'\u201c\u201d") or None if section else None


def related_sources(chunks: list[RetrievedChunk], limit: int | None = 3) -> list[RetrievedSource]:
    """Distinct documents in the order of their best chunk (at most ``limit``)."""
    out: dict[str, RetrievedSource] = {}
    for ch in chunks:
        if ch.source not in out:
            m = ch.metadata
            out[ch.source] = RetrievedSource(
                ch.source,
                ch.score,
                str(m.get("title", "")),
                ch.chunk_id,
                int(m["page"]) if m.get("page") else None,
                str(m.get("marking", "UNMARKED")),
                unpack_caveats(m.get("caveats")),
            )
        if limit is not None and len(out) >= limit:
            break
    return list(out.values())
