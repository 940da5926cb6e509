"""The reader's validation figures and calibration (used by ``evals/train_reader.py``): rank
AUC, SQuAD's answer F1, the held-out figures of a set of scores, Platt scaling."""

from __future__ import annotations

import string
from collections import Counter

import numpy as np


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Rank AUC (ties count half)."""
    scores, labels = np.asarray(scores, dtype=np.float64), np.asarray(labels) > 0.5
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_s = scores[order]
    i = 0
    while i < len(scores):  # average ranks of ties
        j = i
        while j + 1 < len(scores) and sorted_s[j + 1] == sorted_s[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    n1, n0 = labels.sum(), (~labels).sum()
    return float((ranks[labels].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def _norm(text: str) -> list[str]:
    text = "".join(c for c in text.lower() if c not in string.punctuation)
    return [w for w in text.split() if w not in ("a", "an", "the")]


def _f1(pred: str, gold: str) -> float:
    p, g = _norm(pred), _norm(gold)
    same = sum((Counter(p) & Counter(g)).values())
    if not same:
        return 0.0
    return 2 * same / (len(p) + len(g))


def figures(
    val: list[dict], logits: np.ndarray, spans: list, a: float = 1.0, b: float = 0.0
) -> dict:
    labels = np.array([x["label"] for x in val])
    prob = 1 / (1 + np.exp(-np.clip(a * logits + b, -40, 40)))
    qids = np.array([x["qid"] for x in val])
    best: dict[int, int] = {}
    for i, q in enumerate(qids):
        if q not in best or logits[i] > logits[best[q]]:
            best[q] = i
    answerable = {x["qid"]: x["answerable"] for x in val}
    q_scores = np.array([logits[best[q]] for q in sorted(best)])
    q_labels = np.array([float(answerable[q]) for q in sorted(best)])
    tops = [best[q] for q in sorted(best) if answerable[q]]
    em, f1, n_span = 0.0, 0.0, 0
    for i in tops:
        if val[i]["label"] and spans[i] is not None:
            pred = val[i]["sentence"][spans[i][0] : spans[i][1]]
            em += max(float(_norm(pred) == _norm(g)) for g in val[i]["answers"])
            f1 += max(_f1(pred, g) for g in val[i]["answers"])
            n_span += 1
    return {
        "sentence_auc": round(auc(logits, labels), 4),
        "sentence_accuracy_at_0.5": round(float(np.mean((prob >= 0.5) == (labels > 0.5))), 4),
        "sentence_positives": int(labels.sum()),
        "sentences": len(labels),
        "question_auc": round(auc(q_scores, q_labels), 4),
        "questions": len(q_labels),
        "answerable_questions": int(q_labels.sum()),
        "top_sentence_holds_answer": round(float(np.mean([val[i]["label"] for i in tops])), 4),
        "span_exact_match": round(em / max(n_span, 1), 4),
        "span_f1": round(f1 / max(n_span, 1), 4),
        "span_scored": n_span,
    }


def platt(logits: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """(a, b) minimising the log loss of sigmoid(a * logit + b): Newton steps on the
    standardised score, each halved until the loss falls (a plain Newton step diverges on a
    wide-ranged score such as the null margin)."""
    z, y = np.asarray(logits, dtype=np.float64), np.asarray(labels, dtype=np.float64)
    mu, sd = float(z.mean()), float(z.std()) or 1.0
    x = np.stack([(z - mu) / sd, np.ones_like(z)], 1)

    def loss(w: np.ndarray) -> float:
        t = x @ w
        return float(np.sum(np.logaddexp(0.0, t) - y * t))

    w = np.array([1.0, 0.0])
    for _ in range(100):
        p = 1 / (1 + np.exp(-np.clip(x @ w, -40, 40)))
        grad = x.T @ (p - y)
        hess = (x * (p * (1 - p))[:, None]).T @ x + 1e-9 * np.eye(2)
        step = np.linalg.solve(hess, grad)
        t, before = 1.0, loss(w)
        while loss(w - t * step) > before and t > 1e-6:
            t /= 2
        w = w - t * step
        if np.abs(t * step).max() < 1e-10:
            break
    return float(w[0] / sd), float(w[1] - w[0] * mu / sd)
