"""The data that flows through Accord: documents, chunks, citations and answers.

Answers carry their citations as data; front ends render them and evaluators score them, nobody
parses citations back out of text.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from accord.access.audiences import Audience, pack_caveats
from accord.language.text import reflow

DOC_TYPES: tuple[str, ...] = (
    "mou",  # memoranda of understanding, agreements, treaties, protocols
    "minutes",  # minutes, records of conversation, cablegrams and other records
    "statement",  # joint and press statements
    "readout",
    "report",
    "other",
)


@dataclass
class Document:
    """One source file after loading: its extracted text and its metadata.

    ``text`` is the canonical extracted text: every chunk offset and citation span points into it.
    ``page_starts`` holds the character offset where each PDF page starts (empty for other files).
    """

    source: str  # path relative to the ingested root, with forward slashes
    text: str
    sha256: str
    title: str = ""
    doc_type: str = "other"
    date: str | None = None  # ISO yyyy-mm-dd
    parties: list[str] = field(default_factory=list)
    marking: str = "UNMARKED"
    page_starts: list[int] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    caveats: list[str] = field(default_factory=list)  # each must be held by a reader
    marking_rank: int = 0  # the marking's place on the ladder of the rules that read it
    # see accord.access.markings
    marking_evidence: list[dict[str, Any]] = field(default_factory=list)

    def page_at(self, offset: int) -> int | None:
        """Return the 1-based page holding character ``offset``, or None for non-paged files."""
        if not self.page_starts:
            return None
        page = 1
        for i, start in enumerate(self.page_starts):
            if start <= offset:
                page = i + 1
            else:
                break
        return page

    def ocr_confidence(self, page: int | None) -> float | None:
        """The mean OCR confidence (0-100) of ``page`` when its text was read by OCR, else None.
        Kept in ``extra["ocr_pages"]`` (page number as a string -> confidence)."""
        pages = self.extra.get("ocr_pages")
        if page is None or not isinstance(pages, dict):
            return None
        conf = pages.get(str(page))
        return float(conf) if conf is not None else None


@dataclass
class Chunk:
    """A passage of a document, the unit of retrieval. ``text == doc.text[char_start:char_end]``."""

    id: str
    source: str
    text: str
    char_start: int
    char_end: int
    ordinal: int
    page: int | None = None
    section: str | None = None
    language: str | None = None  # "en", "ms" or "und" (accord.language.detect.detect)
    # Headings inside the chunk: (offset in the document, text); a quote's section is the
    # nearest one above it, else ``section`` (the nearest above the chunk).
    headings: list[tuple[int, str]] = field(default_factory=list)

    def metadata(self, doc: Document) -> dict[str, Any]:
        """Flat metadata stored beside the chunk in the vector store (scalars only)."""
        meta: dict[str, Any] = {
            "source": self.source,
            "title": doc.title,
            "doc_type": doc.doc_type,
            "date": doc.date or "",
            "date_int": int(doc.date.replace("-", "")) if doc.date else 0,
            "parties": "|".join(doc.parties),
            "marking": doc.marking,
            "marking_rank": doc.marking_rank,
            "caveats": pack_caveats(doc.caveats),
            "caveat_n": len(doc.caveats),
            "sha256": doc.sha256,
            "char_start": self.char_start,
            "char_end": self.char_end,
            "ordinal": self.ordinal,
            "page": self.page if self.page is not None else 0,
            "section": self.section or "",
        }
        if self.language:
            meta["language"] = self.language
        if self.headings:
            meta["headings"] = json.dumps([[at, name] for at, name in self.headings])
        langs = doc.extra.get("languages")
        if isinstance(langs, list) and len(langs) > 1:  # versions of one text, one per language
            meta["doc_languages"] = "|".join(langs)
        conf = doc.ocr_confidence(self.page)
        if conf is not None:  # quoted from a scan: front ends say so beside the citation
            meta["ocr"] = True
            meta["ocr_confidence"] = conf
        from accord.language.text import party_key

        for party in doc.parties:
            meta[party_key(party)] = True
        return meta


@dataclass
class RetrievedChunk:
    """A chunk returned by retrieval, with its fused score and its stored metadata."""

    chunk_id: str
    text: str
    score: float
    metadata: dict[str, Any]
    dense_rank: int | None = None
    lexical_rank: int | None = None
    dense_score: float | None = None

    @property
    def source(self) -> str:
        return str(self.metadata.get("source", ""))


@dataclass
class Citation:
    """One cited passage: where it is and the exact words quoted from it."""

    n: int
    source: str
    title: str
    doc_type: str
    date: str | None
    page: int | None
    section: str | None
    chunk_id: str
    quote: str
    char_start: int  # span of ``quote`` in the document's extracted text
    char_end: int
    content_hash: str
    score: float
    marking: str = "UNMARKED"
    caveats: list[str] = field(default_factory=list)
    ocr_confidence: float | None = None  # set when the quote was read from a scan by OCR
    page_end: int | None = None  # the last page of a quote that runs over a page break

    def pages(self) -> str:
        """ "p. 4", "pp. 4\u20135" for a quote that runs over a page break, "" without pages."""
        if not self.page:
            return ""
        if self.page_end and self.page_end != self.page:
            return f"pp. {self.page}\u2013{self.page_end}"
        return f"p. {self.page}"

    def ocr_note(self) -> str | None:
        """ "quoted from an OCR'd scan, p. 4; OCR confidence 93%" for a quote read by OCR."""
        if self.ocr_confidence is None:
            return None
        where = f", p. {self.page}" if self.page else ""
        return f"quoted from an OCR'd scan{where}; OCR confidence {self.ocr_confidence:.0f}%"


@dataclass
class RetrievedSource:
    """One entry of an answer's ranked list of retrieved documents."""

    source: str
    score: float
    title: str = ""
    chunk_id: str = ""
    page: int | None = None
    marking: str = "UNMARKED"
    caveats: list[str] = field(default_factory=list)


