"""The offline extractive answerer: the answer is made only of sentences quoted from sources.

Each candidate sentence of the best retrieved chunks that meets what the question asks for
(accord.answerability) is scored by its meaning (cosine similarity with the question) and by how
much of the question's rarer words it and its passage contain. The best one to four sentences
become the answer, each with its [n] marker; nothing is written that is not in a document. When
no sentence meets the question, or the evidence is too weak, the answer is a refusal that says
what the closest passages lacked and lists the closest documents as possibly related.
"""

from __future__ import annotations

import bisect
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

from accord.access import unpack_caveats
from accord.answerability import acronyms, has_term
from accord.models import Answer, Citation, RetrievedChunk, RetrievedSource
from accord.question import QuestionProfile, stem
from accord.text import STOPWORDS, sentence_spans, words

REFUSAL = ("The indexed documents do not answer this question. "
           "The closest documents are listed below as possibly related.")

# Weights of the sentence score, and the share of the best score a further sentence needs to be
# quoted too; calibrated on samples/qa.jsonl and evals/datasets/corpus_qa.jsonl
# (benchmarks/calibrate.py).
W_SIM, W_SENT, W_CTX, W_TYPE, W_TITLE, W_PAST = 0.5, 0.2, 0.2, 0.1, 0.1, 0.05
KEEP_RATIO = 0.9
SCORE_CHARS = 200  # characters of a sentence embedded for scoring (the quote stays whole)
TYPE_SLACK = 0.15  # how far below the threshold a same-passage sentence of the asked type may be
# Penalty for a passage missing all the figures the question uses; for a passage of a document
# that amends another ("Protocol amending the MoU") when the question does not ask about the
# amendment: the MoU itself answers "when was the MoU signed?".
P_FIGURE, P_AMENDING, P_NAME = 0.3, 0.05, 0.15
_AMENDING = frozenset({"protocol", "amend", "addendum", "supplementari", "annex", "revis"})  # stems


