"""Fit the answerability decision (``accord/data/answerability.json``) on QA sets.

    python -m evals.fit_answerability --set samples/qa.jsonl=/tmp/idx-samples \\
        --set evals/datasets/corpus_real_tuning.jsonl=/tmp/idx-corpus [--out FILE]

Each ``--set QA_FILE=DATA_DIR`` pairs a QA set with the index it asks about. For every question the
answer pipeline's own parts, retrieval and candidate features are computed
(``accord.answer.extractive.ExtractiveAnswerer.candidates``); a candidate sentence is labelled 1
when its document is a gold source and it contains one of the expected answers, else 0. Every
candidate of an unanswerable question is 0. SQuAD 2.0-style negatives are added: each answerable
question again with one of its names or figures swapped for one the index does not hold (all
candidates 0). A logistic regression (L2, classes balanced) gives the weights; the answer threshold
is the one that best separates answerable from unanswerable questions on these sets (balanced
accuracy), and the weak band lies below it, down to where no more than 5% of the answerable
questions would be refused outright; both are chosen on out-of-fold probabilities (``--inner``
folds, each question scored by a decision fitted without it), as the decision will score questions
it has not seen. The collection lives in ``evals/fit_data.py``. Only tuning sets may be given here:
the test splits (``evals/datasets/corpus_real_test.jsonl``, ``corpus_real_test2.jsonl``,
``corpus_real_test3.jsonl``, ``corpus_real_test4.jsonl``) are refused. ``--cv K`` reports K-fold
cross-validated figures instead of writing a model: the honest way to compare features or settings
on tuning sets. """

from __future__ import annotations

import argparse
import json
import random
from dataclasses import replace
from pathlib import Path

import numpy as np

from accord.answer.decision import DECIDER_EXTRA, FEATURES, MODEL_FILE, Decision, logistic_fit
from evals.fit_data import load_sets, masked
from evals.listwise import rank_fit

WEAK_BAND = 0.12
INNER_FOLDS = 5  # thresholds on out-of-fold probabilities (see fit)
REFUSED_AT_MOST = 0.05  # the project's bar for answerable questions refused outright


def weak_threshold(
    decision: Decision, questions: list[dict], answer_at: float, scored: dict | None = None
) -> float:
    """The lower edge of the weak band: at least WEAK_BAND below the answer threshold, and low
    enough that no more than REFUSED_AT_MOST of the answerable questions (not swapped) are
    refused outright. Below the answer threshold an officer is better served by the closest
    passage, labelled "the documents do not answer this directly", than by a bare refusal of a
    question the documents may answer."""
    best = []
    for q in questions:
        if not q["answerable"] or q["swap"]:
            continue
        confs = [0.0]
        for part in q["parts"]:
            if part["cands"]:
                confs.append(_decide(decision, part, scored)[1])
        best.append(max(confs))
    floor = float(np.quantile(best, REFUSED_AT_MOST)) if best else answer_at
    return max(0.02, min(answer_at - WEAK_BAND, floor - 1e-3))


def choose_thresholds(
    decision: Decision, questions: list[dict], scored: dict | None = None
) -> tuple[float, dict]:
    """The answer threshold with the best balanced accuracy over the questions (swapped
    negatives weigh half), and its figures. ``scored``: each part's (best candidate,
    probability) from elsewhere (out of fold), in place of ``decision``'s own."""
    best = None
    # Each part's best candidate and confidence do not depend on the threshold: decide once.
    decided = {
        id(part): _decide(decision, part, scored)
        for q in questions
        for part in q["parts"]
        if part["cands"]
    }
    for t in np.arange(0.05, 0.96, 0.01):
        d = replace(decision, answer_at=float(t), weak_at=float(t))
        ok_a = n_a = ok_u = n_u = 0.0
        for q in questions:
            answered = False
            for part in q["parts"]:
                if not part["cands"]:
                    continue
                i, conf = decided[id(part)]
                if d.verdict(conf, part["cands"][i][1]) == "answer":
                    answered = True
            w = 0.5 if q["swap"] else 1.0
            if q["answerable"]:
                n_a += w
                ok_a += w * answered
            else:
                n_u += w
                ok_u += w * (not answered)
        score = (ok_a / max(n_a, 1) + ok_u / max(n_u, 1)) / 2
        if best is None or score > best[0]:
            best = (score, float(t), ok_a / max(n_a, 1), ok_u / max(n_u, 1))
    assert best is not None
    return best[1], {
        "balanced_accuracy": round(best[0], 4),
        "answerable_answered": round(best[2], 4),
        "unanswerable_refused": round(best[3], 4),
    }


