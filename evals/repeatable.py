"""Does the same question find the same chunks in every process? Dense search, run after run.

    python -m evals.repeatable --data-dir INDEX --set QA_FILE [--processes 3] [--fetch 50]

Chroma's HNSW search is approximate, and the part of its graph not yet saved is rebuilt each
time a process opens the index, so a search can return other chunks in another process. This
runs every question of the set through dense search (the ``fetch`` nearest chunks, as retrieval
asks) in ``--processes`` fresh processes and prints how many questions got a different top 10
and top ``fetch`` in some process, and the recall of each process's results against exact
search (every stored vector scored). The index is only read.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path


def _child(data_dir: str, qa_file: str, fetch: int) -> None:
    """Print, per question, the ids of its ``fetch`` nearest chunks (one JSON list per line)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    from accord.runtime import Runtime
    from accord.settings import Settings

    settings = Settings(_env_file=None, data_dir=Path(data_dir))
    client = chromadb.PersistentClient(
        path=str(settings.chroma_dir), settings=ChromaSettings(anonymized_telemetry=False)
    )
    collection = client.get_collection(settings.collection, embedding_function=None)
    questions = [json.loads(line)["question"] for line in open(qa_file, encoding="utf-8")]
    vectors = Runtime(settings).query_embedder.embed_batch(questions)
    for v in vectors:
        print(
            json.dumps(collection.query(query_embeddings=[v.tolist()], n_results=fetch)["ids"][0])
        )


def _exact(data_dir: Path, qa_file: Path, fetch: int) -> list[list[str]]:
    """The true ``fetch`` nearest chunks of every question: every stored vector scored."""
    import chromadb
    import numpy as np
    from chromadb.config import Settings as ChromaSettings

    from accord.runtime import Runtime
    from accord.settings import Settings

    settings = Settings(_env_file=None, data_dir=data_dir)
    client = chromadb.PersistentClient(
        path=str(settings.chroma_dir), settings=ChromaSettings(anonymized_telemetry=False)
    )
    stored = client.get_collection(settings.collection, embedding_function=None).get(
        include=["embeddings"]
    )
    ids, vectors = stored["ids"], np.asarray(stored["embeddings"], dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    questions = [json.loads(line)["question"] for line in open(qa_file, encoding="utf-8")]
    queries = Runtime(settings).query_embedder.embed_batch(questions)
    return [[ids[i] for i in np.argsort(-(vectors @ q), kind="stable")[:fetch]] for q in queries]


def measure(data_dir: Path, qa_file: Path, processes: int, fetch: int) -> dict[str, float]:
    """Questions, those whose top 10 / top ``fetch`` differ between processes, and the mean
    recall at 10 and at ``fetch`` against exact search."""
    runs = []
    for _ in range(processes):
        out = subprocess.run(
            [sys.executable, "-m", "evals.repeatable", "--child", str(data_dir), str(qa_file)]
            + ["--fetch", str(fetch)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        runs.append([json.loads(line) for line in out.splitlines() if line.startswith("[")])
    exact = _exact(data_dir, qa_file, fetch)
    n = len(exact)

    def recall(k: int) -> float:
        hits = [len(set(r[i][:k]) & set(exact[i][:k])) / k for r in runs for i in range(n)]
        return sum(hits) / len(hits)

    return {
        "questions": n,
        "top10_differs": sum(1 for i in range(n) if len({tuple(r[i][:10]) for r in runs}) > 1),
        "top_differs": sum(1 for i in range(n) if len({tuple(r[i]) for r in runs}) > 1),
        "recall10": recall(10),
        "recall": recall(fetch),
    }


def main(argv: list[str] | None = None) -> int:
    if argv is None and len(sys.argv) > 1 and sys.argv[1] == "--child":
        ap = argparse.ArgumentParser()
        ap.add_argument("--child", nargs=2)
        ap.add_argument("--fetch", type=int, default=50)
        a = ap.parse_args()
        _child(a.child[0], a.child[1], a.fetch)
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--set", type=Path, required=True, help="a QA set (JSONL)")
    ap.add_argument("--processes", type=int, default=3)
    ap.add_argument("--fetch", type=int, default=50)
    args = ap.parse_args(argv)
    if not (args.data_dir / "chroma").is_dir() or not args.set.is_file():
        print(f"error: no index in {args.data_dir} or no QA set {args.set}", file=sys.stderr)
        return 2
    m = measure(args.data_dir, args.set, args.processes, args.fetch)
    print(
        f"{m['questions']} questions, {args.processes} processes: the top 10 differs between "
        f"processes for {m['top10_differs']}, the top {args.fetch} for {m['top_differs']}; "
        f"recall against exact search: {m['recall10']:.4f} at 10, {m['recall']:.4f} at "
        f"{args.fetch}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
