"""The offline extractive answerer: the answer is made only of sentences quoted from sources.

For each part of a question (``accord.answer.questions``: "(a) ... (b) ...", "..., and by whom?"),
every candidate sentence of the best retrieved passages gets the features of
``accord.answer.decision`` (meaning, the part's words and names in the sentence, passage and
document, the kind of answer asked for, exclusions, rank) and a probability from the fitted
``Decision``. The best becomes the part's answer, with up to two more that add to it
(``accord.answer.choice``: which sentences a part quotes); a best
sentence below the answer threshold but above the weak one is given as "the closest the
documents come", and below that the part is "not in the documents". Nothing is written that is
not in a document, except those labels.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from accord.answer.choice import SPAN_KINDS, Candidate, choose
from accord.answer.citations import make_citation, related_sources
from accord.answer.decision import (
    ANSWER,
    NONE,
    WEAK,
    Decision,
    PartTerms,
    TextTerms,
    features,
    has_kind,
    idf_weights,
    name_share,
    vector,
)
from accord.answer.kinds import given_words
from accord.answer.leads import Lead, LeadShown, asks_agent, contrasted, lead_of
from accord.answer.page_breaks import SENTENCE_ENDS, over_page, running
from accord.answer.questions import ParsedQuestion, Part, parse
from accord.answer.reader import Reader, ReaderCandidate
from accord.language.dates import long_date
from accord.language.lexicon import Lexicon, lexicon
from accord.language.quotable import list_blocks, signature_blocks
from accord.language.text import is_heading, sentence_spans, words
from accord.models import Answer, Citation, Document, RetrievedChunk
from accord.ports import Embedder

REFUSAL = (
    "The indexed documents do not answer this question. "
    "The closest documents are listed below as possibly related."
)
WEAK_LEAD = "The documents do not answer this directly. The closest they come is:"
SCORE_CHARS = 200  # characters of a sentence embedded for scoring (the quote stays whole)


@dataclass
class PartResult:
    """How one part was answered: the verdict, the quoted candidates, the confidence that the
    part is answered and what the closest passages lacked."""

    part: Part
    verdict: str
    chosen: list[Candidate]
    confidence: float
    chunks: list[RetrievedChunk]
    gaps: list[str] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)


class ExtractiveAnswerer:
    """Composes an Answer from retrieved chunks by quoting their sentences."""

    mode = "extractive"

    def __init__(
        self,
        embedder: Embedder,
        idf: Callable[[str], float],
        decision: Decision | None = None,
        *,
        max_sentences: int = 3,
        passages: int = 8,
        max_candidates: int = 80,
        max_embedded: int = 12,
        document_text: Callable[[str], str] | None = None,
        document: Callable[[str], Document | None] | None = None,
        lex: Lexicon | None = None,
        reader: Reader | None = None,
        max_read: int = 12,
        read: bool | None = None,
    ) -> None:
        self.embedder = embedder
        self.reader = reader or Reader.load()
        self.max_read = max_read
        self.read = read  # None: read when the decision weighs the reader
        self.idf = idf
        self.decision = decision or Decision.load()
        self.document_text = document_text
        self.document = document  # the indexed Document (text, pages) of a source
        self.lex = lex or lexicon()
        self.max_sentences = max_sentences
        self.passages = passages
        self.max_candidates = max_candidates
        self.max_embedded = max_embedded
        self._doc_terms: OrderedDict[tuple[str, str], TextTerms] = OrderedDict()
        self._lock = threading.Lock()
        self.doc_cache_size = 256  # documents whose words are kept

    @property
    def threshold(self) -> float:
        return self.decision.answer_at

    def forget_documents(self) -> None:
        """Empty the cache of documents' words (benchmarks measure the cost of a cold cache)."""
        with self._lock:
            self._doc_terms.clear()

    def sentence_vectors(
        self, texts: Sequence[str], seen: dict[str, np.ndarray] | None = None
    ) -> np.ndarray:
        """The embedding of each text; ``seen`` keeps those of one question, whose parts quote
        from the same passages. Kept for one question only: the int8 encoder scales a batch as a
        whole, so a vector depends a little on its batch, and an answer must not depend on the
        questions asked before it."""
        seen = {} if seen is None else seen
        missing = list(dict.fromkeys(t for t in texts if t not in seen))
        if missing:
            seen.update(zip(missing, self.embedder.embed_batch(missing), strict=True))
        return np.vstack([seen[t] for t in texts])

    def document_terms(self, chunk: RetrievedChunk) -> TextTerms:
        """What the whole document of ``chunk`` holds (cached per revision): a name the question
        uses may be in the document's opening, not in every passage."""
        key = (chunk.source, str(chunk.metadata.get("sha256", "")))
        with self._lock:
            terms = self._doc_terms.get(key)
        if terms is None:
            text = self.document_text(chunk.source) if self.document_text else chunk.text
            terms = TextTerms.of(text + " " + str(chunk.metadata.get("title", "")))
            with self._lock:
                self._doc_terms[key] = terms
                if len(self._doc_terms) > self.doc_cache_size:
                    self._doc_terms.popitem(last=False)
        return terms

    # -- candidates and their features ------------------------------------------------------

    def _spans(
        self, chunks: Sequence[RetrievedChunk], lists: bool = True
    ) -> list[tuple[int, int, int, str, str]]:
        """(chunk index, start, end, sentence, the sentence before it in the passage) in
        document offsets, from the best passages; ``lists``: with enumerations quoted whole
        (a part that asks for a date, a name or a figure is answered by an item, itself a
        candidate, not by the whole list)."""
        out = []
        for ci, ch in enumerate(chunks[: self.passages]):
            base = int(ch.metadata.get("char_start", 0))
            title = _norm(str(ch.metadata.get("title", "")))
            spans = sentence_spans(ch.text)
            blocks = signature_blocks(ch.text, spans) + (
                list_blocks(ch.text, spans) if lists else []
            )
            for s, e in blocks:
                out.append((ci, base + s, base + e, ch.text[s:e], ""))
            prev = ""
            for s, e in spans:
                sent = ch.text[s:e]
                before, prev = prev, sent
                if len(words(sent)) < 4 or is_heading(sent):
                    continue
                if (title and _norm(sent) in title) or (base + s == 0 and sent[-1] not in ".!?"):
                    continue  # a document's title names it, it answers nothing
                end = base + e
                # (only running lines may follow it in its passage: checked before the
                # document is read)
                if (
                    sent[-1] not in SENTENCE_ENDS
                    and ch.metadata.get("page")
                    and running(ch.text[e:])
                ):
                    whole = self._over_page(ch.source, base + s, end)
                    if whole is not None:  # quoted whole, from the next page too
                        end, sent = whole
                out.append((ci, base + s, end, sent, before))
        return out[: self.max_candidates]

    def _over_page(self, source: str, start: int, end: int) -> tuple[int, str] | None:
        """``accord.answer.page_breaks.over_page`` on the indexed document of ``source``."""
        doc = self.document(source) if self.document else None
        return over_page(doc, start, end) if doc is not None else None

    def candidates(
        self,
        part: Part,
        chunks: Sequence[RetrievedChunk],
        qvec: np.ndarray,
        seen: dict[str, np.ndarray] | None = None,
    ) -> list[Candidate]:
        """Every candidate sentence with its features and probability, best first."""
        spans = self._spans(chunks, lists=part.kind not in SPAN_KINDS)
        if not spans:
            return []
        weights = idf_weights(part, self.idf)
        max_idf = max([self.idf("\x00unseen")] + list(weights.values()))
        passages = list(chunks[: self.passages])
        ctx = [TextTerms.of(_context_text(ch)) for ch in passages]
        docs = [self.document_terms(ch) for ch in passages]
        titles = [TextTerms.of(str(ch.metadata.get("title", ""))).stems for ch in passages]
        terms = PartTerms.of(part, weights, max_idf)
        sentence_terms = [TextTerms.of(sent) for _ci, _s, _e, sent, _ in spans]
        # Embedding sentences is the costly step: embed the lexically likeliest only.
        lexical = []
        for (ci, _s, _e, sent, _), held in zip(spans, sentence_terms, strict=True):
            lexical.append(
                sum(w for t, w in weights.items() if t in held.stems)
                - 0.05 * ci
                + 0.5 * has_kind(part.kind, sent, self.lex, terms.given)
            )
        order = np.argsort(-np.asarray(lexical), kind="stable")
        embed_ids = [int(i) for i in order[: self.max_embedded]]
        sims = np.zeros(len(spans))
        if embed_ids:
            vecs = self.sentence_vectors([spans[i][3][:SCORE_CHARS] for i in embed_ids], seen)
            sims[embed_ids] = vecs @ qvec
            rest = [i for i in range(len(spans)) if i not in set(embed_ids)]
            sims[rest] = float(np.min(sims[embed_ids])) - 0.05
        # The lexically likeliest are read: chosen before any fitted weight, as in the fit.
        reading = self.decision.uses_reader if self.read is None else self.read
        ids = [int(i) for i in order[: self.max_read]] if reading else []
        read, span_conf = self.reader.read_some(
            part.text,
            [
                ReaderCandidate(sent, _heading(passages[ci]), before) if ids else None
                for ci, _s, _e, sent, before in spans
            ],
            ids,
        )
        out = []
        for i, (ci, s, e, sent, _) in enumerate(spans):
            ch = passages[ci]
            psim = float(ch.dense_score) if ch.dense_score is not None else 0.0
            named = features(
                part,
                terms,
                sent,
                sentence_terms[i],
                float(sims[i]),
                psim,
                ctx[ci],
                docs[ci],
                titles[ci],
                ci,
                self.lex,
                float(read[i]),
                float(span_conf[i]),
            )
            # A sentence that denies what the part asks about ("shall not cover" for "what does
            # it cover?") answers the opposite question: like one without the kind of answer
            # asked for, it is at most the closest the documents come.
            # (Only where the sentence itself is the answer: a period or a name in a sentence
            # that also says "unless the patrol is not extended" is still an answer.)
            kind_ok = bool(named["kind_sent"]) and not (
                named["neg_near"] and part.kind in ("what", "list")
            )
            out.append(Candidate(ci, s, e, sent, vector(named), kind_ok=kind_ok))
        xs = np.vstack([c.x for c in out])
        probs = self.decision.probability(xs)
        for c, p in zip(out, probs, strict=True):
            c.p = float(p)
        best, confidence = self.decision.decide(probs, xs)
        out[best].confidence = confidence
        out.sort(key=lambda c: -c.p)
        return out

    # -- answering --------------------------------------------------------------------------

    def answer_part(
        self,
        part: Part,
        chunks: Sequence[RetrievedChunk],
        qvec: np.ndarray,
        max_sentences: int | None = None,
        seen: dict[str, np.ndarray] | None = None,
    ) -> PartResult:
        """The verdict for one part and the sentences it quotes (``seen``: the sentence
        vectors of the question's other parts)."""
        cands = self.candidates(part, chunks, qvec, seen) if chunks else []
        if not cands:
            return PartResult(part, NONE, [], 0.0, list(chunks), self._gaps(part, chunks))
        limit = max_sentences or self.max_sentences
        verdict, chosen, confidence = choose(part, cands, chunks, self.decision, self.lex, limit)
        if verdict == NONE:
            return PartResult(
                part, NONE, [], confidence, list(chunks), self._gaps(part, chunks), cands
            )
        return PartResult(part, verdict, chosen, confidence, list(chunks), [], cands)

    def compose(
        self,
        question: str,
        chunks: list[RetrievedChunk],
        qvec: np.ndarray,
        parsed: ParsedQuestion | None = None,
    ) -> Answer:
        """An extractive Answer for ``question`` from ``chunks`` (every part answered from the
        same passages; :meth:`compose_parts` takes passages per part)."""
        parsed = parsed or parse(question, self.lex)
        return self.compose_parts(question, [(p, chunks, qvec) for p in parsed.parts])

    def compose_parts(
        self, question: str, parts: Sequence[tuple[Part, Sequence[RetrievedChunk], np.ndarray]]
    ) -> Answer:
        """One Answer from the parts, each with its own passages and question vector."""
        multi = len(parts) > 1
        seen: dict[str, np.ndarray] = {}  # sentence vectors, shared by the parts
        results = [self.answer_part(p, ch, qv, 2 if multi else None, seen) for p, ch, qv in parts]
        all_chunks = [c for r in results for c in r.chunks]
        best = max((r.confidence for r in results), default=0.0)
        if all(r.verdict == NONE for r in results):
            gaps = [g for r in results for g in r.gaps]
            ans = refusal(question, _unique_chunks(all_chunks), best, gaps)
            ans.parts = [_part_summary(r, []) for r in results]
            return ans
        citations: list[Citation] = []
        index: dict[tuple[str, int], int] = {}
        lines = []
        summaries = []
        for label, r in zip(_labels(len(results)), results, strict=True):
            given = given_words(r.part.search)
            leads: list[LeadShown] = []
            for c in r.chosen:
                ch = r.chunks[c.chunk]
                key = (ch.source, c.start)
                if key not in index:
                    index[key] = len(citations) + 1
                    citations.append(make_citation(index[key], ch, c.sentence, c.start, c.end, c.p))
                lead = (
                    lead_of(
                        c.sentence,
                        r.part.kind,
                        given,
                        self.lex,
                        agent=asks_agent(r.part.text),
                        contrast=contrasted(r.part.text),
                    )
                    if r.verdict == ANSWER
                    else Lead(0, len(c.sentence), True)
                )
                leads.append(LeadShown(n=index[key], text=lead.text(c.sentence), whole=lead.whole))
            body = "; ".join(f"{ld['text']} [{ld['n']}]" for ld in leads)
            if (
                r.verdict == ANSWER
                and r.part.kind == "when"
                and r.chosen
                and not any(has_kind("when", c.sentence, self.lex) for c in r.chosen)
            ):
                date = r.chunks[r.chosen[0].chunk].metadata.get("date")
                body += f" (the document is dated {date})" if date else ""
            if r.verdict == WEAK:
                body = f"{WEAK_LEAD} {body}"
            elif r.verdict == NONE:
                body = "The indexed documents do not say."
            lines.append(f"{label} {body}".strip() if multi else body)
            summaries.append(_part_summary(r, [ld["n"] for ld in leads], leads))
        weak = all(r.verdict != ANSWER for r in results)
        return Answer(
            question=question,
            text="\n".join(lines),
            refused=False,
            citations=citations,
            evidence=best,
            weak=weak,
            parts=summaries,
            related=related_sources(_unique_chunks(all_chunks)) if weak else [],
        )

    def _gaps(self, part: Part, chunks: Sequence[RetrievedChunk]) -> list[str]:
        """What the closest passages lack: the part's names their documents do not hold, else
        its rarest word none of them holds."""
        if not chunks:
            return []
        docs = [self.document_terms(ch) for ch in chunks[:3]]
        gaps = [
            f"{n.text} {n.figure}".strip()
            for n in part.names
            if all(name_share(n, d, self.lex) < 0.5 for d in docs)
        ]
        if not gaps:
            weights = idf_weights(part, self.idf)
            missing = [
                (w, part.terms[t])
                for t, w in weights.items()
                if not any(t in d.stems for d in docs)
            ]
            gaps = [word for _, word in sorted(missing, reverse=True)[:1]]
        return gaps


