"""Every evaluation metric against values worked out by hand: ties, no gold sources,
unanswerable questions, refusals; and the aggregation the summary, --compare and --fail-under
rest on."""

from __future__ import annotations

import math

import numpy as np
import pytest

from accord.models import Answer, Citation, Document, RetrievedSource
from evals import metrics as M
from evals import runner as R
from evals.qaset import QAItem

INV_LOG3 = 1 / math.log2(3)  # discount at rank 2


# --- ties -------------------------------------------------------------------------------------
def test_tie_groups_split_runs_of_equal_scores():
    assert M.tie_groups([0.9, 0.5, 0.5, 0.1]) == [(0, 1), (1, 3), (3, 4)]
    assert M.tie_groups([0.3, 0.3, 0.3]) == [(0, 3)]
    assert M.tie_groups([]) == []


# --- hit@k ------------------------------------------------------------------------------------
def test_hit_at_k_without_ties():
    ranked = ["a", "b", "c"]
    assert M.hit_at_k(ranked, {"b"}, 1) == 0.0
    assert M.hit_at_k(ranked, {"b"}, 2) == 1.0
    assert M.hit_at_k(ranked, {"b"}, 5) == 1.0
    assert M.hit_at_k(ranked, {"z"}, 10) == 0.0  # gold never retrieved
    assert M.hit_at_k([], {"z"}, 10) == 0.0


def test_hit_at_k_is_none_without_gold_sources():
    assert M.hit_at_k(["a", "b"], [], 5) is None
    assert M.hit_at_k(["a", "b"], set(), 1, [0.5, 0.4]) is None


def test_hit_at_k_with_ties_is_the_expected_value():
    # c is tied with b for ranks 2-3: it is at rank 2 in half the orders.
    ranked, scores = ["a", "b", "c"], [0.9, 0.5, 0.5]
    assert M.hit_at_k(ranked, {"c"}, 1, scores) == 0.0
    assert M.hit_at_k(ranked, {"c"}, 2, scores) == pytest.approx(0.5)
    assert M.hit_at_k(ranked, {"c"}, 3, scores) == 1.0
    # three-way tie at the top, one gold: P(gold first) = 1/3, P(in first two) = 2/3
    tied = [0.7, 0.7, 0.7]
    assert M.hit_at_k(["x", "y", "z"], {"z"}, 1, tied) == pytest.approx(1 / 3)
    assert M.hit_at_k(["x", "y", "z"], {"z"}, 2, tied) == pytest.approx(2 / 3)
    # two gold among three tied: P(a gold first) = 2/3
    assert M.hit_at_k(["x", "g1", "g2"], {"g1", "g2"}, 1, tied) == pytest.approx(2 / 3)
    # the order as listed does not matter inside a tie
    assert M.hit_at_k(["z", "x", "y"], {"z"}, 1, tied) == pytest.approx(1 / 3)


# --- recall@k ---------------------------------------------------------------------------------
def test_recall_at_k():
    ranked = ["a", "b", "c", "d"]
    assert M.recall_at_k(ranked, {"b", "d", "e"}, 2) == pytest.approx(1 / 3)
    assert M.recall_at_k(ranked, {"b", "d", "e"}, 10) == pytest.approx(2 / 3)
    assert M.recall_at_k(ranked, {"a"}, 1) == 1.0
    assert M.recall_at_k(ranked, [], 10) is None


def test_recall_at_k_with_ties():
    # g is one of three documents tied for ranks 2-4; only rank 2 is within k=2.
    assert M.recall_at_k(["a", "g", "x", "y"], {"g"}, 2, [1.0, 0.5, 0.5, 0.5]) == pytest.approx(
        1 / 3
    )
    assert M.recall_at_k(
        ["a", "g", "x", "y"], {"g", "a"}, 2, [1.0, 0.5, 0.5, 0.5]
    ) == pytest.approx((1 + 1 / 3) / 2)


