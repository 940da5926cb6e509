"""Fit the answerability decision (``accord/data/answerability.json``) on QA sets.

    python -m evals.fit_answerability --set samples/qa.jsonl=/tmp/idx-samples \\
        --set evals/datasets/corpus_real_tuning.jsonl=/tmp/idx-corpus [--out FILE]

Each ``--set QA_FILE=DATA_DIR`` pairs a QA set with the index it asks about. For every question
the answer pipeline's own parts, retrieval and candidate features are computed
(``accord.extractive.ExtractiveAnswerer.candidates``); a candidate sentence is labelled 1 when its
document is a gold source and it contains one of the expected answers, else 0. Every candidate of
an unanswerable question is 0. SQuAD 2.0-style negatives are added: each answerable question
again with one of its names or figures swapped for one the index does not hold (all candidates
0). A logistic regression (L2, classes balanced) gives the weights; the answer threshold is the
one that best separates answerable from unanswerable questions on these sets (balanced
accuracy), and the weak band lies just below it. Only tuning sets may be given here: the test
split (``evals/datasets/corpus_real_test.jsonl``) is refused.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from accord.answerability import DECIDER_EXTRA, FEATURES, MODEL_FILE, Decision, logistic_fit
from accord.lexicon import lexicon
from accord.questions import parse

TEST_SPLIT = "corpus_real_test.jsonl"
WEAK_BAND = 0.12


def _norm(text: str) -> str:
    return " ".join(text.lower().replace("\u2019", "'").replace("\u201c", '"')
                    .replace("\u201d", '"').split())


def _runtime(data_dir: Path):
    from accord.runtime import Runtime
    from accord.settings import Settings

    settings = Settings(_env_file=None, data_dir=data_dir, clearance="TOP SECRET")
    rt = Runtime(settings)
    caveats = sorted({c for r in rt.manifest.markings() for c in r["caveats"]})
    return rt, settings.cli_audience("TOP SECRET", caveats)


def _swap(question: str, held: set[str], rng: random.Random) -> str | None:
    """The question with one name or figure replaced by one the index does not hold."""
    lex = lexicon()
    figures = re.findall(r"\b(1[89]\d\d|20\d\d|\d{2,4})\b", question)
    if figures and rng.random() < 0.5:
        f = rng.choice(figures)
        return question.replace(f, str(int(f) + rng.choice([7, 11, 13])), 1)
    names = [n for p in parse(question).parts for n in p.names if len(n.text) > 3]
    if not names:
        return None
    name = rng.choice(names)
    pool = [c for c in lex.country_names.values() if c.lower() not in held
            and c.lower() not in question.lower()]
    if not pool:
        return None
    return question.replace(name.text, rng.choice(sorted(set(pool))), 1)


def collect(qa_file: Path, data_dir: Path, rng: random.Random, swaps: bool = True):
    """Candidate rows (features, label, question key) and per-question part summaries."""
    from accord.models import Filters

    rt, audience = _runtime(data_dir)
    qa = rt.qa
    vocab = set(qa._lexical().vocabulary())
    rows, questions = [], []
    items = [json.loads(x) for x in qa_file.read_text().splitlines() if x.strip()]
    jobs = [(it, it["question"], bool(it.get("answerable", True))) for it in items]
    if swaps:
        for it in items:
            if it.get("answerable", True):
                q2 = _swap(it["question"], vocab, rng)
                if q2 and q2 != it["question"]:
                    jobs.append(({**it, "id": it["id"] + "~swap"}, q2, False))
    filters = Filters(audience=audience)
    for it, question, answerable in jobs:
        parsed = parse(question, qa.extractive.lex)
        gold = set(it.get("sources") or [])
        answers = [_norm(a) for a in it.get("answers") or []]
        parts = []
        for part in parsed.parts:
            qvec = qa.embedder.embed_query(part.search)
            chunks = qa.retriever.retrieve(part.search, qa.settings.top_k, filters,
                                           query_vector=qvec)
            cands = qa.extractive.candidates(part, chunks, qvec)
            labels = []
            for c in cands:
                src = chunks[c.chunk].source
                y = int(answerable and src in gold and any(a in _norm(c.sentence)
                                                            for a in answers))
                labels.append(y)
                rows.append((c.x, y, it["id"]))
            parts.append({"kind": part.kind, "cands": [
                (c.x, c.kind_ok, y, chunks[c.chunk].source) for c, y in zip(cands, labels,
                                                                           strict=True)]})
        questions.append({"id": it["id"], "answerable": answerable, "gold": gold,
                          "parts": parts, "swap": it["id"].endswith("~swap")})
    rt.close()
    return rows, questions


def choose_thresholds(decision: Decision, questions: list[dict]) -> tuple[float, dict]:
    """The answer threshold with the best balanced accuracy over the questions (swapped
    negatives weigh half), and its figures."""
    best = None
    for t in np.arange(0.05, 0.96, 0.01):
        d = replace(decision, answer_at=float(t), weak_at=float(t))
        ok_a = n_a = ok_u = n_u = 0.0
        for q in questions:
            answered = False
            for part in q["parts"]:
                if not part["cands"]:
                    continue
                xs = np.vstack([c[0] for c in part["cands"]])
                i, conf = d.decide(d.probability(xs), xs)
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
    return best[1], {"balanced_accuracy": round(best[0], 4),
                     "answerable_answered": round(best[2], 4),
                     "unanswerable_refused": round(best[3], 4)}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", action="append", required=True, metavar="QA_FILE=DATA_DIR")
    ap.add_argument("--out", type=Path, default=MODEL_FILE)
    ap.add_argument("--l2", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    rows, questions, sets = [], [], []
    for spec in args.set:
        qa_file, _, data_dir = spec.partition("=")
        if Path(qa_file).name == TEST_SPLIT:
            sys.exit(f"{qa_file} is the test split: fitting on it would void its figures")
        r, q = collect(Path(qa_file), Path(data_dir), rng)
        rows += r
        questions += q
        sets.append(Path(qa_file).as_posix())
        print(f"{qa_file}: {len(q)} questions, {len(r)} candidates, "
              f"{sum(y for _, y, _ in r)} positive", file=sys.stderr)
    x = np.vstack([r[0] for r in rows])
    y = np.asarray([r[1] for r in rows], dtype=float)
    pos = max(y.sum(), 1)
    sw = np.where(y == 1, len(y) / (2 * pos), len(y) / (2 * max(len(y) - pos, 1)))
    w, b = logistic_fit(x, y, l2=args.l2, sample_weight=sw)
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
            extra = [ps[i], ps[i] - (ps[order[1]] if len(ps) > 1 else 0.0),
                     float(np.mean(ps[order[:3]]))]
            dx.append(np.concatenate([xs[i], extra]))
            dy.append(float(q["answerable"] and part["cands"][i][3] in q["gold"]))
            dw.append(0.5 if q["swap"] else 1.0)
    dxa, dya = np.vstack(dx), np.asarray(dy)
    pos_d = max(dya.sum(), 1)
    dsw = np.asarray(dw) * np.where(dya == 1, len(dya) / (2 * pos_d),
                                    len(dya) / (2 * max(len(dya) - pos_d, 1)))
    dwts, dbias = logistic_fit(dxa, dya, l2=args.l2, sample_weight=dsw)
    decision = Decision(w, b, 0.5, 0.5, decider=dwts, decider_bias=dbias)
    t, stats = choose_thresholds(decision, questions)
    out = {
        "note": "Fitted by evals/fit_answerability.py; do not edit by hand.",
        "sets": sets, "candidates": int(len(y)), "positives": int(y.sum()),
        "questions": len(questions),
        "weights": {f: round(float(v), 5) for f, v in zip(FEATURES, w, strict=True)},
        "bias": round(b, 5), "answer_at": round(t, 3),
        "decider": {"weights": {f: round(float(v), 5) for f, v in
                                zip(FEATURES + DECIDER_EXTRA, dwts, strict=True)},
                    "bias": round(dbias, 5), "parts": int(len(dya)),
                    "positives": int(dya.sum())},
        "weak_at": round(max(0.02, t - WEAK_BAND), 3), "fit": stats,
    }
    args.out.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
