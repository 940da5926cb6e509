"""Query latency: ``QA.answer()`` in a warm process vs the LangChain tutorial's search.

    python benchmarks/query.py [--accord-data /tmp/accord-bench/accord]
        [--langchain /tmp/accord-bench/langchain] [--rounds 2]

Both indexes hold all of ../shared/corpus (benchmarks/ingest.py builds them; this script builds
what is missing). Every question of the QA set (``--qa``, default the corpus set; the real-corpus
tuning set has long multi-part parliamentary questions, reported in their own row) is asked
``--rounds`` times after a warm-up;
prints p50, p95 and max for Accord's full answer (retrieval + extractive answer) and for the
baseline's ``similarity_search(k=4)`` (retrieval only). Target on a 2-core machine: p50 <= 150 ms,
p95 <= 400 ms.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._common import accord_runtime, bench_args, tutorial_store  # noqa: E402


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def main() -> None:
    args = bench_args(
        **{
            "--rounds": {"type": int, "default": 2},
            "--skip-langchain": {
                "action": "store_true",
                "help": "no tutorial baseline (it needs its own index of the corpus)",
            },
        }
    )
    questions = [json.loads(x)["question"] for x in args.qa.read_text().splitlines() if x.strip()]

    rt = accord_runtime(args.accord_data, args.corpus)
    qa = rt.qa
    for q in questions[:3]:
        qa.answer(q)  # warm: model, lexical index, HNSW pages
    from accord.access.audiences import Audience
    from accord.answer.questions import parse
    from accord.models import Filters

    multi = {q for q in questions if parse(q).multi}
    accord_ms, official_ms, multi_ms = [], [], []
    # The reader's share: its own time inside answer(), and answer() without it (max_read 0).
    reader = qa.extractive.reader
    plain_read, reader_s = reader.read, [0.0]

    def timed_read(*a: object, **k: object) -> object:
        t0 = time.perf_counter()
        try:
            return plain_read(*a, **k)  # type: ignore[arg-type]
        finally:
            reader_s[0] += time.perf_counter() - t0

    reader.read = timed_read  # type: ignore[method-assign]
    for _ in range(args.rounds):
        for q in questions:
            t = time.perf_counter()
            qa.answer(q)
            accord_ms.append((time.perf_counter() - t) * 1000)
            if q in multi:
                multi_ms.append(accord_ms[-1])
            # An OFFICIAL audience: the marking filter runs inside Chroma's search.
            t = time.perf_counter()
            qa.answer(q, Filters(audience=Audience("OFFICIAL")))
            official_ms.append((time.perf_counter() - t) * 1000)

    # The extractive answerer caches each document's words (answerability checks); the worst
    # case is a question whose documents were never seen: empty the cache before each one.
    cold_ms = []
    for q in questions:
        qa.extractive.forget_documents()
        t = time.perf_counter()
        qa.answer(q, Filters(audience=Audience("OFFICIAL")))
        cold_ms.append((time.perf_counter() - t) * 1000)

    reader.read = plain_read  # type: ignore[method-assign]
    read_max = qa.extractive.max_read
    qa.extractive.max_read = 0
    unread_ms = []
    for q in questions:
        t = time.perf_counter()
        qa.answer(q)
        unread_ms.append((time.perf_counter() - t) * 1000)
    qa.extractive.max_read = read_max

    lc_ms: list[float] = []
    tutorial = ""
    if not args.skip_langchain:
        store = tutorial_store(args.langchain, args.corpus)
        for q in questions[:3]:
            store.similarity_search(q, k=4)
        for _ in range(args.rounds):
            for q in questions:
                t = time.perf_counter()
                store.similarity_search(q, k=4)
                lc_ms.append((time.perf_counter() - t) * 1000)
        tutorial = f", {store._collection.count()} tutorial chunks"

    print(
        f"\n{len(questions)} questions x {args.rounds} rounds, warm process; index: "
        f"{rt.manifest.chunk_count()} Accord chunks{tutorial}"
    )
    print(f"{'':42} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'mean ms':>8}")
    rows = [("accord answer() (retrieve + answer)", accord_ms)]
    if multi_ms:
        rows.append((f"  multi-part questions only ({len(multi)})", multi_ms))
    for name, v in (
        *rows,
        ("accord answer(), OFFICIAL audience", official_ms),
        ("  the same, document cache emptied first", cold_ms),
        ("accord answer() without the reader", unread_ms),
        ("langchain similarity_search(k=4)", lc_ms),
    ):
        if v:
            print(
                f"{name:42} {pct(v, 50):8.1f} {pct(v, 95):8.1f} {max(v):8.1f} "
                f"{statistics.mean(v):8.1f}"
            )
    total = sum(accord_ms) + sum(official_ms)
    print(
        f"the reader's share of answer() (first two rows): {reader_s[0] * 1000 / total:.0%} "
        f"({reader_s[0] * 1000 / (2 * len(accord_ms)):.1f} ms a question)"
    )
    print("target: accord p50 <= 150 ms, p95 <= 400 ms")


if __name__ == "__main__":
    main()
