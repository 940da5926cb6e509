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
accuracy), and the weak band lies below it, down to where no more than 5% of the answerable
questions would be refused outright. Only tuning sets may be given here: the test
splits (``evals/datasets/corpus_real_test.jsonl``, ``corpus_real_test2.jsonl``,
``corpus_real_test3.jsonl``, ``corpus_real_test4.jsonl``) are refused.
``--cv K`` reports K-fold cross-validated figures instead of writing a model: the honest way
to compare features or settings on tuning sets.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import random
import re
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from accord.answerability import DECIDER_EXTRA, FEATURES, MODEL_FILE, Decision, logistic_fit
from accord.lexicon import lexicon
from accord.questions import parse
from evals.listwise import rank_fit

TEST_SPLITS = ("corpus_real_test.jsonl", "corpus_real_test2.jsonl", "corpus_real_test3.jsonl",
               "corpus_real_test4.jsonl")
WEAK_BAND = 0.12
CACHE_FORMAT = 3  # raise when what collect() keeps changes
REFUSED_AT_MOST = 0.05  # the project's bar for answerable questions refused outright


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
    from accord.qa import QA

    rt, audience = _runtime(data_dir)
    qa = QA.from_runtime(rt, decision=Decision.neutral())  # the shipped file may lack a feature
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
        seen: dict = {}  # sentence vectors shared by the parts, as when answering
        for part in parsed.parts:
            qvec = qa.embedder.embed_query(part.search)
            chunks = qa.retriever.retrieve(part.search, qa.settings.top_k, filters,
                                           query_vector=qvec)
            cands = qa.extractive.candidates(part, chunks, qvec, seen)
            labels = []
            for c in cands:
                src = chunks[c.chunk].source
                y = int(answerable and src in gold and any(a in _norm(c.sentence)
                                                            for a in answers))
                labels.append(y)
                rows.append((c.x, y, it["id"]))
            parts.append({"kind": part.kind, "text": part.search, "cands": [
                (c.x, c.kind_ok, y, chunks[c.chunk].source, c.sentence)
                for c, y in zip(cands, labels, strict=True)]})
        questions.append({"id": it["id"], "question": question, "answerable": answerable,
                          "gold": gold,
                          "parts": parts, "swap": it["id"].endswith("~swap")})
    rt.close()
    return rows, questions


def _collect_cached(qa_file: Path, data_dir: Path, rng: random.Random, cache: Path | None):
    if cache is None:
        return collect(qa_file, data_dir, rng)
    key = hashlib.sha256(f"{CACHE_FORMAT}:{qa_file.resolve()}={data_dir.resolve()}".encode()
                         ).hexdigest()[:16]
    path = cache / f"{key}.pickle"
    if path.exists():
        return pickle.loads(path.read_bytes())
    out = collect(qa_file, data_dir, rng)
    cache.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(out))
    return out


def weak_threshold(decision: Decision, questions: list[dict], answer_at: float) -> float:
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
                xs = np.vstack([c[0] for c in part["cands"]])
                confs.append(decision.decide(decision.probability(xs), xs)[1])
        best.append(max(confs))
    floor = float(np.quantile(best, REFUSED_AT_MOST)) if best else answer_at
    return max(0.02, min(answer_at - WEAK_BAND, floor - 1e-3))


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


def fit(rows: list, questions: list[dict], l2: float = 1.0, listwise: bool = False
        ) -> tuple[Decision, dict]:
    """The ranker and the decider fitted on ``rows`` and ``questions``, with the answer
    threshold chosen on them; returns the decision (weak band set) and the fit's figures."""
    x = np.vstack([r[0] for r in rows])
    y = np.asarray([r[1] for r in rows], dtype=float)
    pos = max(y.sum(), 1)
    sw = np.where(y == 1, len(y) / (2 * pos), len(y) / (2 * max(len(y) - pos, 1)))
    w, b = (rank_fit(questions, x, y, sw, l2=l2) if listwise
            else logistic_fit(x, y, l2=l2, sample_weight=sw))
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
    dwts, dbias = logistic_fit(dxa, dya, l2=l2, sample_weight=dsw)
    decision = Decision(w, b, 0.5, 0.5, decider=dwts, decider_bias=dbias)
    t, stats = choose_thresholds(decision, questions)
    decision = replace(decision, answer_at=t)
    decision = replace(decision, weak_at=weak_threshold(decision, questions, t))
    stats.update(candidates=int(len(y)), positives=int(y.sum()), parts=int(len(dya)),
                 part_positives=int(dya.sum()))
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
    return {"answerable_refused": counts["a_refused"] / a,
            "answerable_answered_gold": counts["a_gold"] / a,
            "unanswerable_refused": counts["u_refused"] / u,
            "unanswerable_refused_or_weak": counts["u_ref_weak"] / u,
            "answerable": counts["a"], "unanswerable": counts["u"],
            "auc": auc(conf[True], conf[False])}


