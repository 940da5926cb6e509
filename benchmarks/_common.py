"""Helpers shared by the benchmarks: phases in subprocesses (for peak memory), tables."""

from __future__ import annotations

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
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False",
           "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, str(script), "--phase", phase, *args], env=env,
                         capture_output=True, text=True)
    if out.returncode not in (0, 1):
        sys.stderr.write(out.stderr[-4000:])
        raise SystemExit(f"phase {phase} failed with exit {out.returncode}")
    line = [x for x in out.stdout.splitlines() if x.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT "):])


def emit(result: dict) -> None:
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print("RESULT " + json.dumps(result), flush=True)


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