def fit(
    rows: list, questions: list[dict], l2: float = 1.0, listwise: bool = False, inner: int = 0
) -> tuple[Decision, dict]:
    """The ranker and the decider fitted on ``rows`` and ``questions``, with the answer
    threshold chosen on them; returns the decision (weak band set) and the fit's figures.
    With ``inner`` folds, the thresholds are chosen on out-of-fold probabilities (each part
    scored by a decision fitted without its question), which are lower for questions the
    decision has not seen than its probabilities on its own training questions."""
    x = np.vstack([r[0] for r in rows])
    y = np.asarray([r[1] for r in rows], dtype=float)
    pos = max(y.sum(), 1)
    sw = np.where(y == 1, len(y) / (2 * pos), len(y) / (2 * max(len(y) - pos, 1)))
    w, b = (
        rank_fit(questions, x, y, sw, l2=l2)
        if listwise
        else logistic_fit(x, y, l2=l2, sample_weight=sw)
    )
    ranker = Decision(w, b, 0.5, 0.5)
    # The decider: does the ranker's best sentence answer the part? Label 1 when the question
    # is answerable and that sentence comes from a gold document.
    dx, dy, dw = [], [], []
    for q in questions:
        for part in q["parts"]:
            if not part["cands"]:
                continue
            xs = np.vstack([c[0] for c in part["cands"]])
            ps = ranker.probability(xs)
            order = np.argsort(-ps, kind="stable")
            i = int(order[0])
            extra = [
                ps[i],
                ps[i] - (ps[order[1]] if len(ps) > 1 else 0.0),
                float(np.mean(ps[order[:3]])),
            ]
            dx.append(np.concatenate([xs[i], extra]))
            dy.append(float(q["answerable"] and part["cands"][i][3] in q["gold"]))
            dw.append(0.5 if q["swap"] else 1.0)
    dxa, dya = np.vstack(dx), np.asarray(dy)
    pos_d = max(dya.sum(), 1)
    dsw = np.asarray(dw) * np.where(
        dya == 1, len(dya) / (2 * pos_d), len(dya) / (2 * max(len(dya) - pos_d, 1))
    )
    dwts, dbias = logistic_fit(dxa, dya, l2=l2, sample_weight=dsw)
    decision = Decision(w, b, 0.5, 0.5, decider=dwts, decider_bias=dbias)
    scored = _out_of_fold(rows, questions, inner, l2, listwise) if inner > 1 else None
    t, stats = choose_thresholds(decision, questions, scored)
    decision = replace(decision, answer_at=t)
    decision = replace(decision, weak_at=weak_threshold(decision, questions, t, scored))
    stats.update(
        candidates=int(len(y)),
        positives=int(y.sum()),
        parts=int(len(dya)),
        part_positives=int(dya.sum()),
    )
    return decision, stats