def auc(positives: list[float], negatives: list[float]) -> float:
    """How often an answerable question is more confidently answered than an unanswerable one
    (ties count half): the decision's separation, whatever its thresholds."""
    if not positives or not negatives:
        return float("nan")
    pos, neg = np.asarray(positives)[:, None], np.asarray(negatives)[None, :]
    return float(np.mean((pos > neg) + 0.5 * (pos == neg)))


def _decide(decision: Decision, part: dict) -> tuple[int, float]:
    """(best candidate, its probability of answering) for one part's candidates."""
    xs = np.vstack([c[0] for c in part["cands"]])
    return decision.decide(decision.probability(xs), xs)


def _capped(decision: Decision, part: dict, i: int, p: float) -> float:
    """A part's confidence, capped at the answer threshold when its best sentence lacks the
    kind of answer asked for (it can only be weak)."""
    return p if part["cands"][i][1] else min(p, decision.answer_at)


def _confidence(decision: Decision, q: dict) -> float:
    """The question's best part confidence (see :func:`_capped`)."""
    return max([_capped(decision, part, *_decide(decision, part))
                for part in q["parts"] if part["cands"]], default=0.0)


def cross_validate(rows: list, questions: list[dict], folds: int, l2: float, listwise: bool,
                   seed: int) -> dict[str, float]:
    """``folds``-fold cross-validation by question (a swapped question stays in its original's
    fold): every question is scored by a decision fitted without it. The honest figure for
    comparing features or settings on tuning sets."""
    base = sorted({q["id"].split("~")[0] for q in questions})
    random.Random(seed).shuffle(base)
    fold_of = {qid: i % folds for i, qid in enumerate(base)}
    held: list[dict] = []
    fold_decisions = []
    scored: list[dict[str, float]] = []
    for k in range(folds):
        train_q = [q for q in questions if fold_of[q["id"].split("~")[0]] != k]
        test_q = [q for q in questions if fold_of[q["id"].split("~")[0]] == k]
        keep = {q["id"] for q in train_q}
        decision, _ = fit([r for r in rows if r[2] in keep], train_q, l2, listwise)
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
    for key, n in (("answerable_refused", a), ("answerable_answered_gold", a),
                   ("unanswerable_refused", u), ("unanswerable_refused_or_weak", u)):
        out[key] = round(sum(s[key] * s["answerable" if key.startswith("answerable")
                                       else "unanswerable"] for s in scored) / max(n, 1), 4)
    return out


def load_sets(specs: list[str], rng: random.Random, cache: Path | None
              ) -> tuple[list, list[dict], list[str]]:
    """Candidate rows and questions of the tuning sets ``QA_FILE=DATA_DIR``; a test split is
    refused (tuning on it would void its figures)."""
    rows, questions, sets = [], [], []
    for spec in specs:
        qa_file, _, data_dir = spec.partition("=")
        if Path(qa_file).name in TEST_SPLITS:
            sys.exit(f"{qa_file} is a test split: tuning on it would void its figures")
        r, q = _collect_cached(Path(qa_file), Path(data_dir), rng, cache)
        rows += r
        questions += q
        sets.append(Path(qa_file).as_posix())
        print(f"{qa_file}: {len(q)} questions, {len(r)} candidates, "
              f"{sum(y for _, y, _ in r)} positive", file=sys.stderr)
    return rows, questions, sets


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", action="append", required=True, metavar="QA_FILE=DATA_DIR")
    ap.add_argument("--out", type=Path, default=MODEL_FILE)
    ap.add_argument("--l2", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--listwise", action="store_true",
                    help="fit the ranker on which sentence of a part answers it (softmax per "
                         "part) instead of on every candidate alone")
    ap.add_argument("--cache", type=Path, default=None,
                    help="folder keeping each set's candidates between runs (features only "
                         "change with the code: empty it after changing them)")
    ap.add_argument("--cv", type=int, default=0, metavar="K",
                    help="only report K-fold cross-validated figures (by question); write "
                         "nothing")
    args = ap.parse_args(argv)
    rows, questions, sets = load_sets(args.set, random.Random(args.seed), args.cache)
    if args.cv:
        print(json.dumps(cross_validate(rows, questions, args.cv, args.l2, args.listwise,
                                        args.seed), indent=1))
        return
    decision, stats = fit(rows, questions, args.l2, args.listwise)
    assert decision.decider is not None
    out = {
        "note": "Fitted by evals/fit_answerability.py; do not edit by hand.",
        "sets": sets, "candidates": stats.pop("candidates"),
        "positives": stats.pop("positives"), "questions": len(questions),
        "weights": {f: round(float(v), 5) for f, v in zip(FEATURES, decision.weights,
                                                           strict=True)},
        "bias": round(decision.bias, 5), "answer_at": round(decision.answer_at, 3),
        "decider": {"weights": {f: round(float(v), 5) for f, v in
                                zip(FEATURES + DECIDER_EXTRA, decision.decider, strict=True)},
                    "bias": round(decision.decider_bias, 5), "parts": stats.pop("parts"),
                    "positives": stats.pop("part_positives")},
        "weak_at": round(decision.weak_at, 3), "fit": stats,
        "in_sample": evaluate(decision, questions),
    }
    args.out.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