# --- MRR --------------------------------------------------------------------------------------
def test_reciprocal_rank():
    assert M.reciprocal_rank(["a", "b", "c"], {"c"}) == pytest.approx(1 / 3)
    assert M.reciprocal_rank(["a", "b", "c"], {"a", "c"}) == 1.0
    assert M.reciprocal_rank(["a", "b", "c"], {"z"}) == 0.0
    assert M.reciprocal_rank(["a", "b", "c"], []) is None


def test_reciprocal_rank_with_ties():
    # two tied, gold second as listed: half the orders put it first -> 0.5*1 + 0.5*1/2
    assert M.reciprocal_rank(["x", "y"], {"y"}, [0.4, 0.4]) == pytest.approx(0.75)
    # rank 1 is not gold; ranks 2-3 tied with one gold -> 0.5*1/2 + 0.5*1/3 = 5/12
    assert M.reciprocal_rank(["t", "x", "g"], {"g"}, [0.9, 0.5, 0.5]) == pytest.approx(5 / 12)
    # three tied, two gold: first gold at rank 1 w.p. 2/3, at rank 2 w.p. 1/3 -> 5/6
    assert M.reciprocal_rank(["x", "g1", "g2"], {"g1", "g2"}, [0.5] * 3) == pytest.approx(5 / 6)


def test_first_gold_rank_is_the_position_as_listed():
    assert M.first_gold_rank(["a", "b", "c"], {"c", "b"}) == 2
    assert M.first_gold_rank(["a"], {"z"}) is None


# --- nDCG@10 with page-level gold -------------------------------------------------------------
def test_page_gain():
    gold, pages = ["mou.pdf", "press.txt"], [5]
    assert M.page_gain("other.md", 5, gold, pages) == 0.0
    assert M.page_gain("mou.pdf", 5, gold, pages) == 1.0
    assert M.page_gain("mou.pdf", 3, gold, pages) == 0.5
    assert M.page_gain("press.txt", None, gold, pages) == 1.0  # not a paged file
    assert M.page_gain("mou.pdf", 3, gold, []) == 1.0  # the question gives no pages


def test_ndcg_at_10():
    assert M.ndcg_at_k([1.0, 0.0, 0.0], 1) == 1.0
    assert M.ndcg_at_k([0.0, 1.0, 0.0], 1) == pytest.approx(INV_LOG3)  # 0.6309
    # gold at ranks 1 and 3 of two: (1 + 1/2) / (1 + 1/log2 3) = 0.9197
    assert M.ndcg_at_k([1.0, 0.0, 1.0], 2) == pytest.approx(1.5 / (1 + INV_LOG3))
    assert M.ndcg_at_k([0.5], 1) == pytest.approx(0.5)  # right document, wrong page
    assert M.ndcg_at_k([0.0] * 10 + [1.0], 1) == 0.0  # rank 11 is beyond the cut-off
    assert M.ndcg_at_k([], 2) == 0.0
    assert M.ndcg_at_k([1.0, 0.0], 0) is None  # no gold sources


def test_ndcg_with_ties_averages_the_discounts_of_the_tied_ranks():
    assert M.ndcg_at_k([0.0, 1.0], 1, scores=[0.3, 0.3]) == pytest.approx((1 + INV_LOG3) / 2)
    assert M.ndcg_at_k([1.0, 0.0], 1, scores=[0.3, 0.3]) == pytest.approx((1 + INV_LOG3) / 2)


# --- answers ----------------------------------------------------------------------------------
def test_containment_compares_word_sequences():
    ans = "The MoU was signed at Port Aldric on 14 November 2023. [1]"
    assert M.containment(ans, ["port  aldric"]) == 1.0
    assert M.containment(ans, ["Sarapura", "14 November 2023"]) == 1.0
    assert M.containment(ans, ["Port Ald"]) == 0.0  # not a whole word
    assert M.containment("for a term of 25 years", ["5 years"]) == 0.0
    assert M.containment("five (5) years", ["five (5) years"]) == 1.0
    assert M.containment("the \u2018Golden Lotus\u2019 syndicate", ["'Golden Lotus'"]) == 1.0
    assert M.containment(ans, []) is None  # nothing expected (unanswerable)