def evaluate(decision: Decision, questions: list[dict]) -> dict[str, float]:
    """Question-level figures of ``decision`` (swapped negatives left out): answerable refused
    outright, answerable answered from a gold document, unanswerable refused outright and
    refused or weak (the eval runner's definitions)."""
    counts = {"a": 0, "a_refused": 0, "a_gold": 0, "u": 0, "u_refused": 0, "u_ref_weak": 0}
    conf: dict[bool, list[float]] = {True: [], False: []}
    for q in questions:
        if q["swap"]:
            continue
        verdicts, gold, best = [], False, 0.0
        for part in q["parts"]:
            if not part["cands"]:
                verdicts.append("none")
                continue
            i, p = _decide(decision, part)
            v = decision.verdict(p, part["cands"][i][1])
            verdicts.append(v)
            gold |= v == "answer" and part["cands"][i][3] in q["gold"]
            best = max(best, _capped(decision, part, i, p))
        refused = all(v == "none" for v in verdicts)
        weak = not refused and "answer" not in verdicts
        conf[bool(q["answerable"])].append(best)
        if q["answerable"]:
            counts["a"] += 1
            counts["a_refused"] += refused
            counts["a_gold"] += gold
        else:
            counts["u"] += 1
            counts["u_refused"] += refused
            counts["u_ref_weak"] += refused or weak
    a, u = max(counts["a"], 1), max(counts["u"], 1)
    return {
        "answerable_refused": counts["a_refused"] / a,
        "answerable_answered_gold": counts["a_gold"] / a,
        "unanswerable_refused": counts["u_refused"] / u,
        "unanswerable_refused_or_weak": counts["u_ref_weak"] / u,
        "answerable": counts["a"],
        "unanswerable": counts["u"],
        "auc": auc(conf[True], conf[False]),
    }


def auc(positives: list[float], negatives: list[float]) -> float:
    """How often an answerable question is more confidently answered than an unanswerable one
    (ties count half): the decision's separation, whatever its thresholds."""
    if not positives or not negatives:
        return float("nan")
    pos, neg = np.asarray(positives)[:, None], np.asarray(negatives)[None, :]
    return float(np.mean((pos > neg) + 0.5 * (pos == neg)))


def _out_of_fold(
    rows: list, questions: list[dict], folds: int, l2: float, listwise: bool, seed: int = 1
) -> dict[int, tuple[int, float]]:
    """Each part's (best candidate, probability) from a decision fitted without its question."""
    fold_of = folds_of(questions, folds, seed)
    scored: dict[int, tuple[int, float]] = {}
    for k in range(folds):
        keep = {q["id"] for q in questions if fold_of[q["id"].split("~")[0]] != k}
        decision, _ = fit(
            [r for r in rows if r[2] in keep],
            [q for q in questions if q["id"] in keep],
            l2,
            listwise,
        )
        for q in questions:
            if q["id"] not in keep:
                for part in q["parts"]:
                    if part["cands"]:
                        scored[id(part)] = _decide(decision, part)
    return scored


def folds_of(questions: list[dict], folds: int, seed: int) -> dict[str, int]:
    """Fold of each question (a swapped question stays in its original's fold)."""
    base = sorted({q["id"].split("~")[0] for q in questions})
    random.Random(seed).shuffle(base)
    return {qid: i % folds for i, qid in enumerate(base)}


def _decide(decision: Decision, part: dict, scored: dict | None = None) -> tuple[int, float]:
    """(best candidate, its probability of answering) for one part's candidates."""
    if scored is not None and id(part) in scored:
        return scored[id(part)]
    xs = np.vstack([c[0] for c in part["cands"]])
    return decision.decide(decision.probability(xs), xs)


def _capped(decision: Decision, part: dict, i: int, p: float) -> float:
    """A part's confidence, capped at the answer threshold when its best sentence lacks the
    kind of answer asked for (it can only be weak)."""
    return p if part["cands"][i][1] else min(p, decision.answer_at)


def _confidence(decision: Decision, q: dict) -> float:
    """The question's best part confidence (see :func:`_capped`)."""
    return max(
        [_capped(decision, part, *_decide(decision, part)) for part in q["parts"] if part["cands"]],
        default=0.0,
    )


