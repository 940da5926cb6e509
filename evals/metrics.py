"""The evaluation metrics, as pure functions, and the definition of each one as shown in reports.

Retrieval metrics take the answer's ranked list of distinct retrieved sources with their scores.
Retrieved documents with equal scores have no meaningful order between them, so every retrieval
metric is the *expected value over all orders of the tied documents* (McSherry and Najork,
"Computing information retrieval performance measures efficiently in the presence of tied
scores", 2008):
with no ties this is the ordinary metric. A metric that does not apply to a question (no gold
sources, no expected answers, no citations) returns ``None`` and is left out of averages.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

TIE_EPS = 1e-9
OFF_PAGE_GAIN = 0.5  # a gold document retrieved at a page outside the gold pages


@dataclass(frozen=True)
class MetricInfo:
    """How a metric is named, defined and judged in summaries and reports."""

    key: str
    label: str
    definition: str
    higher_is_better: bool = True
    pass_at: float | None = 0.5  # a question passes when its value >= this (None: no pass/fail)
    kind: str = "rate"  # "rate" (0..1), "ms" or "count"


METRICS: tuple[MetricInfo, ...] = (
    MetricInfo(
        "hit@1",
        "Hit@1",
        "Share of questions with gold sources whose top retrieved document is a gold source.",
    ),
    MetricInfo(
        "hit@5",
        "Hit@5",
        "Share of questions with gold sources that have a gold source "
        "among the first 5 distinct retrieved documents.",
    ),
    MetricInfo("hit@10", "Hit@10", "As Hit@5, within the first 10 distinct retrieved documents."),
    MetricInfo(
        "recall@10",
        "Recall@10",
        "Mean share of a question's gold sources found among the "
        "first 10 distinct retrieved documents (a question listing two equivalent copies "
        "needs both for 1.0).",
    ),
    MetricInfo(
        "mrr",
        "MRR",
        "Mean reciprocal rank of the first gold source in the retrieved "
        "list (1 at rank 1, 1/2 at rank 2, 0 when no gold source is retrieved).",
    ),
    MetricInfo(
        "ndcg@10",
        "nDCG@10",
        "Normalised discounted cumulative gain over the first 10 "
        "retrieved documents. Gain 1 for a gold source retrieved at a gold page (or when "
        "the question gives no pages / the source has none), 0.5 for a gold source whose "
        "best chunk lies on another page, 0 otherwise; discount 1/log2(rank+1); divided "
        "by the gain of the ideal ranking.",
    ),
    MetricInfo(
        "answer_containment",
        "Answer containment",
        "Share of answerable questions whose "
        "answer contains at least one expected answer, compared as word sequences after "
        "Unicode normalisation, case folding and dropping punctuation. A refusal scores 0.",
    ),
    MetricInfo(
        "lead_containment",
        "Lead containment",
        "Share of answerable questions whose "
        "answered parts' leads (the words that open each part's answer, before its "
        "[n] marker; accord/answer/leads.py) contain at least one expected answer, compared "
        "as "
        "answer containment is. A refusal, or an answer without answered parts, scores "
        "0; an answerer that gives no leads (LLM mode) is not scored.",
    ),
    MetricInfo(
        "answer_coverage",
        "Answer coverage",
        "Mean share of a question's expected "
        "answers contained in the answer (all facts asked for, not just one).",
    ),
    MetricInfo(
        "answer_f1",
        "Answer token F1",
        "Best token F1 (SQuAD style: lower case, no "
        "punctuation or articles) between the answer and any expected answer. Long "
        "extractive answers score low on precision by construction.",
        pass_at=None,
    ),
    MetricInfo(
        "answer_similarity",
        "Answer similarity",
        "Best cosine similarity between the "
        "embedding of the answer and that of any expected answer (the index's own "
        "embedding model). A refusal scores 0.",
    ),
    MetricInfo(
        "citation_precision",
        "Citation precision",
        "Mean share of an answer's citations "
        "that point at a gold source, over answered questions with gold sources and at "
        "least one citation.",
    ),
    MetricInfo(
        "citation_validity",
        "Citation validity",
        "Mean share of an answer's citations "
        "whose quote is exactly the indexed text at its character span, in the revision "
        "named by its content hash; over questions with at least one citation. A question "
        "passes only when every citation is valid.",
        pass_at=1.0,
    ),
    MetricInfo(
        "refusal_precision",
        "Refusal precision",
        "Of the questions the assistant refused, the share that are marked unanswerable.",
        pass_at=None,
    ),
    MetricInfo(
        "refusal_recall",
        "Refusal recall",
        "Of the questions marked unanswerable, the share the assistant refused.",
        pass_at=None,
    ),
    MetricInfo(
        "answerable_refused",
        "Answerable refused",
        "Of the answerable questions, the share the assistant refused (lower is better).",
        higher_is_better=False,
        pass_at=None,
    ),
    MetricInfo(
        "latency_p50_ms",
        "Latency p50",
        "Median wall-clock time of QA.answer per "
        "question, in milliseconds, after one warm-up question (linear interpolation "
        "between closest ranks).",
        higher_is_better=False,
        pass_at=None,
        kind="ms",
    ),
    MetricInfo(
        "latency_p95_ms",
        "Latency p95",
        "95th percentile of the same times.",
        higher_is_better=False,
        pass_at=None,
        kind="ms",
    ),
)
METRIC_INFO: dict[str, MetricInfo] = {m.key: m for m in METRICS}


# --- retrieval --------------------------------------------------------------------------------
def tie_groups(scores: Sequence[float]) -> list[tuple[int, int]]:
    """Split ranks 0..n-1 into runs of equal scores: a list of (start, end) with end exclusive."""
    groups: list[tuple[int, int]] = []
    start = 0
    for i in range(1, len(scores) + 1):
        if i == len(scores) or abs(scores[i] - scores[start]) > TIE_EPS:
            groups.append((start, i))
            start = i
    return groups


def _groups(n: int, scores: Sequence[float] | None) -> list[tuple[int, int]]:
    if scores is None:
        return [(i, i + 1) for i in range(n)]
    if len(scores) != n:
        raise ValueError("scores and ranked sources differ in length")
    return tie_groups(scores)


def _gold_groups(
    ranked: Sequence[str], gold_set: set[str], scores: Sequence[float] | None
) -> list[tuple[int, int, int]]:
    """(start, end, gold documents in it) for each tie group of the ranking, in order."""
    return [
        (a, b, sum(1 for s in ranked[a:b] if s in gold_set))
        for a, b in _groups(len(ranked), scores)
    ]


def _first_gold_group(
    ranked: Sequence[str], gold_set: set[str], scores: Sequence[float] | None
) -> tuple[int, int, int] | None:
    """(start, end, gold documents in it) of the first tie group holding gold, or None."""
    return next(((a, b, g) for a, b, g in _gold_groups(ranked, gold_set, scores) if g), None)


def hit_at_k(
    ranked: Sequence[str], gold: Iterable[str], k: int, scores: Sequence[float] | None = None
) -> float | None:
    """1.0 if a gold source is among the first ``k`` (expected value under ties); None if no
    gold sources."""
    gold_set = set(gold)
    if not gold_set:
        return None
    first = _first_gold_group(ranked, gold_set, scores)
    if first is None or first[0] >= k:
        return 0.0
    a, b, g = first
    m, slots = b - a, min(k - a, b - a)
    # Probability that at least one of the g gold documents lands in the first `slots`.
    return 1.0 - math.comb(m - g, slots) / math.comb(m, slots)


def recall_at_k(
    ranked: Sequence[str], gold: Iterable[str], k: int, scores: Sequence[float] | None = None
) -> float | None:
    """Expected share of the gold sources found in the first ``k``; None if no gold."""
    gold_set = set(gold)
    if not gold_set:
        return None
    found = 0.0
    for a, b, g in _gold_groups(ranked, gold_set, scores):
        slots = max(0, min(k - a, b - a))
        found += g * slots / (b - a)
    return found / len(gold_set)


def reciprocal_rank(
    ranked: Sequence[str], gold: Iterable[str], scores: Sequence[float] | None = None
) -> float | None:
    """Expected 1/rank of the first gold source (0 if none is retrieved); None if no gold."""
    gold_set = set(gold)
    if not gold_set:
        return None
    first = _first_gold_group(ranked, gold_set, scores)
    if first is None:
        return 0.0
    a, b, g = first
    m = b - a
    # P(the first gold document sits at offset j of the group) = C(m-j-1, g-1) / C(m, g).
    return sum(
        math.comb(m - j - 1, g - 1) / math.comb(m, g) / (a + j + 1) for j in range(m - g + 1)
    )


def first_gold_rank(ranked: Sequence[str], gold: Iterable[str]) -> int | None:
    """1-based position of the first gold source in the list as returned, or None."""
    gold_set = set(gold)
    return next((i + 1 for i, s in enumerate(ranked) if s in gold_set), None)


def page_gain(
    source: str, page: int | None, gold: Iterable[str], gold_pages: Iterable[int] = ()
) -> float:
    """Graded relevance of a retrieved document: 1 gold (at a gold page), 0.5 gold off-page, 0."""
    if source not in set(gold):
        return 0.0
    pages = set(gold_pages)
    if not pages or page is None or page in pages:
        return 1.0
    return OFF_PAGE_GAIN


def ndcg_at_k(
    gains: Sequence[float], n_gold: int, k: int = 10, scores: Sequence[float] | None = None
) -> float | None:
    """Expected nDCG@k of a ranking with these gains; the ideal puts ``n_gold`` gains of 1 first.

    Under ties each document of a tied group is equally likely at each of the group's positions,
    so the group contributes (sum of its gains) x (mean discount of its positions within k).
    Returns None when there is no gold source.
    """
    if n_gold <= 0:
        return None
    dcg = 0.0
    for a, b in _groups(len(gains), scores):
        discounts = [1.0 / math.log2(p + 2) for p in range(a, min(b, k))]
        dcg += sum(gains[a:b]) * sum(discounts) / (b - a)
    ideal = sum(1.0 / math.log2(p + 2) for p in range(min(n_gold, k)))
    return dcg / ideal


# --- answers -----------------------------------------------------------------------------------
_MARKER = re.compile(r"\[\d+\]")
_ARTICLES = {"a", "an", "the"}


def words(text: str) -> list[str]:
    """Lower-cased word tokens after Unicode (NFKC) normalisation, citation markers removed."""
    text = unicodedata.normalize("NFKC", _MARKER.sub(" ", text or "")).casefold()
    return re.findall(r"\w+", text)


def _contains(hay: Sequence[str], needle: Sequence[str]) -> bool:
    n = len(needle)
    return n > 0 and any(list(hay[i : i + n]) == list(needle) for i in range(len(hay) - n + 1))


def containment(answer: str, expected: Sequence[str]) -> float | None:
    """1.0 if any expected answer occurs in ``answer`` as a word sequence; None if none expected."""
    exp = [w for w in (words(e) for e in expected) if w]
    if not exp:
        return None
    hay = words(answer)
    return 1.0 if any(_contains(hay, e) for e in exp) else 0.0


def coverage(answer: str, expected: Sequence[str]) -> float | None:
    """Share of the expected answers occurring in ``answer``; None if none expected."""
    exp = [w for w in (words(e) for e in expected) if w]
    if not exp:
        return None
    hay = words(answer)
    return sum(1 for e in exp if _contains(hay, e)) / len(exp)


def token_f1(answer: str, expected: Sequence[str]) -> float | None:
    """Best SQuAD-style token F1 against any expected answer; None if none expected."""
    exp = [[w for w in words(e) if w not in _ARTICLES] for e in expected]
    exp = [e for e in exp if e]
    if not exp:
        return None
    got = Counter(w for w in words(answer) if w not in _ARTICLES)
    best = 0.0
    for e in exp:
        common = sum((got & Counter(e)).values())
        if common:
            p, r = common / sum(got.values()), common / len(e)
            best = max(best, 2 * p * r / (p + r))
    return best


def max_cosine(vector: np.ndarray, others: np.ndarray) -> float | None:
    """Highest cosine similarity between ``vector`` and the rows of ``others``; None if no rows."""
    others = np.atleast_2d(np.asarray(others, dtype=np.float64))
    if others.size == 0:
        return None
    v = np.asarray(vector, dtype=np.float64)
    norms = np.linalg.norm(others, axis=1) * np.linalg.norm(v)
    sims = np.divide(others @ v, norms, out=np.zeros(len(others)), where=norms > 0)
    return float(sims.max())


def answer_similarities(
    embedder: object, answers: Sequence[str], expected: Sequence[Sequence[str]]
) -> list[float | None]:
    """Best cosine of each answer against its expected answers, embedding everything in one
    batch with ``embedder.embed_batch``. None where a question has no expected answers."""
    texts = list(answers) + [e for exp in expected for e in exp]
    vecs = embedder.embed_batch(texts) if texts else np.zeros((0, 1))  # type: ignore[attr-defined]
    out: list[float | None] = []
    pos = len(answers)
    for i, exp in enumerate(expected):
        out.append(max_cosine(vecs[i], vecs[pos : pos + len(exp)]) if exp else None)
        pos += len(exp)
    return out


# --- citations ---------------------------------------------------------------------------------
def citation_precision(cited_sources: Sequence[str], gold: Iterable[str]) -> float | None:
    """Share of citations whose source is gold; None if no citations or no gold sources."""
    gold_set = set(gold)
    if not cited_sources or not gold_set:
        return None
    return sum(1 for s in cited_sources if s in gold_set) / len(cited_sources)


def citation_is_valid(
    quote: str,
    start: int,
    end: int,
    content_hash: str | None,
    doc_text: str | None,
    doc_sha256: str | None,
) -> bool:
    """True when the quote is non-empty and is exactly ``doc_text[start:end]`` of the revision
    named by ``content_hash`` (a missing document or another revision is invalid)."""
    if doc_text is None or not quote:
        return False
    if content_hash and doc_sha256 and content_hash != doc_sha256:
        return False
    if not 0 <= start <= end <= len(doc_text):
        return False
    return doc_text[start:end] == quote


def share(flags: Sequence[bool]) -> float | None:
    """Share of True values; None for an empty sequence."""
    return sum(1 for f in flags if f) / len(flags) if flags else None


# --- refusals, latency, averages ----------------------------------------------------------------
def refusal_scores(outcomes: Sequence[tuple[bool, bool]]) -> dict[str, float | None]:
    """From (refused, answerable) pairs: refusal precision and recall (the unanswerable class is
    the positive one) and the share of answerable questions refused. None when undefined."""
    refused_unans = sum(1 for r, a in outcomes if r and not a)
    refused = sum(1 for r, _ in outcomes if r)
    unanswerable = sum(1 for _, a in outcomes if not a)
    answerable = len(outcomes) - unanswerable
    return {
        "refusal_precision": refused_unans / refused if refused else None,
        "refusal_recall": refused_unans / unanswerable if unanswerable else None,
        "answerable_refused": (refused - refused_unans) / answerable if answerable else None,
    }


def percentile(values: Sequence[float], p: float) -> float | None:
    """The p-th percentile (0-100) with linear interpolation between closest ranks (numpy's
    default); None for no values."""
    if not values:
        return None
    xs = sorted(values)
    pos = (len(xs) - 1) * p / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def mean_defined(values: Iterable[float | None]) -> float | None:
    """Mean of the values that are not None; None if there are none."""
    xs = [v for v in values if v is not None]
    return sum(xs) / len(xs) if xs else None