def test_coverage_counts_each_expected_fact():
    ans = "Signed on 14 November 2023 by Tomas Arvelo."
    assert M.coverage(ans, ["14 November 2023", "Tomas Arvelo", "Arun Wiratama"]) == pytest.approx(
        2 / 3
    )
    assert M.coverage(ans, []) is None


def test_token_f1():
    # answer words without articles/markers: mou was signed in port aldric (6); expected 2
    # -> p = 2/6, r = 1, F1 = 0.5; the best expected answer counts
    assert M.token_f1("The MoU was signed in Port Aldric [1]", ["Port Aldric"]) == pytest.approx(
        0.5
    )
    assert M.token_f1(
        "The MoU was signed in Port Aldric", ["Sarapura", "Port Aldric"]
    ) == pytest.approx(0.5)
    assert M.token_f1("Sarapura", ["Port Aldric"]) == 0.0
    assert M.token_f1("the port the port", ["port"]) == pytest.approx(2 * 0.5 / 1.5)
    assert M.token_f1("anything", []) is None


def test_max_cosine():
    assert M.max_cosine(np.array([1.0, 0.0]), np.array([[0.0, 1.0], [1.0, 1.0]])) == pytest.approx(
        1 / math.sqrt(2)
    )
    assert M.max_cosine(np.array([1.0, 0.0]), np.zeros((0, 2))) is None
    assert M.max_cosine(np.array([1.0, 0.0]), np.array([[0.0, 0.0]])) == 0.0


class BagOfWords:
    """A real (tiny) embedder: one dimension per vocabulary word, for exact expectations."""

    def __init__(self, vocab: list[str]) -> None:
        self.vocab = vocab
        self.calls = 0

    def embed_batch(self, texts):
        self.calls += 1
        return np.array([[float(w in M.words(t)) for w in self.vocab] for t in texts])


def test_answer_similarities_align_answers_with_their_expected_answers():
    emb = BagOfWords(["port", "aldric", "sarapura"])
    sims = M.answer_similarities(
        emb, ["Port Aldric", "Sarapura", "nothing"], [["Sarapura", "Port Aldric"], [], ["Port"]]
    )
    assert sims[0] == pytest.approx(1.0)
    assert sims[1] is None  # nothing expected
    assert sims[2] == 0.0  # zero vector
    assert emb.calls == 1  # one batch


# --- citations --------------------------------------------------------------------------------
def test_citation_precision():
    assert M.citation_precision(["a", "b", "a"], {"a"}) == pytest.approx(2 / 3)
    assert M.citation_precision([], {"a"}) is None
    assert M.citation_precision(["a"], []) is None


def test_citation_validity():
    text = "Hello world. Bye."
    assert M.citation_is_valid("world", 6, 11, "h1", text, "h1")
    assert not M.citation_is_valid("world", 5, 10, "h1", text, "h1")  # wrong span
    assert not M.citation_is_valid("world", 6, 11, "old", text, "h1")  # another revision
    assert not M.citation_is_valid("world", 6, 11, "h1", None, None)  # not indexed
    assert not M.citation_is_valid("Bye.", 13, 99, "h1", text, "h1")  # span out of range
    assert not M.citation_is_valid("", 0, 0, "h1", text, "h1")
    assert M.share([True, False, True, True]) == 0.75
    assert M.share([]) is None


