"""Query latency: ``QA.answer()`` in a warm process vs the LangChain tutorial's search.

    python benchmarks/query.py [--accord-data /tmp/accord-bench/accord]
        [--langchain /tmp/accord-bench/langchain] [--rounds 2]

Both indexes hold all of ../shared/corpus (benchmarks/ingest.py builds them; this script builds
what is missing). Every question of the corpus QA set is asked ``--rounds`` times after a warm-up;
prints p50, p95 and max for Accord's full answer (retrieval + extractive answer) and for the
baseline's ``similarity_search(k=4)`` (retrieval only). Target on a 2-core machine: p50 <= 150 ms,
p95 <= 400 ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._common import CORPUS, REPO, tutorial_documents  # noqa: E402


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--qa", type=Path, default=REPO / "evals" / "datasets" / "corpus_qa.jsonl")
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--accord-data", type=Path, default=Path("/tmp/accord-bench/accord"))
    ap.add_argument("--langchain", type=Path, default=Path("/tmp/accord-bench/langchain"))
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    questions = [json.loads(x)["question"] for x in args.qa.read_text().splitlines() if x.strip()]

    from accord.runtime import Runtime
    from accord.settings import Settings

    settings = Settings(_env_file=None, data_dir=args.accord_data, clearance="TOP SECRET")
    rt = Runtime(settings)
    if not settings.manifest_path.exists() or rt.manifest.chunk_count() == 0:
        print(f"building the Accord index of {args.corpus} ...", file=sys.stderr)
        rt.syncer().run(args.corpus)
    qa = rt.qa
    for q in questions[:3]:
        qa.answer(q)  # warm: model, lexical index, HNSW pages
    accord_ms = []
    for _ in range(args.rounds):
        for q in questions:
            t = time.perf_counter()
            qa.answer(q)
            accord_ms.append((time.perf_counter() - t) * 1000)

    import chromadb
    from langchain_chroma import Chroma
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from vectorstore.embeddings import default_model_path

    emb = HuggingFaceEmbeddings(model_name=default_model_path())
    client = chromadb.PersistentClient(path=str(args.langchain))
    if "tutorial" in [c.name for c in client.list_collections()]:
        store = Chroma(client=client, collection_name="tutorial", embedding_function=emb)
    else:
        print("building the LangChain tutorial index ...", file=sys.stderr)
        splits = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200
                                                ).split_documents(tutorial_documents(args.corpus))
        store = Chroma.from_documents(splits, emb, client=client, collection_name="tutorial")
    for q in questions[:3]:
        store.similarity_search(q, k=4)
    lc_ms = []
    for _ in range(args.rounds):
        for q in questions:
            t = time.perf_counter()
            store.similarity_search(q, k=4)
            lc_ms.append((time.perf_counter() - t) * 1000)

    print(f"\n{len(questions)} questions x {args.rounds} rounds, warm process; index: "
          f"{rt.manifest.chunk_count()} Accord chunks, {store._collection.count()} tutorial chunks")
    print(f"{'':42} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'mean ms':>8}")
    for name, v in (("accord answer() (retrieve + answer)", accord_ms),
                    ("langchain similarity_search(k=4)", lc_ms)):
        print(f"{name:42} {pct(v, 50):8.1f} {pct(v, 95):8.1f} {max(v):8.1f} "
              f"{statistics.mean(v):8.1f}")
    print("target: accord p50 <= 150 ms, p95 <= 400 ms")


if __name__ == "__main__":
    main()
