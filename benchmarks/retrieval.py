"""Retrieval benchmark on the corpus QA set: dense only, BM25 only, hybrid, LangChain tutorial.

    python benchmarks/retrieval.py [--qa evals/datasets/corpus_qa.jsonl] [--corpus ../shared/corpus]
        [--accord-data /tmp/accord-bench/accord] [--langchain /tmp/accord-bench/langchain]

Indexes are reused when present (benchmarks/ingest.py leaves both in /tmp/accord-bench) and
built otherwise. Prints hit@1, hit@5, hit@10 and MRR over the answerable questions, all
configurations in one run. The tutorial baseline is LangChain's: 1000/200 character chunks,
HuggingFaceEmbeddings with the same model, ``similarity_search`` with k=4.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._common import accord_runtime, bench_args, tutorial_store  # noqa: E402


def metrics(ranked: list[list[str]], gold: list[set[str]]) -> dict[str, float]:
    n = len(gold)
    ranks = [
        next((i + 1 for i, s in enumerate(r) if s in g), None)
        for r, g in zip(ranked, gold, strict=True)
    ]
    out = {f"hit@{k}": sum(1 for x in ranks if x and x <= k) / n for k in (1, 5, 10)}
    out["mrr"] = sum(1 / x for x in ranks if x) / n
    return out


def distinct_sources(sources: list[str], limit: int = 10) -> list[str]:
    return list(dict.fromkeys(sources))[:limit]


def answerable(qa_path: Path) -> list[dict]:
    """The answerable questions of a QA file that name their gold sources."""
    rows = [json.loads(x) for x in qa_path.read_text().splitlines() if x.strip()]
    return [r for r in rows if r.get("answerable", True) and r.get("sources")]


def accord_quality(qa, rows: list[dict], mode: str) -> dict[str, float]:
    """hit@k and MRR of Accord's retrieval (``mode``: dense, lexical, hybrid) over ``rows``."""
    from accord.models import Filters

    ranked = [
        distinct_sources([c.source for c in qa.retrieve(r["question"], Filters(), k=40, mode=mode)])
        for r in rows
    ]
    return metrics(ranked, [set(r["sources"]) for r in rows])


def tutorial_quality(store, rows: list[dict]) -> dict[str, float]:
    """hit@k and MRR of the LangChain tutorial's ``similarity_search(k=4)`` over ``rows``."""
    ranked = [
        distinct_sources(
            [d.metadata.get("source", "") for d in store.similarity_search(r["question"], k=4)]
        )
        for r in rows
    ]
    return metrics(ranked, [set(r["sources"]) for r in rows])


def main() -> None:
    args = bench_args()
    rows = answerable(args.qa)
    rt = accord_runtime(args.accord_data, args.corpus)
    results = {}
    for mode in ("dense", "lexical", "hybrid"):
        t = time.perf_counter()
        m = accord_quality(rt.qa, rows, mode)
        results[{"lexical": "bm25"}.get(mode, mode)] = (m, time.perf_counter() - t)

    store = tutorial_store(args.langchain, args.corpus)
    t = time.perf_counter()
    results["langchain tutorial (k=4)"] = (tutorial_quality(store, rows), time.perf_counter() - t)

    print(f"\n{len(rows)} answerable questions from {args.qa.name}; gold = any listed source")
    print(f"{'retrieval':26} {'hit@1':>6} {'hit@5':>6} {'hit@10':>6} {'MRR':>6} {'s/query':>8}")
    for name, (m, secs) in results.items():
        print(
            f"{name:26} {m['hit@1']:6.3f} {m['hit@5']:6.3f} {m['hit@10']:6.3f} {m['mrr']:6.3f} "
            f"{secs / len(rows):8.3f}"
        )
    h = results["hybrid"][0]["hit@5"]
    print(
        f"\nhybrid hit@5 {h:.3f} vs dense {results['dense'][0]['hit@5']:.3f} vs tutorial "
        f"{results['langchain tutorial (k=4)'][0]['hit@5']:.3f}"
    )


if __name__ == "__main__":
    main()
