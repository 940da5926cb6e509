"""Ingest benchmark: Accord's encoder options against raw encode and LangChain's tutorial.

    python benchmarks/ingest.py [--files N] [--corpus ../shared/corpus] [--work /tmp/accord-bench]
        [--configs st,onnx,int8,...] [--skip-langchain]

One run, the same documents for every row: with ``--files N`` the gold documents of
evals/datasets/corpus_qa.jsonl plus evenly spaced other files of the corpus up to N, copied to
WORK/corpus (a full-corpus run takes 25+ minutes per pipeline on a 2-core machine); without it
the whole corpus. Each pipeline runs in its own process, one after the other, and prints
documents/s, chunks/s, CPU seconds (the machine may be shared: CPU time shows what load did to
the wall time) and peak memory:

- Accord's full sync with each ingest encoder option (``CONFIGS``: sentence-transformers, the
  ONNX export, its int8 copy, int8 with 128 tokens per chunk, int8 with smaller chunks). Model
  loading, and for ONNX the one-time export (and quantisation), happen before the timed sync
  and are shown as ``setup s``; they count in the peak memory. After the sync, retrieval quality
  on corpus_qa.jsonl (dense and hybrid hit@5 and MRR, benchmarks/retrieval.py's code), with
  questions embedded as ``accord ask`` does.
- the same model's raw sentence-transformers ``encode`` of Accord's chunk texts;
- LangChain's tutorial pipeline (its loaders, RecursiveCharacterTextSplitter(1000, 200),
  Chroma.from_documents with HuggingFaceEmbeddings of the same model) and its quality (k=4);
- the unchanged re-sync of the default configuration as a share of its full ingest.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._common import CORPUS, REPO, emit, run_phase, tutorial_documents  # noqa: E402
from benchmarks.retrieval import accord_quality, answerable, tutorial_quality  # noqa: E402

QA = REPO / "evals" / "datasets" / "corpus_qa.jsonl"
# name -> (label, Settings overrides)
CONFIGS: dict[str, tuple[str, dict]] = {
    "st": ("sentence-transformers", {"ingest_encoder": "sentence-transformers"}),
    "onnx": ("onnx fp32", {"ingest_encoder": "onnx"}),
    "int8": ("onnx int8", {"ingest_encoder": "onnx-int8"}),
    "int8-128": (
        "onnx int8, 128 tokens",
        {"ingest_encoder": "onnx-int8", "encoder_max_tokens": 128},
    ),
    "int8-small": (
        "onnx int8, chunks 500/800",
        {"ingest_encoder": "onnx-int8", "chunk_chars": 500, "chunk_max_chars": 800},
    ),
}


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def accord_settings(work: Path, config: str):
    from accord.settings import Settings

    return Settings(
        _env_file=None, data_dir=work / config, clearance="TOP SECRET", **CONFIGS[config][1]
    )


def default_config() -> str:
    """The configuration whose encoder settings are today's defaults."""
    from accord.settings import Settings

    fields = Settings.model_fields
    for name, (_, overrides) in CONFIGS.items():
        if all(fields[k].default == v for k, v in overrides.items()):
            return name
    raise SystemExit("no configuration matches the default settings")


def phase_accord(corpus: Path, work: Path, config: str) -> None:
    from accord.runtime import Runtime

    rt = Runtime(accord_settings(work, config))
    t, c = time.perf_counter(), cpu_seconds()
    rt.ingest_embedder  # noqa: B018 - load (and export) outside the timed sync, as for the baseline
    setup_s = time.perf_counter() - t
    t, c = time.perf_counter(), cpu_seconds()
    res = rt.syncer().run(corpus)
    secs, cpu = time.perf_counter() - t, cpu_seconds() - c
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before the questions
    rows = answerable(QA)
    quality = {mode: accord_quality(rt.qa, rows, mode) for mode in ("dense", "hybrid")}
    emit(
        {
            "seconds": secs,
            "cpu": cpu,
            "chunks": res.chunks_written,
            "files": res.added,
            "failed": [f.source for f in res.failed],
            "encode_seconds": res.encode_seconds,
            "setup_s": setup_s,
            "sync_peak_mb": peak,
            "quality": quality,
            "load": os.getloadavg()[0],
        }
    )