class ExtractiveAnswerer:
    """Composes an Answer from retrieved chunks by quoting their sentences."""

    mode = "extractive"

    def __init__(self, embedder: Any, idf: Callable[[str], float], threshold: float,
                 max_sentences: int = 3, passages: int = 8, max_candidates: int = 60,
                 max_embedded: int = 8, document_text: Callable[[str], str] | None = None,
                 vocabulary: Callable[[], Any] | None = None) -> None:
        self.embedder = embedder
        self.document_text = document_text
        self.vocabulary = vocabulary  # the index's words (a new object when the index changes)
        self._sorted: tuple[Any, list[str]] | None = None
        self._doc_terms: OrderedDict[tuple[str, str], tuple[set[str], str]] = OrderedDict()
        self._lock = threading.Lock()
        self.doc_cache_size = 256  # documents whose words are kept for the answerability checks
        self.idf = idf
        self.threshold = threshold
        self.max_sentences = max_sentences
        self.passages = passages
        self.max_candidates = max_candidates
        self.max_embedded = max_embedded

    def index_has(self, stem_: str, word: str) -> bool:
        """Some indexed document uses ``word``, or a word opening like its stem ("ratif-ied")."""
        if self.vocabulary is None:
            return True
        vocab = self.vocabulary()
        with self._lock:
            if self._sorted is None or self._sorted[0] is not vocab:
                self._sorted = (vocab, sorted(vocab))  # once per index generation
            ordered = self._sorted[1]
        if word.lower() in vocab:
            return True
        prefix = stem_[: max(4, len(stem_) - 1)]
        i = bisect.bisect_left(ordered, prefix)
        return i < len(ordered) and ordered[i].startswith(prefix)

    def forget_documents(self) -> None:
        """Empty the cache of documents' words (benchmarks measure the cost of a cold cache)."""
        with self._lock:
            self._doc_terms.clear()

    def document_terms(self, chunk: RetrievedChunk) -> tuple[set[str], str]:
        """Stems and acronyms, and the text, of the whole document a chunk comes from (cached
        per revision): a name the question uses may be in the document's opening, not in
        every passage."""
        if self.document_text is None:
            return set(), ""
        key = (chunk.source, str(chunk.metadata.get("sha256", "")))
        with self._lock:
            terms = self._doc_terms.get(key)
        if terms is None:
            text = self.document_text(chunk.source)
            terms = (terms_of(text) | acronyms(text), text)
            with self._lock:
                self._doc_terms[key] = terms
                if len(self._doc_terms) > self.doc_cache_size:
                    self._doc_terms.popitem(last=False)
        return terms

    def _candidates(self, chunks: list[RetrievedChunk]) -> list[tuple[int, int, int, str]]:
        """(chunk index, start, end, sentence) in document offsets, from the best passages."""
        from ingest.chunking import is_heading

        out = []
        for ci, ch in enumerate(chunks[: self.passages]):
            base = int(ch.metadata.get("char_start", 0))
            title = _norm(str(ch.metadata.get("title", "")))
            spans = sentence_spans(ch.text)
            for s, e in signature_blocks(ch.text, spans):
                out.append((ci, base + s, base + e, ch.text[s:e]))
            for s, e in spans:
                sent = ch.text[s:e]
                if len(words(sent)) < 4 or is_heading(sent):
                    continue
                if (title and _norm(sent) in title) or (base + s == 0 and sent[-1] not in ".!?"):
                    continue  # a document's title names it, it answers nothing
                out.append((ci, base + s, base + e, sent))
        return out[: self.max_candidates]

    def score(self, question: str, chunks: list[RetrievedChunk], qvec: np.ndarray,
              prof: QuestionProfile | None = None, gaps: list[str] | None = None
              ) -> list[tuple[float, int, int, int, str]]:
        """Scored candidates (score, chunk index, start, end, sentence), best first.

        Only sentences that meet what the question asks for are scored (names, the thing and
        event asked about, amounts, a name's number: accord.answerability); what the others
        lacked is appended to ``gaps``. A sentence loses score when neither it nor its passage
        has a figure the question names.
        """
        cands = self._candidates(chunks)
        if not cands:
            return []
        prof = prof or QuestionProfile.of(question)
        gaps = [] if gaps is None else gaps
        needs = prof.needs
        never = needs.index_gaps(self.index_has) if needs.index_terms else []
        if never:
            gaps.extend(never)
            return []
        weights = {t: self.idf(w) for t, w in prof.terms.items()}
        total = sum(weights.values()) or 1.0
        passages = chunks[: self.passages]
        texts = [_context_text(ch) for ch in passages]
        contexts = [terms_of(text) for text in texts]
        titles = [terms_of(str(ch.metadata.get("title", ""))) for ch in passages]
        # What each passage (and its document) lacks; the first of them is enough to skip it.
        passage_gaps = []
        for ctx, text, ch in zip(contexts, texts, passages, strict=True):
            doc_terms, doc_text = self.document_terms(ch)
            lacks = needs.document_gaps(ctx | doc_terms, (doc_text, text))
            passage_gaps.append(lacks or [g for g in [needs.passage_gap(text, ctx)] if g])
        keep = []
        for cand in cands:
            ctx = contexts[cand[0]]
            sent_words = terms_of(cand[3])
            missing = passage_gaps[cand[0]] or [
                g for g in [needs.sentence_gap(cand[3], sent_words)] if g]
            if missing:
                gaps.extend(missing)
                continue
            missing_figures = sum(n not in ctx for n in prof.numbers)
            missing_names = sum(not has_term(p, ctx) for p in prof.proper)
            penalty = (P_FIGURE * missing_figures / max(1, len(prof.numbers))
                       + P_NAME * missing_names / max(1, len(prof.proper)))
            keep.append((cand, sent_words, penalty))
        if not keep:
            return []
        if len(keep) > self.max_embedded:
            # Embedding sentences is the costly step: embed only the lexically likeliest.
            def lexical(item: tuple) -> float:
                (ci, _, _, sent), sw, pen = item
                return (sum(w for t, w in weights.items() if t in sw) / total - 0.05 * ci - pen
                        + 0.3 * prof.type_ok(sent))

            keep = sorted(keep, key=lexical, reverse=True)[: self.max_embedded]
        # The document's title naming what the question names ("the JWC ... at its first
        # meeting" and "Minutes of the First Meeting of the Joint Working Committee").
        title_cov = [sum(w for t, w in weights.items() if t in title) / total for title in titles]
        # The opening of a sentence carries its meaning; long PDF "sentences" would cost most of
        # a question's time in padding.
        sims = self.embedder.embed_batch([c[3][:SCORE_CHARS] for c, _, _ in keep]) @ qvec
        scored = []
        for ((ci, s, e, sent), sw, penalty), sim in zip(keep, sims, strict=True):
            # Words of the document's title say which document, not what answers: a sentence
            # is credited for the question's other words ("signed" in "When was the MoU on
            # transborder crime signed?").
            focus = {t: w for t, w in weights.items() if t not in titles[ci]} or weights
            sent_cov = sum(w for t, w in focus.items() if t in sw) / (sum(focus.values()) or 1.0)
            ctx_cov = sum(w for t, w in weights.items() if t in contexts[ci]) / total
            score = (W_SIM * float(sim) + W_SENT * sent_cov + W_CTX * ctx_cov
                     + W_TYPE * prof.type_score(sent) + W_TITLE * title_cov[ci]
                     + W_PAST * prof.happened(sent)
                     - 0.01 * ci - penalty
                     - P_AMENDING * _amending(titles[ci], prof.terms))
            scored.append((score, ci, s, e, sent))
        scored.sort(key=lambda x: -x[0])
        return scored

    def compose(self, question: str, chunks: list[RetrievedChunk], qvec: np.ndarray) -> Answer:
        """An extractive Answer (or a refusal) for ``question`` from ``chunks``."""
        prof = QuestionProfile.of(question)
        gaps: list[str] = []
        scored = self.score(question, chunks, qvec, prof, gaps) if chunks else []
        best = scored[0][0] if scored else 0.0
        if not scored or best < self.threshold:
            return refusal(question, chunks, best, gaps if not scored else [])
        chosen: list[tuple[float, int, int, int, str]] = []
        for cand in scored:
            if len(chosen) >= self.max_sentences:
                break
            if chosen and (cand[0] < max(self.threshold, KEEP_RATIO * best)):
                break
            if any(_adds_little(cand[4], c[4]) for c in chosen):
                continue
            chosen.append(cand)
        if prof.wants and not any(prof.type_ok(c[4]) for c in chosen):
            # "When was it signed?": the best sentence says it was signed, the next one in the
            # same passage gives the date. Quote that one too.
            same = [c for c in scored if c[1] == chosen[0][1] and prof.type_ok(c[4])
                    and c[0] >= self.threshold - TYPE_SLACK and c not in chosen]
            if same and len(chosen) < self.max_sentences + 1:
                chosen.append(same[0])
        for kind in prof.also:
            # "When was it signed, and by whom?": the best sentences give the date; quote the
            # best one that names the signatories too.
            if not any(prof.type_ok(c[4], kind) for c in chosen):
                more = [c for c in scored if prof.type_ok(c[4], kind) and c not in chosen
                        and c[0] >= self.threshold]
                if more and len(chosen) < self.max_sentences + 1:
                    chosen.append(more[0])
        citations = []
        parts = []
        for n, (score, ci, s, e, sent) in enumerate(chosen, start=1):
            citations.append(make_citation(n, chunks[ci], sent, s, e, score))
            parts.append(f"{sent} [{n}]")
        return Answer(question=question, text=" ".join(parts), refused=False,
                      citations=citations, evidence=best)


