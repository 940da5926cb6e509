"""Shared fixtures. Everything here is real: the embedding model, Chroma, PDF parsing.

``embedder`` loads the packaged all-MiniLM-L6-v2 once per session. ``sample_index`` ingests
``samples/docs`` into an embedded Chroma store once per session and returns its Runtime (clearance
TOP SECRET, so every sample is visible); tests that change an index build their own.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples" / "docs"
SAMPLES_QA = REPO / "samples" / "qa.jsonl"
CORPUS = REPO.parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def embedder():
    from vectorstore.embeddings import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder()


def make_settings(data_dir: Path, **kw):
    from accord.settings import Settings

    kw.setdefault("clearance", "TOP SECRET")
    return Settings(_env_file=None, data_dir=data_dir, **kw)


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory, embedder):
    """A Runtime over an index of samples/docs (built once per test session)."""
    from accord.runtime import Runtime

    root = tmp_path_factory.mktemp("samples-index")
    docs = root / "docs"
    shutil.copytree(SAMPLES, docs)
    rt = Runtime(make_settings(root / "data"), embedder=embedder)
    result = rt.syncer().run(docs)
    assert not result.failed, result.failed
    rt.docs_root = docs
    yield rt
    rt.close()