@dataclass
class Answer:
    """What every front end receives from :func:`accord.qa.answer`."""

    question: str
    text: str
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    retrieved: list[RetrievedSource] = field(default_factory=list)
    latency_ms: float = 0.0
    mode: str = "extractive"  # "extractive" or "llm"
    notice: str | None = None  # e.g. why an LLM answer fell back to extractive
    prompt: str | None = None  # "name@version" of the prompt used, for LLM answers
    related: list[RetrievedSource] = field(default_factory=list)  # shown with a refusal
    evidence: float = 0.0  # the highest confidence of its parts that they are answered (0-1)
    weak: bool = False  # quotes only the closest passages, said as such: not an answer
    parts: list[dict[str, Any]] = field(default_factory=list)  # per part: text, kind, verdict

    def shown_quote(self, c: Citation) -> str | None:
        """The quote of ``c`` as the front ends print it under Sources (reflowed: line breaks
        joined), or None when a part's answer already prints it whole: each quote is printed
        once."""
        if (
            any(
                ld.get("n") == c.n and ld.get("whole")
                for p in self.parts
                for ld in p.get("leads") or []
            )
            and f"[{c.n}]" in self.text
        ):
            return None
        return reflow(c.quote)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape printed by ``accord ask --json``."""
        return {
            "question": self.question,
            "answer": self.text,
            "refused": self.refused,
            "weak": self.weak,
            "parts": self.parts,
            "mode": self.mode,
            "notice": self.notice,
            "prompt": self.prompt,
            "citations": [
                {
                    **{
                        k: v
                        for k, v in asdict(c).items()
                        if k
                        in (
                            "n",
                            "source",
                            "title",
                            "doc_type",
                            "date",
                            "page",
                            "section",
                            "quote",
                            "char_start",
                            "char_end",
                            "chunk_id",
                            "score",
                            "content_hash",
                            "marking",
                            "caveats",
                            "ocr_confidence",
                            "page_end",
                        )
                    },
                    "quoted_in_answer": self.shown_quote(c) is None,
                }
                for c in self.citations
            ],
            "retrieved": [{"source": r.source, "score": round(r.score, 6)} for r in self.retrieved],
            "latency_ms": round(self.latency_ms, 1),
        }


@dataclass
class Filters:
    """Metadata filters for retrieval. Empty fields do not filter.

    ``audience`` says who will read the answer: documents it may not see are never retrieved.
    Unset, :class:`accord.qa.QA` applies the settings' CLI audience.
    """

    doc_types: list[str] = field(default_factory=list)
    since: str | None = None  # ISO date, inclusive
    until: str | None = None  # ISO date, inclusive
    parties: list[str] = field(default_factory=list)
    markings: list[str] = field(default_factory=list)  # only these markings
    audience: Audience | None = None
