"""The offline extractive answerer: the answer is made only of sentences quoted from sources.

Each candidate sentence of the best retrieved chunks is scored by its meaning (cosine similarity
with the question) and by how much of the question's rarer words it and its passage contain.
The best one to four sentences become the answer, each with its [n] marker; nothing is written
that is not in a document. When the evidence is too weak, the answer is a refusal that lists the
closest documents as possibly related.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from accord.models import Answer, Citation, RetrievedChunk, RetrievedSource
from accord.text import STOPWORDS, sentence_spans, words

REFUSAL = ("The indexed documents do not answer this question. "
           "The closest documents are listed below as possibly related.")

# Question words that say what kind of answer is wanted; they are not what a passage must contain.
_QWORDS = frozenset("""what when where which who whom whose why how many much did does do is are
was were has have had according document documents say said mention mentioned agreed agree
state stated""".split())


def stem(word: str) -> str:
    """A light suffix stripper so "signed", "signing" and "signs" meet."""
    for suf in ("ations", "ation", "ings", "ing", "ies", "ied", "ers", "er", "ed", "es", "s", "ly"):
        if len(word) > len(suf) + 3 and word.endswith(suf):
            return word[: -len(suf)] + ("y" if suf in ("ies", "ied") else "")
    return word


def key_terms(question: str) -> list[str]:
    return list(dict.fromkeys(
        stem(w) for w in words(question) if w not in STOPWORDS and w not in _QWORDS))


class ExtractiveAnswerer:
    """Composes an Answer from retrieved chunks by quoting their sentences."""

    mode = "extractive"

    def __init__(self, embedder: Any, idf: Callable[[str], float], threshold: float,
                 max_sentences: int = 3, passages: int = 5, max_candidates: int = 48) -> None:
        self.embedder = embedder
        self.idf = idf
        self.threshold = threshold
        self.max_sentences = max_sentences
        self.passages = passages
        self.max_candidates = max_candidates

    def _candidates(self, chunks: list[RetrievedChunk]) -> list[tuple[int, int, int, str]]:
        """(chunk index, start, end, sentence) in document offsets, from the best passages."""
        from ingest.chunking import is_heading

        out = []
        for ci, ch in enumerate(chunks[: self.passages]):
            base = int(ch.metadata.get("char_start", 0))
            for s, e in sentence_spans(ch.text):
                sent = ch.text[s:e]
                if len(words(sent)) < 4 or is_heading(sent):
                    continue
                out.append((ci, base + s, base + e, sent))
        return out[: self.max_candidates]

    def score(self, question: str, chunks: list[RetrievedChunk], qvec: np.ndarray
              ) -> list[tuple[float, int, int, int, str]]:
        """Scored candidates (score, chunk index, start, end, sentence), best first."""
        cands = self._candidates(chunks)
        if not cands:
            return []
        terms = key_terms(question)
        weights = {t: self.idf(t) for t in terms}
        total = sum(weights.values()) or 1.0
        sent_vecs = self.embedder.embed_batch([c[3] for c in cands])
        sims = sent_vecs @ qvec
        chunk_terms = [
            {stem(w) for w in words(ch.text + " " + str(ch.metadata.get("title", "")) + " "
                                    + str(ch.metadata.get("section", "")))}
            for ch in chunks[: self.passages]]
        scored = []
        for (ci, s, e, sent), sim in zip(cands, sims, strict=True):
            st = {stem(w) for w in words(sent)}
            sent_cov = sum(w for t, w in weights.items() if t in st) / total
            ctx_cov = sum(w for t, w in weights.items() if t in chunk_terms[ci]) / total
            score = 0.5 * float(sim) + 0.25 * sent_cov + 0.25 * ctx_cov - 0.01 * ci
            scored.append((score, ci, s, e, sent))
        scored.sort(key=lambda x: -x[0])
        return scored

    def compose(self, question: str, chunks: list[RetrievedChunk], qvec: np.ndarray) -> Answer:
        """An extractive Answer (or a refusal) for ``question`` from ``chunks``."""
        scored = self.score(question, chunks, qvec) if chunks else []
        best = scored[0][0] if scored else 0.0
        if not scored or best < self.threshold:
            return refusal(question, chunks, best)
        chosen: list[tuple[float, int, int, int, str]] = []
        for cand in scored:
            if len(chosen) >= self.max_sentences:
                break
            if chosen and (cand[0] < max(self.threshold, 0.88 * best)):
                break
            if any(_overlap(cand[4], c[4]) > 0.6 for c in chosen):
                continue
            chosen.append(cand)
        citations = []
        parts = []
        for n, (score, ci, s, e, sent) in enumerate(chosen, start=1):
            citations.append(make_citation(n, chunks[ci], sent, s, e, score))
            parts.append(f"{sent} [{n}]")
        return Answer(question=question, text=" ".join(parts), refused=False,
                      citations=citations, evidence=best)


def make_citation(n: int, chunk: RetrievedChunk, quote: str, start: int, end: int,
                  score: float) -> Citation:
    m = chunk.metadata
    return Citation(
        n=n, source=str(m.get("source", "")), title=str(m.get("title", "")),
        doc_type=str(m.get("doc_type", "other")), date=(m.get("date") or None),
        page=(int(m["page"]) if m.get("page") else None), section=(m.get("section") or None),
        chunk_id=chunk.chunk_id, quote=quote, char_start=start, char_end=end,
        content_hash=str(m.get("sha256", "")), score=round(float(score), 4),
        marking=str(m.get("marking", "UNMARKED")))


def related_sources(chunks: list[RetrievedChunk], limit: int = 3) -> list[RetrievedSource]:
    out: dict[str, RetrievedSource] = {}
    for ch in chunks:
        if ch.source not in out:
            m = ch.metadata
            out[ch.source] = RetrievedSource(ch.source, ch.score, str(m.get("title", "")),
                                             ch.chunk_id, int(m["page"]) if m.get("page") else None)
        if len(out) >= limit:
            break
    return list(out.values())


def refusal(question: str, chunks: list[RetrievedChunk], evidence: float = 0.0) -> Answer:
    ans = Answer(question=question, text=REFUSAL if chunks else
                 "The indexed documents do not answer this question.", refused=True,
                 related=related_sources(chunks), evidence=evidence)
    return ans


def _overlap(a: str, b: str) -> float:
    wa, wb = set(words(a)), set(words(b))
    return len(wa & wb) / max(1, min(len(wa), len(wb)))

