"""Would a larger model, as an offline teacher, read the tuning sets better than the decision?

    python -m evals.teacher_probe --model FILE.gguf --set QA_FILE=DATA_DIR ... --cache DIR
        [--per-class 60] [--passages 3] [--threads 2]

A probe before any distillation (issue 21's item 4): on a stratified sample of the tuning sets'
real questions (answerable and unanswerable; the fit's synthetic swaps are left out), the
teacher (a GGUF chat model through llama-cpp-python, never a runtime dependency) is shown the
question and the candidate sentences the shipped decision ranks highest for each of its parts,
and asked whether they state the answer. Its probability of "Yes" is compared, by
question-level AUC on the same questions, with the shipped decision's score (the weakest part's
best probability). Prints both AUCs, the AUC of their mean rank, and seconds per question.
Test splits are refused as in the fit.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from pathlib import Path

import numpy as np

from accord.answer.decision import Decision
from evals.fit_data import load_sets
from evals.reader_metrics import auc

PROMPT = (
    "<|im_start|>system\nYou check whether passages from official documents answer a question. "
    "A passage answers only if it states what the question asks; a passage on the same topic "
    "that does not state it does not answer.<|im_end|>\n"
    "<|im_start|>user\nQuestion: {question}\n\nPassages:\n{passages}\n\nDo the passages state "
    "the answer to the question? Reply with Yes or No.<|im_end|>\n<|im_start|>assistant\n"
)


def decision_view(q: dict, decision: Decision, per_part: int) -> tuple[float, list[str]]:
    """The decision's question score (the weakest part's best probability) and the top
    sentences of each part by the decision, in order, without repeats."""
    score, shown = 1.0, []
    for part in q["parts"]:
        if not part["cands"]:
            score = 0.0
            continue
        p = decision.probability(np.array([c[0] for c in part["cands"]], dtype=np.float32))
        order = np.argsort(-p)
        score = min(score, float(p[order[0]]))
        for i in order[:per_part]:
            s = " ".join(part["cands"][i][4].split())
            if s not in shown:
                shown.append(s)
    return score, shown


def yes_probability(llm, question: str, passages: list[str]) -> float:
    text = PROMPT.format(
        question=" ".join(question.split()),
        passages="\n".join(f"[{i + 1}] {s}" for i, s in enumerate(passages)),
    )
    out = llm.create_completion(text, max_tokens=1, temperature=0.0, logprobs=20)
    top = out["choices"][0]["logprobs"]["top_logprobs"][0]
    yes = sum(math.exp(v) for k, v in top.items() if k.strip().lower() == "yes")
    no = sum(math.exp(v) for k, v in top.items() if k.strip().lower() == "no")
    return yes / (yes + no) if yes + no > 0 else 0.5


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, required=True)
    ap.add_argument("--set", action="append", required=True)
    ap.add_argument("--cache", type=Path, required=True)
    ap.add_argument("--per-class", type=int, default=60)
    ap.add_argument("--passages", type=int, default=3, help="top sentences shown per part")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    from llama_cpp import Llama

    _, questions, _ = load_sets(args.set, random.Random(7), args.cache)
    real = [q for q in questions if not q["swap"]]
    rng = random.Random(args.seed)
    sample = []
    for label in (True, False):
        pool = [q for q in real if q["answerable"] == label]
        sample += rng.sample(pool, min(args.per_class, len(pool)))
    decision = Decision.load()
    llm = Llama(str(args.model), n_ctx=2048, n_threads=args.threads, verbose=False, logits_all=True)
    dec, teach, ys = [], [], []
    t0 = time.process_time()
    wall = time.perf_counter()
    for i, q in enumerate(sample):
        score, shown = decision_view(q, decision, args.passages)
        p = yes_probability(llm, q["question"], shown[:6]) if shown else 0.0
        dec.append(score)
        teach.append(p)
        ys.append(int(q["answerable"]))
        if (i + 1) % 20 == 0:
            print(
                f"{i + 1}/{len(sample)}: decision AUC {auc(np.array(dec), np.array(ys)):.3f}, "
                f"teacher AUC {auc(np.array(teach), np.array(ys)):.3f}",
                file=sys.stderr,
                flush=True,
            )
    y = np.array(ys)
    d, t = np.array(dec), np.array(teach)
    rank = (np.argsort(np.argsort(d)) + np.argsort(np.argsort(t))) / 2
    print(f"{len(sample)} questions ({int(y.sum())} answerable), {args.model.name}")
    print(
        f"decision AUC {auc(d, y):.3f}; teacher AUC {auc(t, y):.3f}; mean rank {auc(rank, y):.3f}"
    )
    print(
        f"teacher accuracy at 0.5: {float(((t >= 0.5) == (y == 1)).mean()):.3f}; "
        f"unanswerable judged No: {float((t[y == 0] < 0.5).mean()):.3f}; answerable judged "
        f"Yes: {float((t[y == 1] >= 0.5).mean()):.3f}"
    )
    print(
        f"{(time.perf_counter() - wall) / len(sample):.1f} s a question "
        f"({(time.process_time() - t0) / len(sample):.1f} CPU-s)"
    )


if __name__ == "__main__":
    main()
