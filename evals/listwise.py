"""The listwise ranker the fit can use instead of the pointwise one (``--listwise``): weights
that put a part's answering sentences first among its own candidates. Tried in sessions 4 and 5
and not shipped: by cross-validation it quoted the gold document no more often and separated
answerable from unanswerable questions less well than the pointwise fit."""

from __future__ import annotations

import numpy as np

from accord.answer.decision import logistic_fit


def listwise_fit(
    groups: list[tuple[np.ndarray, np.ndarray]], l2: float = 1.0, iters: int = 300
) -> np.ndarray:
    """Weights that put a part's answering sentences first among its own candidates: the
    conditional (softmax) likelihood of the positives within each part, L2-regularised, by
    gradient descent with backtracking. Each group is (features, labels) of one part."""
    d = groups[0][0].shape[1]

    def loss_grad(w: np.ndarray) -> tuple[float, np.ndarray]:
        loss, grad = 0.5 * l2 * float(w @ w), l2 * w
        for xs, ys in groups:
            s = xs @ w
            s = s - s.max()
            e = np.exp(s)
            p = e / e.sum()
            pos = ys == 1
            q = e * pos / (e * pos).sum()
            loss += float(np.log(e.sum()) - np.log((e * pos).sum()))
            grad = grad + (p - q) @ xs
        return loss, grad

    w = np.zeros(d)
    f, g = loss_grad(w)
    step = 1.0
    for _ in range(iters):
        while step > 1e-9:
            w2 = w - step * g
            f2, g2 = loss_grad(w2)
            if f2 <= f - 1e-4 * step * float(g @ g):
                break
            step /= 2
        if f - f2 < 1e-7:
            w, f, g = w2, f2, g2
            break
        w, f, g = w2, f2, g2
        step *= 2
    return w


def rank_fit(
    questions: list[dict], x: np.ndarray, y: np.ndarray, sw: np.ndarray, l2: float = 1.0
) -> tuple[np.ndarray, float]:
    """The ranker: listwise weights (which sentence of a part answers it), then scaled and
    offset on all candidates (a one-feature logistic regression on the score) so that its
    output is a probability the decider can read."""
    groups = []
    for q in questions:
        for part in q["parts"]:
            ys = np.asarray([c[2] for c in part["cands"]], dtype=float)
            if q["answerable"] and ys.any() and not ys.all():
                groups.append((np.vstack([c[0] for c in part["cands"]]), ys))
    w = listwise_fit(groups, l2=l2)
    a, b = logistic_fit((x @ w)[:, None], y, l2=0.0, sample_weight=sw)
    return w * float(a[0]), b
