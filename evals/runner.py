"""Runs a QA set through ``QA.answer`` and scores it: per-question records, summaries overall and
per tag, the comparison with another run, and ``--fail-under`` thresholds.

The records and summaries are plain JSON-ready dicts: they are what results.json holds and what
the report and ``--compare`` read back.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

from accord.access.audit import Origin
from accord.errors import BadQuestion
from accord.models import Answer, Filters
from evals import metrics as M
from evals.qaset import QAItem

RETRIEVAL_KEYS = ("hit@1", "hit@5", "hit@10", "recall@10", "mrr", "ndcg@10")
ANSWER_KEYS = (
    "answer_containment",
    "lead_containment",
    "answer_coverage",
    "answer_f1",
    "answer_similarity",
)
CITATION_KEYS = ("citation_precision", "citation_validity")
SUMMARY_KEYS = tuple(m.key for m in M.METRICS)
# A question's overall verdict: found a gold document, said an expected answer, quoted exactly,
# refused exactly when it should. The other per-metric flags are recorded but do not decide it.
VERDICT_KEYS = ("hit@5", "answer_containment", "citation_validity", "refusal")

Progress = Callable[[int, QAItem], None]


def evaluate(
    qa: Any,
    items: Sequence[QAItem],
    documents: Any,
    embedder: Any,
    *,
    k: int | None = None,
    mode: str = "hybrid",
    filters: Filters | None = None,
    progress: Progress | None = None,
    warm_up: bool = True,
    origin: Origin | None = None,
) -> list[dict[str, Any]]:
    """Answer every item with ``qa.answer`` and return one scored record per item, in order.

    ``documents.document(source)`` gives the indexed Document used to check citation spans;
    ``embedder.embed_batch`` embeds answers for the similarity metric. A question the pipeline
    rejects (BadQuestion) is recorded with its error and scores 0; other errors propagate.
    Every answer is audited as ``origin`` (default: front end ``eval``).
    """
    origin = origin or Origin("eval")
    if warm_up and items:  # model load and lexical index build are not the question's latency
        try:
            qa.answer(items[0].question, filters, k=k, mode=mode, origin=origin)
        except BadQuestion:
            pass
    records: list[dict[str, Any]] = []
    doc_cache: dict[str, Any] = {}
    for i, item in enumerate(items):
        t0 = time.perf_counter()
        error = None
        try:
            ans = qa.answer(item.question, filters, k=k, mode=mode, origin=origin)
        except BadQuestion as exc:
            ans, error = Answer(item.question, "", refused=False), exc.message
        latency = (time.perf_counter() - t0) * 1000
        records.append(score_answer(item, ans, latency, _lookup(documents, doc_cache), error))
        if progress:
            progress(i + 1, item)
    sims = M.answer_similarities(
        embedder,
        [r["answer"] for r in records],
        [items[i].answers if _answer_scored(records[i]) else [] for i in range(len(items))],
    )
    for rec, sim in zip(records, sims, strict=True):
        if rec["answerable"] and rec["expected_answers"]:
            rec["metrics"]["answer_similarity"] = 0.0 if rec["refused"] else sim
        _set_passes(rec)
    return records


def _answer_scored(rec: dict[str, Any]) -> bool:
    return bool(rec["answerable"] and rec["expected_answers"] and not rec["refused"])


def _lookup(documents: Any, cache: dict[str, Any]) -> Callable[[str], Any]:
    def get(source: str) -> Any:
        if source not in cache:
            cache[source] = documents.document(source) if documents is not None else None
        return cache[source]

    return get


def score_answer(
    item: QAItem,
    ans: Answer,
    latency_ms: float,
    document: Callable[[str], Any],
    error: str | None = None,
) -> dict[str, Any]:
    """Score one answer (all metrics but embedding similarity, which is batched by the caller)."""
    ranked = [r.source for r in ans.retrieved]
    scores = [r.score for r in ans.retrieved]
    gold = list(dict.fromkeys(item.sources)) if item.answerable else []
    gains = [M.page_gain(r.source, r.page, gold, item.pages) for r in ans.retrieved]
    citations = []
    for c in ans.citations:
        doc = document(c.source)
        valid = M.citation_is_valid(
            c.quote,
            c.char_start,
            c.char_end,
            c.content_hash,
            doc.text if doc else None,
            doc.sha256 if doc else None,
        )
        cit = {k: v for k, v in asdict(c).items() if k != "score"}
        citations.append(
            {**cit, "score": round(c.score, 6), "valid": valid, "gold": c.source in gold}
        )
    m: dict[str, float | None] = {
        "hit@1": M.hit_at_k(ranked, gold, 1, scores),
        "hit@5": M.hit_at_k(ranked, gold, 5, scores),
        "hit@10": M.hit_at_k(ranked, gold, 10, scores),
        "recall@10": M.recall_at_k(ranked, gold, 10, scores),
        "mrr": M.reciprocal_rank(ranked, gold, scores),
        "ndcg@10": M.ndcg_at_k(gains, len(gold), 10, scores),
        "citation_precision": None
        if ans.refused
        else M.citation_precision([c.source for c in ans.citations], gold),
        "citation_validity": M.share([c["valid"] for c in citations]),
    }
    exp = item.answers if item.answerable else []
    for key, fn in (
        ("answer_containment", M.containment),
        ("answer_coverage", M.coverage),
        ("answer_f1", M.token_f1),
    ):
        value = fn(ans.text, exp)
        m[key] = 0.0 if value is not None and ans.refused else value
    m["lead_containment"] = _lead_containment(ans, exp)
    lead_holds = _lead_holds(ans, exp)
    m["answer_similarity"] = None  # filled in by evaluate() in one embedding batch
    return {
        "id": item.id,
        "line": item.line,
        "question": item.question,
        "tags": item.tags,
        "answerable": item.answerable,
        "expected_answers": exp,
        "gold_sources": gold,
        "gold_pages": item.pages,
        "unknown_sources": item.unknown_sources,
        "answer": ans.text,
        "refused": ans.refused,
        "weak": ans.weak,
        "error": error,
        "notice": ans.notice,
        "parts": ans.parts,
        "kind_checks": _kind_checks(ans),
        "retrieved": [
            {"source": r.source, "score": round(r.score, 6), "page": r.page, "title": r.title}
            for r in ans.retrieved
        ],
        "citations": citations,
        "first_gold_rank": M.first_gold_rank(ranked, gold),
        "lead_holds": lead_holds,
        "latency_ms": round(latency_ms, 1),
        "metrics": m,
    }


def _lead_containment(ans: Answer, expected: Sequence[str]) -> float | None:
    """Whether the leads of the answered parts hold an expected answer (None when there is
    none to hold, or the answerer gives no leads)."""
    if not expected:
        return None
    if ans.refused:
        return 0.0
    if not any("leads" in p for p in ans.parts):
        return None
    leads = [
        ld["text"] for p in ans.parts if p.get("verdict") == "answer" for ld in p.get("leads") or []
    ]
    return M.containment(" ".join(leads), expected) if leads else 0.0


def _lead_holds(ans: Answer, expected: Sequence[str]) -> bool | None:
    """Whether the answered parts' leads hold an expected answer, asked only where a quote they
    lead holds one (None otherwise)."""
    if ans.refused or not expected:
        return None
    quotes = {c.n: c.quote for c in ans.citations}
    leads = [ld for p in ans.parts if p.get("verdict") == "answer" for ld in p.get("leads") or []]
    if not any(M.containment(quotes.get(ld["n"], ""), expected) for ld in leads):
        return None
    return bool(M.containment(" ".join(ld["text"] for ld in leads), expected))


def quotes_per_part(records: Sequence[dict[str, Any]]) -> float | None:
    """The mean number of quotes an answered (or weakly answered) part cites."""
    counts = [
        len(p.get("citations") or [])
        for r in records
        if not r["refused"]
        for p in r.get("parts") or []
        if p.get("verdict") in ("answer", "weak")
    ]
    return sum(counts) / len(counts) if counts else None


def _kind_checks(ans: Answer) -> list[list[Any]]:
    """[kind, holds] for each answered "who" or "when" part: does what the officer reads for it
    hold a person or body (a date)?"""
    from accord.answer.kinds import has_kind
    from accord.language.lexicon import lexicon

    lines = ans.text.split("\n")
    out = []
    for i, part in enumerate(ans.parts):
        if part.get("verdict") == "answer" and part.get("kind") in ("who", "when"):
            text = lines[i] if len(lines) == len(ans.parts) else ans.text
            out.append([part["kind"], has_kind(part["kind"], text, lexicon())])
    return out


def _set_passes(rec: dict[str, Any]) -> None:
    passes: dict[str, bool] = {}
    for key, value in rec["metrics"].items():
        info = M.METRIC_INFO.get(key)
        if value is not None and info is not None and info.pass_at is not None:
            passes[key] = value >= info.pass_at - 1e-12
    passes["refusal"] = rec["refused"] == (not rec["answerable"])
    rec["pass"] = passes
    rec["passed"] = all(passes[k] for k in VERDICT_KEYS if k in passes)


def summarise(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The summary of a set of records: every metric averaged over the questions it applies
    to, refusal scores, latency percentiles and counts."""
    out: dict[str, Any] = {}
    for key in RETRIEVAL_KEYS + ANSWER_KEYS + CITATION_KEYS:
        out[key] = _round(M.mean_defined(r["metrics"].get(key) for r in records))
    for key, value in M.refusal_scores([(r["refused"], r["answerable"]) for r in records]).items():
        out[key] = _round(value)
    lat = [r["latency_ms"] for r in records]
    out["latency_p50_ms"] = _round(M.percentile(lat, 50), 1)
    out["latency_p95_ms"] = _round(M.percentile(lat, 95), 1)
    out["n"] = len(records)
    out["n_answerable"] = sum(1 for r in records if r["answerable"])
    out["n_unanswerable"] = out["n"] - out["n_answerable"]
    out["n_with_gold"] = sum(1 for r in records if r["gold_sources"])
    out["n_refused"] = sum(1 for r in records if r["refused"])
    out["n_weak"] = sum(1 for r in records if r.get("weak"))
    answerable = [r for r in records if r["answerable"]]
    unanswerable = [r for r in records if not r["answerable"]]
    # Weak answers ("the closest the documents come") counted both ways: as a refusal and not.
    out["answerable_refused_or_weak"] = _round(
        M.share([r["refused"] or bool(r.get("weak")) for r in answerable]) if answerable else None
    )
    out["unanswerable_refused_or_weak"] = _round(
        M.share([r["refused"] or bool(r.get("weak")) for r in unanswerable])
        if unanswerable
        else None
    )
    for kind in ("who", "when"):
        checks = [ok for r in records for k, ok in r.get("kind_checks", []) if k == kind]
        out[f"{kind}_answers_with_{'someone' if kind == 'who' else 'a_date'}"] = _round(
            M.share(checks) if checks else None
        )
    out["n_citations"] = sum(len(r["citations"]) for r in records)
    out["quotes_per_answered_part"] = _round(quotes_per_part(records), 3)
    # the lead's own share of the work: of the answered questions whose quotes hold an expected
    # answer, the share whose leads hold one too (the rest is the choice of sentence)
    held = [r["lead_holds"] for r in records if r.get("lead_holds") is not None]
    out["lead_when_quoted"] = _round(M.share(held) if held else None)
    out["n_unknown_sources"] = sum(1 for r in records if r["unknown_sources"])
    out["errors"] = sum(1 for r in records if r["error"])
    return out


