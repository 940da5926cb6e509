"""Hybrid retrieval: dense (Chroma) and lexical (BM25) rankings fused by reciprocal rank fusion.

Both sides apply the same metadata filters, including the audience's clearance, before ranking:
a document above the audience's clearance never enters a ranking, so it can never be quoted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from accord.models import Filters, RetrievedChunk
from accord.settings import marking_rank
from accord.text import party_key
from vectorstore.lexical import LexicalIndex

MODES = ("hybrid", "dense", "lexical")
TOP_RANK = marking_rank("TOP SECRET")
OVERFETCH = 2  # unfiltered results searched per filtered result wanted (HybridRetriever.dense)


def chroma_where(filters: Filters | None) -> dict[str, Any] | None:
    """Translate Filters into a Chroma ``where`` clause (None when nothing filters)."""
    if filters is None:
        return None
    clauses: list[dict[str, Any]] = []
    if filters.doc_types:
        clauses.append({"doc_type": {"$in": list(filters.doc_types)}})
    if filters.since:
        clauses.append({"date_int": {"$gte": int(filters.since.replace("-", ""))}})
    if filters.until:
        clauses.append({"date_int": {"$lte": int(filters.until.replace("-", ""))}})
        clauses.append({"date_int": {"$gt": 0}})
    if filters.max_marking is not None and marking_rank(filters.max_marking) < TOP_RANK:
        # (TOP SECRET sees everything: no clause, so Chroma searches unfiltered, much faster)
        clauses.append({"marking_rank": {"$lte": marking_rank(filters.max_marking)}})
    if filters.markings:
        ranks = sorted({marking_rank(m) for m in filters.markings})
        clauses.append({"marking_rank": {"$in": ranks}})
    if filters.parties:
        ors = [{party_key(p): {"$eq": True}} for p in filters.parties]
        clauses.append(ors[0] if len(ors) == 1 else {"$or": ors})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def where_matches(where: dict[str, Any] | None, meta: dict[str, Any]) -> bool:
    """Evaluate a ``where`` clause built by :func:`chroma_where` on one chunk's metadata, as
    Chroma would (a missing field matches nothing but ``$ne``)."""
    if not where:
        return True
    if "$and" in where:
        return all(where_matches(w, meta) for w in where["$and"])
    if "$or" in where:
        return any(where_matches(w, meta) for w in where["$or"])
    (field, cond), = where.items()
    if field not in meta:
        return False
    value = meta[field]
    (op, arg), = cond.items()
    return {"$eq": lambda: value == arg, "$ne": lambda: value != arg,
            "$gt": lambda: value > arg, "$gte": lambda: value >= arg,
            "$lt": lambda: value < arg, "$lte": lambda: value <= arg,
            "$in": lambda: value in arg, "$nin": lambda: value not in arg}[op]()


class HybridRetriever:
    """Ranks chunks for a question.

    ``lexical`` is a callable returning the current LexicalIndex, so a long-running process
    picks up a re-index without restarting.
    """

    def __init__(self, store: Any, embedder: Any, lexical: Callable[[], LexicalIndex],
                 rrf_k: int = 60, fetch: int = 40) -> None:
        self.store = store
        self.embedder = embedder
        self.lexical = lexical
        self.rrf_k = rrf_k
        self.fetch = fetch

    def retrieve(self, question: str, k: int, filters: Filters | None = None,
                 mode: str = "hybrid", query_vector: np.ndarray | None = None
                 ) -> list[RetrievedChunk]:
        """The ``k`` best chunks for ``question``, best first, each with its fused score."""
        if mode not in MODES:
            raise ValueError(f"unknown retrieval mode {mode!r}; use one of {MODES}")
        fetch = max(self.fetch, k)
        found: dict[str, RetrievedChunk] = {}
        if mode in ("hybrid", "dense"):
            qv = query_vector if query_vector is not None else self.embedder.embed_query(question)
            for rank, (cid, text, meta, sim) in enumerate(
                    self.dense(qv, fetch, chroma_where(filters))):
                found[cid] = RetrievedChunk(cid, text, 0.0, meta, dense_rank=rank, dense_score=sim)
        if mode in ("hybrid", "lexical"):
            lex = self.lexical()
            for rank, (row, _score) in enumerate(lex.search(question, fetch, filters)):
                cid = lex.ids[row]
                if cid in found:
                    found[cid].lexical_rank = rank
                else:
                    meta = lex.metas[row]
                    text = lex.texts[row]
                    n = int(meta.get("char_end", 0)) - int(meta.get("char_start", 0))
                    found[cid] = RetrievedChunk(cid, text[-n:] if n > 0 else text, 0.0, dict(meta),
                                                lexical_rank=rank)
        for rc in found.values():
            s = 0.0
            if rc.dense_rank is not None:
                s += 1.0 / (self.rrf_k + rc.dense_rank + 1)
            if rc.lexical_rank is not None:
                s += 1.0 / (self.rrf_k + rc.lexical_rank + 1)
            rc.score = s
        ranked = sorted(found.values(), key=lambda r: (-r.score, r.chunk_id))
        return ranked[:k]

    def dense(self, qv: np.ndarray, fetch: int, where: dict[str, Any] | None
              ) -> list[tuple[str, str, dict[str, Any], float]]:
        """The ``fetch`` nearest chunks that pass ``where``, best first.

        Chroma's filtered search costs several times an unfiltered one (65 ms against 14 ms on
        the whole corpus), and most searches are filtered only by the audience's clearance, which
        most chunks pass. So: search unfiltered for ``OVERFETCH`` times as many, drop what fails
        the filter here, and keep the result when at least ``fetch`` remain (then they are the
        same chunks a filtered search returns); otherwise search filtered. A chunk above the
        clearance is dropped before it leaves this method either way.
        """
        if where is None:
            return self.store.query(qv, fetch, None)
        wide = self.store.query(qv, fetch * OVERFETCH, None)
        kept = [hit for hit in wide if where_matches(where, hit[2])]
        if len(kept) >= fetch or len(wide) < fetch * OVERFETCH:
            return kept[:fetch]
        return self.store.query(qv, fetch, where)