def _context_text(ch: RetrievedChunk) -> str:
    """The chunk with what its document says about it: title, section and date in words."""
    m = ch.metadata
    date = str(m.get("date") or "")
    if len(date) == 10:
        y, mo, d = date.split("-")
        date = f"{int(d)} {_MONTH_NAMES[int(mo) - 1]} {y}"
    return f"{ch.text} {m.get('title', '')} {m.get('section', '')} {date}"


_MONTH_NAMES = ("January February March April May June July August September October November "
                "December").split()


_SIGN_START = re.compile(r"(IN WITNESS WHEREOF|In witness whereof|DONE (at|in)|Done (at|in)|"
                         r"SIGNED (at|in)|Signed (at|in))\b")
_SIGN_LINE = re.compile(r"(FOR|For|ON BEHALF OF|On behalf of|DONE|Done|\(signed\)|\(Signed\))\b")
_FOOTER = re.compile(r"\bPage \d+\b|^\d+$")


def signature_blocks(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans of signing blocks ("IN WITNESS WHEREOF ... DONE at Port Aldric on 14 November 2023
    ... FOR THE GOVERNMENT OF ... (signed) Tomas Arvelo, Minister of Home Affairs"), quoted
    whole: they say where, when and by whom an instrument was signed, in lines too short to be
    sentences."""
    out = []
    i = 0
    while i < len(spans):
        s, e = spans[i]
        if not _SIGN_START.match(text[s:e]):
            i += 1
            continue
        j, names = i + 1, 0
        while j < len(spans) and j - i < 14:
            line = text[spans[j][0]:spans[j][1]]
            if _FOOTER.search(line) or not (len(line) <= 90 or _SIGN_START.match(line)
                                            or _SIGN_LINE.match(line)):
                break
            names += bool(_SIGN_LINE.match(line))
            j += 1
        if names:
            out.append((s, spans[j - 1][1]))
        i = j
    return out


def _amending(title: set[str], terms: dict[str, str]) -> bool:
    """The title names an amending document and the question does not ask about one."""
    return bool(title & _AMENDING) and not (set(terms) & _AMENDING)


def terms_of(text: str) -> set[str]:
    """Stems of ``text``, with the acronyms officers use and what they stand for, both ways:
    "MoU" in a question meets "Memorandum of Understanding", and "JWC" in a document meets
    "Joint Working Committee"."""
    out = {stem(w) for w in set(words(text))}
    for short, long_ in _SPELLED.items():
        if long_[0] in out:
            out.add(short)
        if short in out:
            out.update(long_)
    return out


# Acronyms officers use -> stems of what documents spell out (the first is enough to count the
# acronym: "the Committee" is the JWC in its own minutes).
_SPELLED = {"mou": ("memorandum", "understand"), "jwc": ("committe", "joint", "work"),
            "usa": ("unit", "state"), "eu": ("european", "union"), "imec": ("corridor",),
            "asean": ("southeast", "asian", "nation")}


def _norm(text: str) -> str:
    return " ".join(words(text))


def make_citation(n: int, chunk: RetrievedChunk, quote: str, start: int, end: int,
                  score: float) -> Citation:
    m = chunk.metadata
    return Citation(
        n=n, source=str(m.get("source", "")), title=str(m.get("title", "")),
        doc_type=str(m.get("doc_type", "other")), date=(m.get("date") or None),
        page=(int(m["page"]) if m.get("page") else None), section=(m.get("section") or None),
        chunk_id=chunk.chunk_id, quote=quote, char_start=start, char_end=end,
        content_hash=str(m.get("sha256", "")), score=round(float(score), 4),
        marking=str(m.get("marking", "UNMARKED")), caveats=unpack_caveats(m.get("caveats")))


def related_sources(chunks: list[RetrievedChunk], limit: int | None = 3
                    ) -> list[RetrievedSource]:
    """Distinct documents in the order of their best chunk (at most ``limit``)."""
    out: dict[str, RetrievedSource] = {}
    for ch in chunks:
        if ch.source not in out:
            m = ch.metadata
            out[ch.source] = RetrievedSource(
                ch.source, ch.score, str(m.get("title", "")), ch.chunk_id,
                int(m["page"]) if m.get("page") else None, str(m.get("marking", "UNMARKED")),
                unpack_caveats(m.get("caveats")))
        if limit is not None and len(out) >= limit:
            break
    return list(out.values())


def refusal(question: str, chunks: list[RetrievedChunk], evidence: float = 0.0,
            gaps: list[str] | None = None) -> Answer:
    """A refusal listing the closest documents; ``gaps`` (what the closest passages lacked, such
    as "budget" or "Harbour Shield 2025") are named so the officer sees why."""
    text = REFUSAL if chunks else "The indexed documents do not answer this question."
    named = list(dict.fromkeys(gaps or []))[:3]
    if named:
        text += " The closest passages do not mention " + ", ".join(
            f"“{g}”" if " (" not in g else g for g in named) + "."
    return Answer(question=question, text=text, refused=True, related=related_sources(chunks),
                  evidence=evidence)


def _adds_little(new: str, old: str) -> bool:
    """``new`` repeats ``old``: under a third of its content words are not in ``old`` (a second
    sentence naming who signed is kept beside one naming where and when)."""
    wn = set(words(new)) - STOPWORDS
    fresh = wn - set(words(old))
    return len(fresh) < max(2, len(wn) / 3)
