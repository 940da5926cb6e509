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


@pytest.fixture(scope="session")
def pg_server():
    """A real PostgreSQL server for the session (see tests/pg_server.py). Skipped where none
    can run; under CI (``CI`` set) that is a failure, so the state tests never silently run
    against SQLite alone."""
    from tests.pg_server import PgServer, missing_reason

    reason = missing_reason()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs PostgreSQL for the state tests: {reason}")
        pytest.skip(reason)
    server = PgServer().start()
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server):
    """The URL of a fresh, empty PostgreSQL database for one test."""
    return pg_server.new_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def state_db(request, tmp_path):
    """A factory of state databases, run once per engine: ``state_db(name)`` opens the SQLite
    file ``name`` under the test's folder, or a connection to the test's PostgreSQL database
    (every name then shares it, as replicas and stores do in production)."""
    from accord.db import connect_postgres, connect_sqlite

    url = request.getfixturevalue("pg_url") if request.param == "postgresql" else None
    opened = []

    def open_db(name: str = "state.sqlite"):
        db = connect_postgres(url) if url else connect_sqlite(tmp_path / name)
        opened.append(db)
        return db

    open_db.dialect = request.param
    open_db.url = url
    yield open_db
    for db in opened:
        try:
            db.close()
        except Exception:
            pass