def _labels(n: int) -> list[str]:
    return [f"({chr(ord('a') + i)})" for i in range(n)] if n > 1 else [""]


def _part_summary(
    r: PartResult, ns: list[int], leads: list[LeadShown] | None = None
) -> dict[str, Any]:
    """A part as ``Answer.parts`` holds it; ``leads``: per quote, the words that lead the
    part's answer (``accord.answer.leads``) and whether they are the whole quote."""
    return {
        "part": r.part.text,
        "kind": r.part.kind,
        "verdict": r.verdict,
        "probability": round(r.confidence, 4),
        "citations": ns,
        "leads": leads or [],
    }


def _unique_chunks(chunks: list[RetrievedChunk]) -> list[RetrievedChunk]:
    seen: dict[str, RetrievedChunk] = {}
    for c in sorted(chunks, key=lambda c: -c.score):
        seen.setdefault(c.chunk_id, c)
    return list(seen.values())


def _context_text(ch: RetrievedChunk) -> str:
    """The chunk with what its document says about it: title, section and date in words."""
    m = ch.metadata
    date = str(m.get("date") or "")
    if len(date) == 10:
        date = long_date(date)
    return f"{ch.text} {m.get('title', '')} {m.get('section', '')} {date}"


def _heading(ch: RetrievedChunk) -> str:
    """What heads a passage for the reader: its section, else its document's title."""
    return str(ch.metadata.get("section") or ch.metadata.get("title") or "")


def _norm(text: str) -> str:
    return " ".join(words(text))


def refusal(
    question: str,
    chunks: list[RetrievedChunk],
    evidence: float = 0.0,
    gaps: list[str] | None = None,
) -> Answer:
    """A refusal listing the closest documents; ``gaps`` (what the closest passages lacked: a
    name the question uses, or its rarest word) are named so the officer sees why."""
    text = REFUSAL if chunks else "The indexed documents do not answer this question."
    named = list(dict.fromkeys(gaps or []))[:3]
    if named:
        text += (
            " The closest passages do not mention "
            + ", ".join(f"“{g}”" if " (" not in g else g for g in named)
            + "."
        )
    return Answer(
        question=question,
        text=text,
        refused=True,
        related=related_sources(chunks),
        evidence=evidence,
    )