def cross_validate(
    rows: list,
    questions: list[dict],
    folds: int,
    l2: float,
    listwise: bool,
    seed: int,
    inner: int = 0,
) -> dict[str, float]:
    """``folds``-fold cross-validation by question (a swapped question stays in its original's
    fold): every question is scored by a decision fitted without it. The honest figure for
    comparing features or settings on tuning sets."""
    fold_of = folds_of(questions, folds, seed)
    held: list[dict] = []
    fold_decisions = []
    scored: list[dict[str, float]] = []
    for k in range(folds):
        train_q = [q for q in questions if fold_of[q["id"].split("~")[0]] != k]
        test_q = [q for q in questions if fold_of[q["id"].split("~")[0]] == k]
        keep = {q["id"] for q in train_q}
        decision, _ = fit([r for r in rows if r[2] in keep], train_q, l2, listwise, inner)
        scored.append(evaluate(decision, test_q))
        fold_decisions.append((decision, test_q))
        held += test_q
    a = sum(s["answerable"] for s in scored)
    u = sum(s["unanswerable"] for s in scored)
    out: dict[str, float] = {"answerable": a, "unanswerable": u}
    conf: dict[bool, list[float]] = {True: [], False: []}
    for decision, test_q in fold_decisions:
        for q in test_q:
            if not q["swap"]:
                conf[bool(q["answerable"])].append(_confidence(decision, q))
    out["auc"] = round(auc(conf[True], conf[False]), 4)
    for key, n in (
        ("answerable_refused", a),
        ("answerable_answered_gold", a),
        ("unanswerable_refused", u),
        ("unanswerable_refused_or_weak", u),
    ):
        out[key] = round(
            sum(
                s[key] * s["answerable" if key.startswith("answerable") else "unanswerable"]
                for s in scored
            )
            / max(n, 1),
            4,
        )
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", action="append", required=True, metavar="QA_FILE=DATA_DIR")
    ap.add_argument("--out", type=Path, default=MODEL_FILE)
    ap.add_argument("--l2", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--listwise",
        action="store_true",
        help="fit the ranker on which sentence of a part answers it (softmax per "
        "part) instead of on every candidate alone",
    )
    ap.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="folder keeping each set's candidates between runs (features only "
        "change with the code: empty it after changing them)",
    )
    ap.add_argument(
        "--inner",
        type=int,
        default=INNER_FOLDS,
        metavar="K",
        help="choose the thresholds on K-fold out-of-fold probabilities (0: on the fit's own)",
    )
    ap.add_argument(
        "--only",
        default="",
        metavar="F1,F2,...",
        help="fit on these features only (the others get weight 0), e.g. the "
        "set evals.select_features chose",
    )
    ap.add_argument(
        "--cv",
        type=int,
        default=0,
        metavar="K",
        help="only report K-fold cross-validated figures (by question); write nothing",
    )
    args = ap.parse_args(argv)
    rows, questions, sets = load_sets(args.set, random.Random(args.seed), args.cache)
    if args.only:
        keep = {f.strip() for f in args.only.split(",") if f.strip()}
        unknown = keep - set(FEATURES)
        if unknown:
            ap.error(f"--only: unknown features {', '.join(sorted(unknown))}")
        rows, questions = masked(rows, questions, keep)
    if args.cv:
        print(
            json.dumps(
                cross_validate(
                    rows, questions, args.cv, args.l2, args.listwise, args.seed, args.inner
                ),
                indent=1,
            )
        )
        return
    decision, stats = fit(rows, questions, args.l2, args.listwise, args.inner)
    assert decision.decider is not None
    out = {
        "note": "Fitted by evals/fit_answerability.py; do not edit by hand.",
        "sets": sets,
        "candidates": stats.pop("candidates"),
        "positives": stats.pop("positives"),
        "questions": len(questions),
        "weights": {f: round(float(v), 5) for f, v in zip(FEATURES, decision.weights, strict=True)},
        "bias": round(decision.bias, 5),
        "answer_at": round(decision.answer_at, 3),
        "decider": {
            "weights": {
                f: round(float(v), 5)
                for f, v in zip(FEATURES + DECIDER_EXTRA, decision.decider, strict=True)
            },
            "bias": round(decision.decider_bias, 5),
            "parts": stats.pop("parts"),
            "positives": stats.pop("part_positives"),
        },
        "weak_at": round(decision.weak_at, 3),
        "fit": stats,
        "only": sorted(keep) if args.only else None,
        "in_sample": evaluate(decision, questions),
    }
    args.out.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