# --- refusals, latency, averages --------------------------------------------------------------
def test_refusal_scores():
    outcomes = [(True, False), (True, True), (False, False), (False, True), (False, True)]
    assert M.refusal_scores(outcomes) == {
        "refusal_precision": 0.5,
        "refusal_recall": 0.5,
        "answerable_refused": pytest.approx(1 / 3),
    }
    none = M.refusal_scores([(False, True), (False, False)])
    assert none["refusal_precision"] is None and none["refusal_recall"] == 0.0
    assert M.refusal_scores([(True, True)])["refusal_recall"] is None  # nothing unanswerable
    assert M.refusal_scores([(False, False)])["answerable_refused"] is None


def test_percentile_interpolates_like_numpy():
    xs = [40.0, 10.0, 30.0, 20.0]
    assert M.percentile(xs, 50) == 25.0
    assert M.percentile(xs, 95) == pytest.approx(38.5)
    assert M.percentile(xs, 95) == pytest.approx(float(np.percentile(xs, 95)))
    assert M.percentile([7.0], 95) == 7.0
    assert M.percentile([], 50) is None


def test_mean_defined_skips_inapplicable_values():
    assert M.mean_defined([None, 1.0, 0.0]) == 0.5
    assert M.mean_defined([None, None]) is None


# --- scoring one answer, summaries, compare, thresholds ---------------------------------------
DOC = Document(source="mou.pdf", text="Article 1. The Parties shall cooperate.", sha256="h")


def _answer(refused: bool = False, quote_start: int = 11) -> Answer:
    quote = DOC.text[quote_start : quote_start + 28]
    cit = Citation(
        1,
        "mou.pdf",
        "MoU",
        "mou",
        None,
        1,
        None,
        "c1",
        quote,
        quote_start,
        quote_start + 28,
        "h",
        0.9,
    )
    bad = Citation(
        2, "press.txt", "Press", "statement", None, None, None, "c2", "invented", 0, 8, "x", 0.5
    )
    return Answer(
        "q",
        "" if refused else "The Parties shall cooperate. [1]",
        refused,
        [] if refused else [cit, bad],
        [RetrievedSource("press.txt", 0.5), RetrievedSource("mou.pdf", 0.5, page=2)],
    )


def test_score_answer_end_to_end_on_one_question():
    item = QAItem(
        "q1", "Shall they cooperate?", ["shall cooperate"], ["mou.pdf"], [1], tags=["mou"]
    )
    rec = R.score_answer(item, _answer(), 12.0, {"mou.pdf": DOC}.get)
    m = rec["metrics"]
    assert m["hit@1"] == pytest.approx(0.5)  # tied with press.txt at the top
    assert m["mrr"] == pytest.approx(0.75)
    assert m["ndcg@10"] == pytest.approx(0.5 * (1 + INV_LOG3) / 2)  # off-page gain 0.5
    assert m["citation_precision"] == 0.5 and m["citation_validity"] == 0.5
    assert m["answer_containment"] == 1.0
    assert rec["first_gold_rank"] == 2
    assert [c["valid"] for c in rec["citations"]] == [True, False]
    refused = R.score_answer(item, _answer(refused=True), 5.0, {"mou.pdf": DOC}.get)
    assert refused["metrics"]["answer_containment"] == 0.0  # a refusal scores 0
    assert refused["metrics"]["citation_validity"] is None


def test_unanswerable_question_has_no_retrieval_or_answer_scores():
    item = QAItem("u1", "What is the budget?", answerable=False)
    rec = R.score_answer(item, _answer(refused=True), 5.0, {"mou.pdf": DOC}.get)
    assert all(rec["metrics"][k] is None for k in R.RETRIEVAL_KEYS + R.ANSWER_KEYS)
    R._set_passes(rec)
    assert rec["pass"] == {"refusal": True} and rec["passed"]


def _rec(hit5, refused, answerable, latency, tags=("t",)):
    return {
        "metrics": {"hit@5": hit5},
        "refused": refused,
        "answerable": answerable,
        "latency_ms": latency,
        "tags": list(tags),
        "gold_sources": ["g"] if answerable else [],
        "citations": [],
        "unknown_sources": [],
        "error": None,
    }