def phase_resync(corpus: Path, work: Path, config: str) -> None:
    from accord.runtime import Runtime

    rt = Runtime(accord_settings(work, config))
    t = time.perf_counter()
    res = rt.syncer().run(corpus)
    emit({"seconds": time.perf_counter() - t, "embedded": res.embedded, "unchanged": res.unchanged})


def phase_encode(corpus: Path, work: Path, config: str) -> None:
    from accord.settings import MANIFEST_DB
    from ingest.manifest import Manifest
    from vectorstore.embeddings import SentenceTransformerEmbedder

    settings = accord_settings(work, config)
    texts = [t for _, t, _ in Manifest(settings.state_db(MANIFEST_DB)).iter_chunks()]
    emb = SentenceTransformerEmbedder(batch_size=settings.embedding_batch_size)
    t, c = time.perf_counter(), cpu_seconds()
    emb._model.encode(
        texts,
        batch_size=settings.embedding_batch_size,
        normalize_embeddings=True,
        show_progress_bar=False,
    )
    emit(
        {
            "seconds": time.perf_counter() - t,
            "cpu": cpu_seconds() - c,
            "chunks": len(texts),
            "load": os.getloadavg()[0],
        }
    )


def phase_langchain(corpus: Path, work: Path, config: str) -> None:
    import chromadb
    from langchain_chroma import Chroma
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from vectorstore.embeddings import default_model_path

    t = time.perf_counter()
    emb = HuggingFaceEmbeddings(model_name=default_model_path())
    load_s = time.perf_counter() - t
    t, c = time.perf_counter(), cpu_seconds()
    docs = tutorial_documents(corpus)
    splits = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(
        docs
    )
    client = chromadb.PersistentClient(path=str(work / "langchain"))
    store = Chroma.from_documents(splits, emb, client=client, collection_name="tutorial")
    secs, cpu = time.perf_counter() - t, cpu_seconds() - c
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    emit(
        {
            "seconds": secs,
            "cpu": cpu,
            "chunks": len(splits),
            "setup_s": load_s,
            "sync_peak_mb": peak,
            "quality": {"k=4": tutorial_quality(store, answerable(QA))},
            "load": os.getloadavg()[0],
        }
    )


PHASES = {
    "accord": phase_accord,
    "resync": phase_resync,
    "encode": phase_encode,
    "langchain": phase_langchain,
}


def subset(corpus: Path, n: int, dest: Path) -> int:
    """Copy the gold documents of corpus_qa.jsonl plus evenly spaced other files (up to ``n``)
    to ``dest``, keeping their paths; returns the number of files."""
    from ingest.loaders import SUPPORTED_SUFFIXES

    files = sorted(
        p.relative_to(corpus).as_posix()
        for p in corpus.rglob("*")
        if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES
    )
    gold = sorted({s for r in answerable(QA) for s in r["sources"]} & set(files))
    rest = [f for f in files if f not in set(gold)]
    room = max(0, n - len(gold))
    step = len(rest) / room if room else 0
    chosen = gold + [rest[int(i * step)] for i in range(min(room, len(rest)))]
    for rel in chosen:
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(corpus / rel, dest / rel)
    return len(chosen)


