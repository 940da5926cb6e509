"""Chroma's HNSW search looks wide (vectorstore.store.EF_SEARCH): a new collection is made so,
and an index made before is widened when opened, its items kept. Real Chroma, embedded and a
`chroma run` server."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import make_settings
from vectorstore.store import EF_SEARCH, ChunkStore, make_client


@pytest.fixture(params=["embedded", "server"])
def settings(request, tmp_path):
    if request.param == "embedded":
        return make_settings(tmp_path)
    server = request.getfixturevalue("chroma_server")
    return make_settings(tmp_path, chroma_url=server.url, collection=f"t{abs(hash(tmp_path))}")


def ef_search(collection) -> object:
    return (collection.configuration_json.get("hnsw") or {}).get("ef_search")


def test_a_new_collection_searches_wide(settings):
    store = ChunkStore(make_client(settings), settings.collection, "all-MiniLM-L6-v2")
    assert ef_search(store.collection) == EF_SEARCH > 100


def test_an_older_collection_is_widened_when_opened_and_keeps_its_items(settings):
    client = make_client(settings)
    old = client.get_or_create_collection(
        settings.collection, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
    )
    assert ef_search(old) == 100  # Chroma's default
    vectors = np.random.default_rng(7).normal(size=(30, 8)).astype(np.float32)
    old.add(ids=[f"c{i}" for i in range(30)], embeddings=vectors.tolist())
    store = ChunkStore(make_client(settings), settings.collection, None)
    assert ef_search(store.collection) == EF_SEARCH
    assert store.collection.count() == 30
    hit = store.collection.query(query_embeddings=[vectors[3].tolist()], n_results=1)
    assert hit["ids"][0] == ["c3"]
