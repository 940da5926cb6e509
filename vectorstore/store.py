"""The Chroma side of the index: the client factory and one focused collection wrapper.

>>> settings = Settings(data_dir=Path("/tmp/accord-demo"))          # doctest: +SKIP
>>> store = ChunkStore.open(settings, embedding_model="all-MiniLM-L6-v2")  # doctest: +SKIP
>>> store.upsert(ids, embeddings, texts, metadatas)                  # doctest: +SKIP
>>> store.query(embedding, k=5, where={"doc_type": "mou"})           # doctest: +SKIP
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlparse

import numpy as np

from accord.errors import ConfigError, StoreUnavailable
from accord.settings import Settings, configure_offline_hub

log = logging.getLogger(__name__)


def make_client(settings: Settings) -> Any:
    """An embedded PersistentClient under data_dir, or an HttpClient when chroma_url is set.

    Raises StoreUnavailable when the server cannot be reached or the directory cannot be opened.
    """
    configure_offline_hub()
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ConfigError(f"ACCORD_CHROMA_URL {settings.chroma_url!r} is not an http(s) URL")
        try:
            client = chromadb.HttpClient(
                host=url.hostname,
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
            client.heartbeat()
        except Exception as exc:
            raise StoreUnavailable(
                f"cannot reach the Chroma server at {settings.chroma_url}: {exc}"
            ) from exc
        return client
    try:
        settings.chroma_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)
    except Exception as exc:
        raise StoreUnavailable(
            f"cannot open the Chroma store in {settings.chroma_dir}: {exc}"
        ) from exc


# How widely Chroma's HNSW search looks (its default, 100, or the number asked for, whichever is
# more). Wider, the search misses fewer of the true nearest chunks and finds the same ones in
# every process: on the corpus index, recall against exact search rose from 0.993 to 0.999 at
# 10 and from 0.968 to 0.998 at 50, and the questions whose top 50 differed between processes
# fell from 18 of 145 to 3 (evals/repeatable.py), at no measurable cost per search.
EF_SEARCH = 500
HNSW = {"space": "cosine", "ef_search": EF_SEARCH}


class ChunkStore:
    """One Chroma collection of chunks, written in batches the client accepts."""

    def __init__(
        self,
        client: Any,
        name: str,
        embedding_model: str | None = None,
        create: bool = True,
        check_model: bool = True,
    ) -> None:
        self.client = client
        self.name = name
        try:
            if create:
                meta = {"embedding_model": embedding_model or "unknown"}
                self.collection = client.get_or_create_collection(
                    name,
                    embedding_function=None,
                    metadata=meta,
                    configuration={"hnsw": dict(HNSW)},
                )
            else:
                self.collection = client.get_collection(name, embedding_function=None)
        except Exception as exc:
            if not create:
                raise StoreUnavailable(f"no collection {name!r} in the store: {exc}") from exc
            raise StoreUnavailable(f"cannot open collection {name!r}: {exc}") from exc
        self._search_wide()
        try:
            self.max_batch = int(client.get_max_batch_size())
        except Exception:
            self.max_batch = 1000
        stored = (self.collection.metadata or {}).get("embedding_model")
        mismatch = stored and stored not in ("unknown", embedding_model)
        if check_model and embedding_model and mismatch:
            raise ConfigError(
                f"collection {name!r} was built with embedding model {stored!r}, not "
                f"{embedding_model!r}: run `accord ingest --full` to rebuild it"
            )

    def _search_wide(self) -> None:
        """Search an index made before EF_SEARCH as widely (a setting: nothing is re-embedded)."""
        try:
            hnsw = (self.collection.configuration_json or {}).get("hnsw") or {}
            if (hnsw.get("ef_search") or 0) < EF_SEARCH:
                self.collection.modify(configuration={"hnsw": {"ef_search": EF_SEARCH}})
        except Exception:  # a store that cannot change it still answers, as before
            log.warning("could not widen the collection's search", exc_info=True)

    @classmethod
    def open(
        cls,
        settings: Settings,
        embedding_model: str | None = None,
        client: Any = None,
        create: bool = True,
        check_model: bool = True,
    ) -> ChunkStore:
        return cls(
            client or make_client(settings),
            settings.collection,
            embedding_model,
            create,
            check_model,
        )

    def _batches(self, n: int) -> Iterator[slice]:
        for i in range(0, n, self.max_batch):
            yield slice(i, min(n, i + self.max_batch))

    def upsert(
        self,
        ids: Sequence[str],
        embeddings: np.ndarray,
        documents: Sequence[str],
        metadatas: Sequence[dict[str, Any]],
    ) -> None:
        for sl in self._batches(len(ids)):
            self.collection.upsert(
                ids=list(ids[sl]),
                embeddings=embeddings[sl],
                documents=list(documents[sl]),
                metadatas=list(metadatas[sl]),
            )

    def delete(self, ids: Sequence[str]) -> None:
        ids = list(ids)
        for sl in self._batches(len(ids)):
            self.collection.delete(ids=ids[sl])

    def ids_for_source(self, source: str) -> list[str]:
        return list(self.collection.get(where={"source": source}, include=[])["ids"])

    def delete_source(self, source: str, keep: Sequence[str] = ()) -> int:
        """Delete every chunk of ``source`` except ``keep``; return how many were deleted."""
        keep_set = set(keep)
        stale = [i for i in self.ids_for_source(source) if i not in keep_set]
        self.delete(stale)
        return len(stale)

    def count(self) -> int:
        return int(self.collection.count())

    def all_ids(self) -> list[str]:
        out: list[str] = []
        offset, page = 0, 5000
        while True:
            got = self.collection.get(include=[], limit=page, offset=offset)["ids"]
            out.extend(got)
            if len(got) < page:
                return out
            offset += page

    def query(
        self, embedding: np.ndarray, k: int, where: dict[str, Any] | None = None
    ) -> list[tuple[str, str, dict[str, Any], float]]:
        """Nearest chunks: (id, text, metadata, cosine similarity), best first."""
        n = self.count()
        if n == 0:
            return []
        res = self.collection.query(
            query_embeddings=[embedding],
            n_results=min(k, n),
            where=where or None,
            include=["documents", "metadatas", "distances"],
        )
        out = []
        for cid, doc, meta, dist in zip(
            res["ids"][0],
            res["documents"][0],
            res["metadatas"][0],
            res["distances"][0],
            strict=False,
        ):
            out.append((cid, doc or "", dict(meta or {}), 1.0 - float(dist)))
        return out

    def get(self, ids: Sequence[str]) -> dict[str, tuple[str, dict[str, Any]]]:
        if not ids:
            return {}
        res = self.collection.get(ids=list(ids), include=["documents", "metadatas"])
        return {
            i: (d or "", dict(m or {}))
            for i, d, m in zip(res["ids"], res["documents"], res["metadatas"], strict=False)
        }

    def embeddings(self, ids: Sequence[str]) -> np.ndarray | None:
        """The stored vectors of ``ids`` in that order, or None if any is missing."""
        if not ids:
            return np.zeros((0, 0), dtype=np.float32)
        res = self.collection.get(ids=list(ids), include=["embeddings"])
        by_id = dict(zip(res["ids"], res["embeddings"], strict=False))
        if any(i not in by_id or by_id[i] is None for i in ids):
            return None
        return np.asarray([by_id[i] for i in ids], dtype=np.float32)

    def reset(self, embedding_model: str | None = None) -> None:
        """Drop and recreate the collection (``accord ingest --full``)."""
        meta = dict(self.collection.metadata or {})
        if embedding_model:
            meta["embedding_model"] = embedding_model
        try:
            self.client.delete_collection(self.name)
        except Exception:
            pass
        self.collection = self.client.get_or_create_collection(
            self.name,
            embedding_function=None,
            metadata=meta or None,
            configuration={"hnsw": dict(HNSW)},
        )