def fmt_quality(q: dict) -> str:
    return "  ".join(f"{m}: hit@5 {v['hit@5']:.3f} MRR {v['mrr']:.3f}" for m, v in q.items())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--work", type=Path, default=Path("/tmp/accord-bench"))
    ap.add_argument("--files", type=int, default=0, help="a subset of this many files")
    ap.add_argument("--configs", default=",".join(CONFIGS))
    ap.add_argument("--phase", choices=PHASES)
    ap.add_argument("--config", default="st", choices=CONFIGS)
    ap.add_argument("--skip-langchain", action="store_true")
    args = ap.parse_args()
    if args.phase:
        PHASES[args.phase](args.corpus, args.work, args.config)
        return
    if args.work.exists():
        shutil.rmtree(args.work)
    args.work.mkdir(parents=True)
    corpus = args.corpus
    if args.files:
        corpus = args.work / "corpus"
        n_files = subset(args.corpus, args.files, corpus)
        what = (
            f"subset of {args.corpus}: {n_files} files (the gold documents of "
            f"{QA.name} plus evenly spaced others), copied to {corpus}"
        )
    else:
        n_files = sum(1 for p in corpus.rglob("*") if p.is_file())
        what = f"all of {corpus}"
    default = default_config()
    configs = [c for c in args.configs.split(",") if c]
    if default not in configs:
        configs.insert(0, default)
    me = Path(__file__).resolve()

    def phase(name: str, config: str = default) -> dict:
        print(f"... {name} {config}", file=sys.stderr, flush=True)
        return run_phase(
            me, name, "--corpus", str(corpus), "--work", str(args.work), "--config", config
        )

    rows: list[tuple[str, dict]] = []
    for config in configs:
        label = CONFIGS[config][0] + (" (default)" if config == default else "")
        rows.append((f"accord, {label}", phase("accord", config)))
    resync = phase("resync")
    rows.append(
        ("raw sentence-transformers encode", phase("encode", "st" if "st" in configs else default))
    )
    if not args.skip_langchain:
        rows.append(("langchain tutorial pipeline", phase("langchain")))
    report(what, n_files, rows, resync, default)


def report(
    what: str, n_files: int, rows: list[tuple[str, dict]], resync: dict, default: str
) -> None:
    tutorial = dict(rows).get("langchain tutorial pipeline")
    print(f"\ndocuments: {what}")
    print(
        f"{'pipeline':44} {'chunks':>6} {'setup s':>7} {'seconds':>8} {'CPU s':>7} "
        f"{'docs/s':>7} {'chunks/s':>8} {'peak MB':>7} {'x tutorial':>10} {'load':>5}"
    )
    for name, r in rows:
        docs_s = n_files / r["seconds"]
        ratio = f"{docs_s / (n_files / tutorial['seconds']):10.2f}" if tutorial else f"{'':10}"
        print(
            f"{name:44} {r['chunks']:6d} {r.get('setup_s', 0):7.1f} {r['seconds']:8.1f} "
            f"{r['cpu']:7.1f} {docs_s:7.2f} {r['chunks'] / r['seconds']:8.2f} "
            f"{r['peak_rss_mb']:7.0f} {ratio} {r['load']:5.1f}"
        )
    print(
        "(docs/s: the same files for every row; setup: model load, for ONNX with the one-time "
        "export; peak MB: the whole process; load: 1-minute load average at the end)"
    )
    print(f"\nretrieval quality on {QA.name} over this index (gold = any listed source):")
    reference = dict(rows).get(
        "accord, " + CONFIGS["st"][0] + (" (default)" if default == "st" else "")
    )
    for name, r in rows:
        if "quality" not in r:
            continue
        line = f"  {name:44} {fmt_quality(r['quality'])}"
        if reference and "dense" in r["quality"]:
            worst = max(
                abs(r["quality"][m][k] - reference["quality"][m][k])
                for m in ("dense", "hybrid")
                for k in ("hit@5", "mrr")
            )
            line += f"  |delta| vs sentence-transformers {worst:.3f}" + (
                " (within 0.01)" if worst <= 0.01 else " (NOT within 0.01)"
            )
        print(line)
    first = rows[0][1]
    print(
        f"\nunchanged re-sync of the default: {resync['seconds']:.2f} s = "
        f"{resync['seconds'] / first['seconds']:.2%} of its full ingest (target < 5%); "
        f"embedded {resync['embedded']}, unchanged {resync['unchanged']}; "
        f"peak {resync['peak_rss_mb']:.0f} MB"
    )
    print("RAW " + json.dumps({"files": n_files, "rows": rows, "resync": resync}))


if __name__ == "__main__":
    main()
