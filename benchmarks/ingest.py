"""Ingest benchmark on ../shared/corpus, with its baselines measured in the same run.

    python benchmarks/ingest.py [--corpus ../shared/corpus] [--work /tmp/accord-bench]

Prints: Accord's full ingest (chunks/s); the same model's raw ``encode`` throughput on the same
chunk texts (the pipeline's share of it, target >= 85%); LangChain's tutorial pipeline (its
loaders, RecursiveCharacterTextSplitter(1000, 200), Chroma.from_documents with
HuggingFaceEmbeddings) on the same folder; the unchanged re-sync as a share of the full ingest
(target < 5%); peak memory of each phase (each runs in its own process). The LangChain index is
kept in WORK/langchain for benchmarks/retrieval.py.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._common import CORPUS, emit, run_phase, tutorial_documents  # noqa: E402


def phase_accord(corpus: Path, work: Path) -> None:
    from accord.runtime import Runtime
    from accord.settings import Settings

    rt = Runtime(Settings(_env_file=None, data_dir=work / "accord", clearance="TOP SECRET"))
    t = time.perf_counter()
    rt.embedder  # noqa: B018 - load the model outside the timed sync, as for the baseline
    load_s = time.perf_counter() - t
    t = time.perf_counter()
    res = rt.syncer().run(corpus)
    secs = time.perf_counter() - t
    emit({"seconds": secs, "chunks": res.chunks_written, "files": res.added,
          "failed": [f.source for f in res.failed], "encode_seconds": res.encode_seconds,
          "model_load_s": load_s})


def phase_resync(corpus: Path, work: Path) -> None:
    from accord.runtime import Runtime
    from accord.settings import Settings

    rt = Runtime(Settings(_env_file=None, data_dir=work / "accord", clearance="TOP SECRET"))
    t = time.perf_counter()
    res = rt.syncer().run(corpus)
    emit({"seconds": time.perf_counter() - t, "embedded": res.embedded,
          "unchanged": res.unchanged})


def phase_encode(corpus: Path, work: Path) -> None:
    from accord.settings import Settings
    from ingest.manifest import Manifest
    from vectorstore.embeddings import SentenceTransformerEmbedder

    settings = Settings(_env_file=None, data_dir=work / "accord")
    texts = [t for _, t, _ in Manifest(settings.manifest_path).iter_chunks()]
    emb = SentenceTransformerEmbedder(batch_size=settings.embedding_batch_size)
    t = time.perf_counter()
    emb._model.encode(texts, batch_size=settings.embedding_batch_size,
                      normalize_embeddings=True, show_progress_bar=False)
    emit({"seconds": time.perf_counter() - t, "chunks": len(texts)})


def phase_langchain(corpus: Path, work: Path) -> None:
    import chromadb
    from langchain_chroma import Chroma
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from vectorstore.embeddings import default_model_path

    t = time.perf_counter()
    emb = HuggingFaceEmbeddings(model_name=default_model_path())
    load_s = time.perf_counter() - t
    t = time.perf_counter()
    docs = tutorial_documents(corpus)
    splits = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(
        docs)
    client = chromadb.PersistentClient(path=str(work / "langchain"))
    Chroma.from_documents(splits, emb, client=client, collection_name="tutorial")
    emit({"seconds": time.perf_counter() - t, "chunks": len(splits), "model_load_s": load_s})


PHASES = {"accord": phase_accord, "resync": phase_resync, "encode": phase_encode,
          "langchain": phase_langchain}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--work", type=Path, default=Path("/tmp/accord-bench"))
    ap.add_argument("--phase", choices=PHASES)
    ap.add_argument("--skip-langchain", action="store_true")
    args = ap.parse_args()
    if args.phase:
        PHASES[args.phase](args.corpus, args.work)
        return
    if args.work.exists():
        shutil.rmtree(args.work)
    args.work.mkdir(parents=True)
    me = Path(__file__).resolve()
    a = run_phase(me, "accord", "--corpus", str(args.corpus), "--work", str(args.work))
    r = run_phase(me, "resync", "--corpus", str(args.corpus), "--work", str(args.work))
    e = run_phase(me, "encode", "--corpus", str(args.corpus), "--work", str(args.work))
    rows = [("accord ingest (full sync)", a["chunks"], a["seconds"], a["peak_rss_mb"]),
            ("raw model.encode, same texts", e["chunks"], e["seconds"], e["peak_rss_mb"])]
    if not args.skip_langchain:
        lc = run_phase(me, "langchain", "--corpus", str(args.corpus), "--work", str(args.work))
        rows.append(("langchain tutorial pipeline", lc["chunks"], lc["seconds"],
                     lc["peak_rss_mb"]))
    print(f"\ncorpus: {args.corpus} ({a['files']} files indexed, failed: {a['failed']})")
    print(f"{'pipeline':34} {'chunks':>7} {'seconds':>9} {'chunks/s':>9} {'peak MB':>8}")
    for name, n, s, mb in rows:
        print(f"{name:34} {n:7d} {s:9.1f} {n / s:9.2f} {mb:8.0f}")
    share = (a["chunks"] / a["seconds"]) / (e["chunks"] / e["seconds"])
    print(f"\naccord throughput as a share of raw encode: {share:.1%} (target >= 85%)")
    print(f"time inside encode during the sync: {a['encode_seconds']:.1f} s "
          f"of {a['seconds']:.1f} s")
    print(f"unchanged re-sync: {r['seconds']:.2f} s = {r['seconds'] / a['seconds']:.2%} of the "
          f"full "
          f"ingest (target < 5%); embedded {r['embedded']}, unchanged {r['unchanged']}; "
          f"peak {r['peak_rss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
