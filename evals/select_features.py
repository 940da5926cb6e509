"""Which of the decision's features add to the reader? Forward selection by cross-validation.

    python -m evals.select_features --set QA_FILE=DATA_DIR ... --cache DIR [--seeds 7,11,13]

Starts from the reader's probability alone (``reader``) and adds, one at a time, the feature of
``accord.answer.decision.FEATURES`` that raises the mean cross-validated question-level AUC most
(5 folds by question, each fold seed of ``--seeds``), while it raises it by at least
``--min-gain``. Prints every step, the figures of the reader alone, of the features without the
reader (the decision before it) and of all of them, and the surviving set as the
``--only`` argument of ``evals.fit_answerability``. Tuning sets only (test splits are refused
by the loader). Features not kept get weight 0 in the fitted decision.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

import numpy as np

from accord.answer.decision import FEATURES
from evals.fit_answerability import cross_validate
from evals.fit_data import load_sets, masked


def score(rows: list, questions: list[dict], keep: set[str], seeds: list[int]) -> dict[str, float]:
    """Mean cross-validated figures over ``seeds`` with only ``keep``."""
    r, q = masked(rows, questions, keep)
    runs = [cross_validate(r, q, 5, 1.0, False, s, 0) for s in seeds]
    return {
        k: round(float(np.mean([x[k] for x in runs])), 4)
        for k in (
            "auc",
            "answerable_refused",
            "answerable_answered_gold",
            "unanswerable_refused",
            "unanswerable_refused_or_weak",
        )
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", action="append", required=True, metavar="QA_FILE=DATA_DIR")
    ap.add_argument("--cache", type=Path, default=None)
    ap.add_argument("--seeds", default="7,11,13")
    ap.add_argument("--min-gain", type=float, default=0.002)
    args = ap.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    rows, questions, _ = load_sets(args.set, random.Random(7), args.cache)
    report = {
        "without reader": score(rows, questions, set(FEATURES) - {"reader"}, seeds),
        "all": score(rows, questions, set(FEATURES), seeds),
    }
    keep = {"reader"}
    best = score(rows, questions, keep, seeds)
    report["reader alone"] = best
    print(json.dumps(report, indent=1), file=sys.stderr)
    steps = []
    while True:
        trials = {f: score(rows, questions, keep | {f}, seeds) for f in FEATURES if f not in keep}
        if not trials:
            break
        f, s = max(trials.items(), key=lambda kv: kv[1]["auc"])
        gain = s["auc"] - best["auc"]
        print(f"+ {f}: AUC {s['auc']:.4f} ({gain:+.4f})", file=sys.stderr)
        if gain < args.min_gain:
            break
        keep.add(f)
        best = s
        steps.append({"added": f, **s})
    report["steps"] = steps
    report["selected"] = best
    report["only"] = ",".join(f for f in FEATURES if f in keep)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
