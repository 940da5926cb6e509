"""A BM25 lexical index over chunk texts, kept in step by the ingest sync.

Dense embeddings miss exact names, article numbers and rare terms ("Article 9", "Kota
Kinabalu"); BM25 catches them. Postings are numpy arrays so a query costs a few vector adds.
The sync rebuilds the index after each change and saves it beside the manifest, stamped with
the manifest's generation; a reader whose stamp is stale rebuilds it.
"""

from __future__ import annotations

import math
import pickle
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from accord.access import chunk_visible
from accord.markings import Rules
from accord.models import Filters
from accord.text import STOPWORDS, party_key, words

# Bump when tokenisation changes: a saved index built with other tokens is rebuilt on load.
FORMAT_VERSION = 3


class LexicalIndex:
    """BM25 (k1=1.2, b=0.75) over chunks, with the same metadata filters as the dense side."""

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.ids: list[str] = []
        self.texts: list[str] = []
        self.metas: list[dict[str, Any]] = []
        self.generation = -1
        self.version = FORMAT_VERSION
        self._postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._idf: dict[str, float] = {}
        self._norm = np.zeros(0, dtype=np.float32)
        self._doc_type = np.zeros(0, dtype=object)
        self._date = np.zeros(0, dtype=np.int64)
        self._mrank = np.zeros(0, dtype=np.int64)
        self._guarded = np.zeros(0, dtype=np.int64)  # rows with caveats: checked one by one
        self._rows_by_source: dict[str, list[int]] | None = None

    @classmethod
    def build(cls, rows: Iterable[tuple[str, str, dict[str, Any]]], generation: int = 0
              ) -> LexicalIndex:
        """Index (chunk id, text, metadata) rows."""
        idx = cls()
        tmp: dict[str, tuple[list[int], list[int]]] = {}
        lengths: list[int] = []
        for i, (cid, text, meta) in enumerate(rows):
            idx.ids.append(cid)
            idx.texts.append(text)
            idx.metas.append(meta)
            toks = [t for t in words(text) if t not in STOPWORDS]
            lengths.append(len(toks))
            for term, tf in Counter(toks).items():
                d, f = tmp.setdefault(term, ([], []))
                d.append(i)
                f.append(tf)
        n = len(idx.ids)
        lens = np.asarray(lengths, dtype=np.float32)
        avg = float(lens.mean()) if n else 1.0
        idx._norm = idx.k1 * (1 - idx.b + idx.b * lens / max(avg, 1e-9))
        for term, (d, f) in tmp.items():
            idx._postings[term] = (np.asarray(d, dtype=np.int32), np.asarray(f, dtype=np.float32))
            df = len(d)
            idx._idf[term] = math.log(1 + (n - df + 0.5) / (df + 0.5))
        idx._doc_type = np.asarray([m.get("doc_type", "") for m in idx.metas], dtype=object)
        idx._date = np.asarray([int(m.get("date_int", 0) or 0) for m in idx.metas], dtype=np.int64)
        # A chunk without the access fields (an older index) ranks above every ladder.
        idx._mrank = np.asarray([int(m["marking_rank"]) if "marking_rank" in m else 1 << 30
                                 for m in idx.metas], dtype=np.int64)
        idx._guarded = np.asarray([i for i, m in enumerate(idx.metas)
                                   if m.get("caveats") or "caveats" not in m], dtype=np.int64)
        idx.generation = generation
        return idx

    def __len__(self) -> int:
        return len(self.ids)

    def document_text(self, source: str) -> str:
        """The indexed text of one document (its chunks in order), "" if it is not indexed."""
        if not hasattr(self, "_rows_by_source") or self._rows_by_source is None:
            rows: dict[str, list[int]] = {}
            for i, meta in enumerate(self.metas):
                rows.setdefault(str(meta.get("source", "")), []).append(i)
            self._rows_by_source = rows
        rows_ = sorted(self._rows_by_source.get(source, []),
                       key=lambda i: int(self.metas[i].get("char_start", 0) or 0))
        return "\n".join(self.texts[i] for i in rows_)

    def vocabulary(self) -> dict[str, Any]:
        """The indexed words (keys; the same object until the index is rebuilt)."""
        return self._postings

    def document_frequency(self, term: str) -> int:
        p = self._postings.get(term)
        return 0 if p is None else len(p[0])

    def idf(self, term: str) -> float:
        """BM25 idf of ``term``; a term in no chunk gets the highest possible idf."""
        if term in self._idf:
            return self._idf[term]
        return math.log(1 + (len(self.ids) + 0.5) / 0.5)

    def mask(self, filters: Filters | None, rules: Rules | None = None) -> np.ndarray | None:
        """Boolean mask of chunks passing ``filters``, or None when nothing filters.

        With an audience in ``filters``, ``rules`` is required: a chunk passes only when
        :func:`accord.access.chunk_visible` says the audience may see it.
        """
        if filters is None:
            return None
        m = np.ones(len(self.ids), dtype=bool)
        used = False
        if filters.doc_types:
            m &= np.isin(self._doc_type, list(filters.doc_types))
            used = True
        if filters.since:
            m &= self._date >= int(filters.since.replace("-", ""))
            used = True
        if filters.until:
            m &= (self._date <= int(filters.until.replace("-", ""))) & (self._date > 0)
            used = True
        if filters.audience is not None:
            if rules is None:
                raise ValueError("an audience filter needs the marking rules")
            m &= self._mrank <= rules.rank(filters.audience.clearance)
            for row in self._guarded:
                if m[row]:
                    m[row] = chunk_visible(rules, filters.audience, self.metas[row])
            used = True
        if filters.markings:
            allowed = {x.upper() for x in filters.markings}
            m &= np.asarray([str(meta.get("marking", "")) in allowed for meta in self.metas],
                            dtype=bool)
            used = True
        if filters.parties:
            keys = [party_key(p) for p in filters.parties]
            m &= np.asarray([any(meta.get(k) for k in keys) for meta in self.metas], dtype=bool)
            used = True
        return m if used else None

    def search(self, query: str, k: int, filters: Filters | None = None,
               rules: Rules | None = None) -> list[tuple[int, float]]:
        """Top ``k`` (row, BM25 score) for ``query``; rows index ``ids``/``texts``/``metas``."""
        if not self.ids:
            return []
        scores = np.zeros(len(self.ids), dtype=np.float32)
        for term in set(t for t in words(query) if t not in STOPWORDS):
            p = self._postings.get(term)
            if p is None:
                continue
            docs, tf = p
            scores[docs] += self._idf[term] * tf * (self.k1 + 1) / (tf + self._norm[docs])
        mask = self.mask(filters, rules)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        nz = int(np.count_nonzero(scores))
        if nz == 0:
            return []
        k = min(k, nz)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(i), float(scores[i])) for i in top]

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as fh:
            pickle.dump(self, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)  # atomic: a reader never sees half a file

    @classmethod
    def load(cls, path: Path) -> LexicalIndex | None:
        try:
            with open(path, "rb") as fh:
                obj = pickle.load(fh)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
            return None
        if not isinstance(obj, cls) or getattr(obj, "version", 0) != FORMAT_VERSION:
            return None
        return obj