def test_summarise_and_per_tag():
    recs = [
        _rec(1.0, False, True, 10, ("a",)),
        _rec(0.0, True, True, 20, ("a", "b")),
        _rec(None, True, False, 30, ("b",)),
        _rec(None, False, False, 40, ("b",)),
    ]
    s = R.summarise(recs)
    assert s["hit@5"] == 0.5 and s["n"] == 4 and s["n_unanswerable"] == 2
    assert s["refusal_precision"] == 0.5 and s["refusal_recall"] == 0.5
    assert s["answerable_refused"] == 0.5
    assert s["latency_p50_ms"] == 25.0 and s["latency_p95_ms"] == 38.5
    assert s["mrr"] is None  # not measured
    tags = R.summarise_by_tag(recs)
    assert list(tags) == ["a", "b"] and tags["a"]["n"] == 2 and tags["b"]["hit@5"] == 0.0


def test_compare_reports_this_minus_other_and_flipped_questions():
    this = {
        "summary": {
            "hit@5": 0.9,
            "mrr": None,
            "n": 10,
            "by_tag": {"t": {"hit@5": 1.0}, "only": {"hit@5": 1.0}},
        },
        "questions": [{"id": "q1", "pass": {"hit@5": True}}, {"id": "q3", "pass": {}}],
    }
    other = {
        "summary": {"hit@5": 0.75, "mrr": 0.5, "n": 12, "by_tag": {"t": {"hit@5": 0.5}}},
        "questions": [{"id": "q1", "pass": {"hit@5": False}}, {"id": "q2", "pass": {}}],
    }
    c = R.compare(this, other)
    assert c["summary"]["hit@5"] == {"this": 0.9, "other": 0.75, "delta": 0.15}
    assert c["summary"]["mrr"]["delta"] is None
    assert c["summary"]["n"]["delta"] == -2
    assert c["by_tag"] == {"t": {"hit@5": {"this": 1.0, "other": 0.5, "delta": 0.5}}}
    assert c["changed"] == [{"id": "q1", "metric": "hit@5", "before": False, "after": True}]
    assert c["only_this"] == ["q3"] and c["only_other"] == ["q2"]


def test_thresholds():
    assert R.parse_thresholds(["hit@5=0.9", "mrr=0.5"]) == {"hit@5": 0.9, "mrr": 0.5}
    for bad, why in (
        ("hit@7=0.9", "unknown metric"),
        ("hit@5", "METRIC=VALUE"),
        ("hit@5=high", "not a number"),
        ("latency_p95_ms=100", "better when lower"),
    ):
        with pytest.raises(R.ThresholdError, match=why):
            R.parse_thresholds([bad])
    summary = {"hit@5": 0.85, "mrr": 0.5, "refusal_recall": None}
    assert R.check_thresholds(summary, {"hit@5": 0.85, "mrr": 0.4}) == []
    missed = R.check_thresholds(summary, {"hit@5": 0.9, "refusal_recall": 0.1})
    assert len(missed) == 2 and "hit@5" in missed[0] and "not measured" in missed[1]


def test_per_tag_thresholds():
    assert R.parse_thresholds(["hit@5[mou]=0.8"]) == {"hit@5[mou]": 0.8}
    with pytest.raises(R.ThresholdError, match="unknown metric 'hit@4'"):
        R.parse_thresholds(["hit@4[mou]=0.8"])
    summary = {"hit@5": 1.0, "by_tag": {"mou": {"hit@5": 0.75}, "press": {"hit@5": 1.0}}}
    assert R.check_thresholds(summary, {"hit@5[press]": 0.9}) == []
    assert "0.7500" in R.check_thresholds(summary, {"hit@5[mou]": 0.8})[0]
    assert "not measured" in R.check_thresholds(summary, {"hit@5[nosuchtag]": 0.1})[0]
