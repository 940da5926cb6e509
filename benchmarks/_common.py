"""Helpers shared by the benchmarks: phases in subprocesses (for peak memory), tables."""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"


def run_phase(script: Path, phase: str, *args: str) -> dict:
    """Run ``script --phase PHASE`` in a fresh process; return its JSON result + peak RSS."""
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
        "PYTHONPATH": str(REPO),
    }
    out = subprocess.run(
        [sys.executable, str(script), "--phase", phase, *args],
        env=env,
        capture_output=True,
        text=True,
    )
    if out.returncode not in (0, 1):
        sys.stderr.write(out.stderr[-4000:])
        raise SystemExit(f"phase {phase} failed with exit {out.returncode}")
    line = [x for x in out.stdout.splitlines() if x.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT ") :])


def emit(result: dict) -> None:
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print("RESULT " + json.dumps(result), flush=True)


def bench_args(**extra: dict) -> argparse.Namespace:
    """The options the query-side benchmarks share, plus ``extra`` (name -> add_argument kw)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--qa", type=Path, default=REPO / "evals" / "datasets" / "corpus_qa.jsonl")
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--accord-data", type=Path, default=Path("/tmp/accord-bench/accord"))
    ap.add_argument("--langchain", type=Path, default=Path("/tmp/accord-bench/langchain"))
    for name, kw in extra.items():
        ap.add_argument(name, **kw)
    return ap.parse_args()


def accord_runtime(data: Path, corpus: Path):
    """A Runtime over an Accord index of ``corpus`` in ``data`` (built if missing)."""
    from accord.runtime import Runtime
    from accord.settings import Settings

    settings = Settings(_env_file=None, data_dir=data, clearance="TOP SECRET")
    rt = Runtime(settings)
    if not settings.has_manifest or rt.manifest.chunk_count() == 0:
        print(f"building the Accord index of {corpus} ...", file=sys.stderr)
        rt.syncer().run(corpus)
    return rt


def tutorial_store(path: Path, corpus: Path):
    """LangChain's tutorial vector store of ``corpus`` in ``path`` (built if missing):
    1000/200 character chunks, HuggingFaceEmbeddings with the same model, Chroma."""
    import chromadb
    from langchain_chroma import Chroma
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from vectorstore.embeddings import default_model_path

    emb = HuggingFaceEmbeddings(model_name=default_model_path())
    client = chromadb.PersistentClient(path=str(path))
    if "tutorial" in [c.name for c in client.list_collections()]:
        return Chroma(client=client, collection_name="tutorial", embedding_function=emb)
    print("building the LangChain tutorial index ...", file=sys.stderr)
    splits = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(
        tutorial_documents(corpus)
    )
    return Chroma.from_documents(splits, emb, client=client, collection_name="tutorial")


def tutorial_documents(root: Path) -> list:
    """LangChain's tutorial loading: its own loaders, one per file type."""
    from langchain_community.document_loaders import PyPDFLoader, TextLoader

    docs = []
    for path in sorted(root.rglob("*")):
        if path.suffix.lower() == ".pdf":
            try:
                docs.extend(PyPDFLoader(str(path)).load())
            except Exception:
                continue
        elif path.suffix.lower() in (".md", ".txt"):
            loaded = TextLoader(str(path), encoding="utf-8", autodetect_encoding=True).load()
            for d in loaded:
                d.metadata["source"] = path.relative_to(root).as_posix()
            docs.extend(loaded)
    for d in docs:
        src = Path(d.metadata.get("source", ""))
        if src.is_absolute():
            d.metadata["source"] = src.relative_to(root).as_posix()
    return docs
