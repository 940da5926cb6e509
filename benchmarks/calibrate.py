"""Calibrate the extractive answerer's weights and refusal threshold on QA sets.

    python benchmarks/calibrate.py samples/qa.jsonl:samples/docs \
        evals/datasets/corpus_qa.jsonl:../shared/corpus --data-dir DIR [DIR2]

Each QA set is evaluated against an index of its root (built if DIR has none). Retrieval runs
once per question; the grid search only re-scores sentences, with sentence embeddings cached.
Prints, for the best settings and for the current ones, per set: answerable questions citing a
gold document, answerable refused, unanswerable refused.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

import accord.answer.extractive as ex  # noqa: E402
from accord.runtime import Runtime  # noqa: E402
from accord.settings import Settings  # noqa: E402


class CachedEmbedder:
    def __init__(self, inner):
        self.inner, self.cache = inner, {}

    def embed_batch(self, texts):
        missing = [t for t in dict.fromkeys(texts) if t not in self.cache]
        if missing:
            for t, v in zip(missing, self.inner.embed_batch(missing), strict=True):
                self.cache[t] = v
        return np.stack([self.cache[t] for t in texts]) if texts else np.zeros((0, 384))

    def embed_query(self, text):
        return self.embed_batch([text])[0]


def prepare(qa_path: Path, root: Path, data: Path):
    settings = Settings(_env_file=None, data_dir=data, clearance="TOP SECRET")
    rt = Runtime(settings)
    if not settings.has_manifest or rt.manifest.chunk_count() == 0:
        print(f"indexing {root} into {data} ...", file=sys.stderr)
        rt.syncer().run(root)
    qa = rt.qa
    emb = CachedEmbedder(rt.embedder)
    qa.extractive.embedder = emb
    qa.extractive.doc_cache_size = 10_000  # every gold document's words stay cached
    rows = [json.loads(line) for line in qa_path.read_text().splitlines() if line.strip()]
    prepared = []
    for r in rows:
        qv = emb.embed_query(r["question"])
        chunks = qa.retriever.retrieve(
            r["question"], settings.top_k, qa.effective_filters(None), query_vector=qv
        )
        prepared.append((r, chunks, qv))
    return qa.extractive, prepared


def evaluate(answerer, prepared, threshold):
    answerer.threshold = threshold
    gold_ok = a_ref = u_ref = n_a = n_u = 0
    for r, chunks, qv in prepared:
        ans = answerer.compose(r["question"], chunks, qv)
        if r.get("answerable", True):
            n_a += 1
            a_ref += ans.refused
            gold_ok += any(c.source in set(r.get("sources") or []) for c in ans.citations)
        else:
            n_u += 1
            u_ref += ans.refused
    return gold_ok / max(n_a, 1), a_ref / max(n_a, 1), u_ref / max(n_u, 1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("sets", nargs="+", help="QA_SET:ROOT pairs")
    ap.add_argument("--data-dir", nargs="+", required=True, type=Path)
    args = ap.parse_args()
    sets = []
    for spec, data in zip(args.sets, args.data_dir, strict=True):
        qa_path, root = spec.split(":", 1)
        sets.append((qa_path, *prepare(Path(qa_path), Path(root), data)))
    current = (ex.W_SIM, ex.W_SENT, ex.W_CTX, ex.W_TYPE, ex.W_TITLE, ex.P_NAME, ex.P_FIGURE)
    thr0 = sets[0][1].threshold
    best = None
    grid = itertools.product(
        (0.5,), (0.2, 0.3), (0.2,), (0.1,), (0.0, 0.1, 0.2), (0.0, 0.15), (0.3,)
    )
    for weights in grid:
        ex.W_SIM, ex.W_SENT, ex.W_CTX, ex.W_TYPE, ex.W_TITLE, ex.P_NAME, ex.P_FIGURE = weights
        for thr in np.arange(0.30, 0.60, 0.04):
            res = [evaluate(a, p, float(thr)) for _, a, p in sets]
            ok = all(ar <= 0.05 for _, ar, _ in res)
            objective = (ok, sum(g + u for g, _, u in res))
            if best is None or objective > best[0]:
                best = (objective, weights, float(thr), res)
    for label, (weights, thr) in (("current", (current, thr0)), ("best", best[1:3])):
        ex.W_SIM, ex.W_SENT, ex.W_CTX, ex.W_TYPE, ex.W_TITLE, ex.P_NAME, ex.P_FIGURE = weights
        print(
            f"{label}: weights (sim, sent, ctx, type, title, p_name, p_figure) = {weights}, "
            f"threshold {thr:.2f}"
        )
        for qa_path, a, p in sets:
            g, ar, ur = evaluate(a, p, thr)
            print(
                f"  {qa_path}: answerable citing gold {g:.3f}, answerable refused {ar:.3f}, "
                f"unanswerable refused {ur:.3f}"
            )


if __name__ == "__main__":
    main()
