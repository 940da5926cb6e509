"""A timeline of a topic: the signings, meetings, statements and amendments that speak of it, in
date order, each entry a verbatim sentence with its citation. Built from dated passages by the
extractive machinery; no LLM needed.

``timeline(qa, topic, audience)`` retrieves the passages on ``topic`` the audience may see, keeps
one entry per document (its date: the instrument's signing date for instruments, else the
document's own date), quotes the sentence of that document's best passage that holds most of
the topic's words, and sorts by date. Undated documents are left out and counted;
``since``/``until`` keep the entries dated within a range.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from accord.access.audiences import Audience
from accord.answer.citations import make_citation
from accord.answer.decision import TextTerms, idf_weights
from accord.answer.questions import parse
from accord.language.quotable import FOOTER
from accord.language.text import is_heading, sentence_spans
from accord.models import Citation, Document, Filters, RetrievedChunk

if TYPE_CHECKING:
    from accord.instruments.registry import Registry


class _Documents(Protocol):
    def document(self, source: str) -> Document | None: ...


class _Sentences(Protocol):
    @property
    def idf(self) -> Callable[[str], float]: ...


class AnswerPipeline(Protocol):
    """What a timeline needs of the answer pipeline (``accord.qa.QA``)."""

    @property
    def documents(self) -> _Documents | None: ...

    @property
    def extractive(self) -> _Sentences: ...

    def retrieve(
        self,
        question: str,
        filters: Filters | None = None,
        k: int | None = None,
        mode: str = "hybrid",
    ) -> list[RetrievedChunk]: ...

    def registry(self) -> Registry | None: ...


# A bibliographic reference ("..., Wellington, 1985, pp. 425-31") is an editor's note, not an event.
_PAGE_REFERENCE = re.compile(r"\bpp?\.\s*\d")


@dataclass
class Entry:
    date: str
    citation: Citation


def timeline(
    qa: AnswerPipeline,
    topic: str,
    audience: Audience | None = None,
    k: int = 40,
    limit: int = 25,
    until: str | None = None,
    since: str | None = None,
) -> tuple[list[Entry], int]:
    """(entries in date order, documents left out for having no date); only entries dated
    within [``since``, ``until``] when given."""
    filters = Filters(audience=audience, since=since, until=until)
    chunks = qa.retrieve(topic, filters, k=k)
    part = parse(topic).parts[0]
    weights = idf_weights(part, qa.extractive.idf)
    registry = qa.registry()
    best: dict[str, tuple[float, RetrievedChunk, int, int]] = {}
    for ch in chunks:
        base = int(ch.metadata.get("char_start", 0))
        for s, e in sentence_spans(ch.text):
            sent = ch.text[s:e]
            if (
                len(sent.split()) < 6
                or is_heading(sent)
                or FOOTER.search(sent)
                or _PAGE_REFERENCE.search(sent)
            ):
                continue  # headings, page footers and references to books are not events
            held = TextTerms.of(sent).stems
            score = sum(w for t, w in weights.items() if t in held) + ch.score
            if ch.source not in best or score > best[ch.source][0]:
                best[ch.source] = (score, ch, base + s, base + e)
    entries, undated = [], 0
    for source, (_score, ch, s, e) in best.items():
        date = ch.metadata.get("date") or None
        if registry is not None and source in registry.items and registry.items[source].signed:
            date = registry.items[source].signed
        if not date:
            undated += 1
            continue
        if (since and str(date) < since) or (until and str(date) > until):
            continue  # an instrument's signing date can fall outside its metadata date's range
        doc = qa.documents.document(source) if qa.documents else None
        base = int(ch.metadata.get("char_start", 0))
        quote = doc.text[s:e] if doc else ch.text[s - base : e - base]
        entries.append(Entry(str(date), make_citation(0, ch, quote, s, e, 1.0)))
    entries.sort(key=lambda x: (x.date, x.citation.source))
    entries = entries[:limit]
    for n, entry in enumerate(entries, start=1):
        entry.citation.n = n
    return entries, undated