def summarise_by_tag(records: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """One summary per tag (a question with several tags counts in each), tags sorted."""
    tags = sorted({t for r in records for t in r["tags"]})
    return {t: summarise([r for r in records if t in r["tags"]]) for t in tags}


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


# --- comparison and thresholds -------------------------------------------------------------------
def compare(this: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    """Deltas (this minus other) of the summaries, per-tag summaries, and the questions (matched
    by id) whose pass/fail changed."""

    def deltas(a: dict[str, Any], b: dict[str, Any]) -> dict[str, dict[str, float | None]]:
        out = {}
        for key in SUMMARY_KEYS + ("n",):
            x, y = a.get(key), b.get(key)
            if x is None and y is None:
                continue
            d = (
                round(x - y, 4)
                if isinstance(x, int | float) and isinstance(y, int | float)
                else None
            )
            out[key] = {"this": x, "other": y, "delta": d}
        return out

    tags_a = this["summary"].get("by_tag", {})
    tags_b = other.get("summary", {}).get("by_tag", {})
    theirs = {q["id"]: q for q in other.get("questions", [])}
    changed = []
    for q in this.get("questions", []):
        o = theirs.get(q["id"])
        if o is None:
            continue
        for key, now in q.get("pass", {}).items():
            before = o.get("pass", {}).get(key)
            if before is not None and before != now:
                changed.append({"id": q["id"], "metric": key, "before": before, "after": now})
    return {
        "other_config": other.get("config", {}),
        "summary": deltas(this["summary"], other.get("summary", {})),
        "by_tag": {t: deltas(tags_a[t], tags_b[t]) for t in tags_a if t in tags_b},
        "changed": changed,
        "other_latency_ms": [q.get("latency_ms", 0.0) for q in other.get("questions", [])],
        "only_this": sorted(set(q["id"] for q in this.get("questions", [])) - set(theirs)),
        "only_other": sorted(set(theirs) - set(q["id"] for q in this.get("questions", []))),
    }


class ThresholdError(ValueError):
    """A ``--fail-under`` argument that cannot be used."""


_TAGGED = re.compile(r"^(?P<metric>[^\[\]]+)\[(?P<tag>[^\[\]]+)\]$")


def parse_thresholds(specs: Sequence[str]) -> dict[str, float]:
    """Parse ``METRIC=VALUE`` or ``METRIC[TAG]=VALUE`` specs into {"METRIC" or "METRIC[TAG]":
    minimum}. Raises ThresholdError naming the bad spec and why."""
    out: dict[str, float] = {}
    for spec in specs:
        key, sep, value = spec.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ThresholdError(f"--fail-under {spec!r}: expected METRIC=VALUE, e.g. hit@5=0.9")
        tagged = _TAGGED.match(key)
        name = tagged["metric"].strip() if tagged else key
        info = M.METRIC_INFO.get(name)
        if info is None:
            known = ", ".join(m.key for m in M.METRICS if m.higher_is_better)
            raise ThresholdError(
                f"--fail-under {spec!r}: unknown metric {name!r}; use one of {known}"
            )
        if not info.higher_is_better:
            raise ThresholdError(
                f"--fail-under {spec!r}: {name} is better when lower, so a "
                "minimum makes no sense for it"
            )
        try:
            out[key] = float(value)
        except ValueError:
            raise ThresholdError(f"--fail-under {spec!r}: {value!r} is not a number") from None
    return out


def check_thresholds(summary: dict[str, Any], thresholds: dict[str, float]) -> list[str]:
    """Messages for each threshold missed; a metric that was not measured (or a tag no question
    carries) counts as missed."""
    missed = []
    for name, minimum in thresholds.items():
        tagged = _TAGGED.match(name)
        if tagged:
            value = summary.get("by_tag", {}).get(tagged["tag"], {}).get(tagged["metric"])
        else:
            value = summary.get(name)
        if value is None:
            missed.append(
                f"{name} was not measured (no question it applies to); needed >= {minimum}"
            )
        elif value < minimum:
            missed.append(f"{name} = {value:.4f} is under the threshold {minimum}")
    return missed
