"""A BM25 lexical index over chunk texts, kept in step by the ingest sync.

Dense embeddings miss exact names, article numbers and rare terms ("Article 9", "Kota
Kinabalu"); BM25 catches them. Postings are numpy arrays so a query costs a few vector adds.
The sync rebuilds the index after each change and saves it beside the manifest, stamped with
the manifest's generation; a reader whose stamp is stale rebuilds it.
"""

from __future__ import annotations

import logging
import math
import pickle
import threading
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from accord.access.filtering import passes, signature
from accord.access.markings import Rules
from accord.language.detect import ENGLISH, analyse, detect
from accord.language.lexicon import lexicon
from accord.models import Filters

log = logging.getLogger(__name__)

# Bump when tokenisation changes: a saved index built with other tokens is rebuilt on load.
FORMAT_VERSION = 6


class LexicalIndex:
    """BM25 (k1=1.2, b=0.75) over chunks, with the same metadata filters as the dense side.

    Each chunk is tokenised in its own language (its ``language`` metadata: Malay chunks are
    stemmed by the Malay analyser) and each query in the language it is written in."""

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
        self._rows_by_source: dict[str, list[int]] | None = None
        self._masks: dict[tuple, np.ndarray] = {}

    @classmethod
    def build(
        cls, rows: Iterable[tuple[str, str, dict[str, Any]]], generation: int = 0
    ) -> LexicalIndex:
        """Index (chunk id, text, metadata) rows."""
        idx = cls()
        stop = lexicon().bm25_stopwords
        tmp: dict[str, tuple[list[int], list[int]]] = {}
        lengths: list[int] = []
        for i, (cid, text, meta) in enumerate(rows):
            idx.ids.append(cid)
            idx.texts.append(text)
            idx.metas.append(meta)
            toks = analyse(text, meta.get("language"), stop)
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
        rows_ = sorted(
            self._rows_by_source.get(source, []),
            key=lambda i: int(self.metas[i].get("char_start", 0) or 0),
        )
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
        """Boolean mask of the chunks passing ``filters`` (:func:`accord.access.filtering.passes`),
        or None when ``filters`` is None. Masks are cached per filter set: most questions share
        one audience, so the rows are checked once per index generation."""
        if filters is None:
            return None
        if rules is None:
            raise ValueError("filtering needs the marking rules")
        key = signature(filters)
        if getattr(self, "_masks", None) is None:
            self._masks = {}
        cached = self._masks.get(key)
        if cached is None:
            cached = np.fromiter(
                (passes(filters, rules, m) for m in self.metas), dtype=bool, count=len(self.metas)
            )
            if len(self._masks) >= 32:
                self._masks.pop(next(iter(self._masks)))
            self._masks[key] = cached
        return cached

    def search(
        self, query: str, k: int, filters: Filters | None = None, rules: Rules | None = None
    ) -> list[tuple[int, float]]:
        """Top ``k`` (row, BM25 score) for ``query``; rows index ``ids``/``texts``/``metas``."""
        if not self.ids:
            return []
        scores = np.zeros(len(self.ids), dtype=np.float32)
        stop = lexicon().bm25_stopwords
        lang = detect(query)
        terms = set(analyse(query, lang, stop))
        if lang != ENGLISH:  # names and English words in a Malay question still count
            terms |= set(analyse(query, ENGLISH, stop))
        for term in terms:
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
        # The stamp beside it says which generation the file holds without loading it (a
        # second at 100k chunks); written after the file, so it never claims a newer one.
        stamp = _stamp(path)
        stamp.with_suffix(".tmp").write_text(f"{FORMAT_VERSION} {self.generation}\n")
        stamp.with_suffix(".tmp").replace(stamp)

    @staticmethod
    def saved_generation(path: Path) -> int | None:
        """The generation of the index saved at ``path`` by its stamp, or None (no stamp, or
        another format)."""
        try:
            version, generation = _stamp(path).read_text().split()
            return int(generation) if int(version) == FORMAT_VERSION else None
        except (OSError, ValueError):
            return None

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


class LexicalCache:
    """Returns the current lexical index, rebuilding it when the manifest's generation moves.

    Each process keeps its own index, saved under its own data dir: replicas on different hosts
    share only the manifest (SQLite beside them, or PostgreSQL). When the generation moves (a
    sync, on any host), the saved file is taken if it already matches; otherwise the index is
    rebuilt from the manifest in a background thread while questions go on being answered from
    the previous one (the dense side is current at once; every answer's sources are checked
    against the manifest's current record before it is shown, so a document removed or re-marked
    meanwhile is never shown). A process with no index yet builds it before answering."""

    def __init__(self, path: Path, manifest: Any) -> None:
        self.path = path  # where this process saves its copy (LEXICAL_FILE under its data dir)
        self.manifest = manifest
        self._index: LexicalIndex | None = None
        self._lock = threading.Lock()
        self._rebuild: threading.Thread | None = None

    def __call__(self) -> LexicalIndex:
        with self._lock:  # one indexed SELECT per question
            gen = self.manifest.generation()
            if self._index is not None and self._index.generation == gen:
                return self._index
            rebuilding = self._rebuild is not None and self._rebuild.is_alive()
            if self._index is not None and rebuilding:
                return self._index  # the previous index answers until the new one is built
            if self.path.exists() and LexicalIndex.saved_generation(self.path) == gen:
                idx = LexicalIndex.load(self.path)
                if idx is not None and idx.generation == gen:
                    self._index = idx
                    return idx
            if self._index is not None:
                if not rebuilding:
                    log.info(
                        "the index moved to generation %d; rebuilding the lexical index "
                        "in the background",
                        gen,
                    )
                    self._rebuild = threading.Thread(
                        target=self._rebuild_now, args=(gen,), name="accord-lexical", daemon=True
                    )
                    self._rebuild.start()
                return self._index
            log.info("lexical index stale or missing; rebuilding from the manifest")
            self._index = self._build(gen)
            return self._index

    def _build(self, gen: int) -> LexicalIndex:
        # stamped with the generation read before the chunks: a change meanwhile rebuilds again
        idx = LexicalIndex.build(self.manifest.iter_chunks(), generation=gen)
        try:  # kept for the next process: a cold `accord ask` loads it, not rebuilds
            self.path.parent.mkdir(parents=True, exist_ok=True)
            idx.save(self.path)
        except OSError:
            log.warning("could not save the lexical index to %s", self.path)
        return idx

    def _rebuild_now(self, gen: int) -> None:
        try:
            idx = self._build(gen)
        except Exception:  # the next question tries again; meanwhile the old index answers
            log.exception("rebuilding the lexical index failed")
            return
        with self._lock:
            if self._index is None or self._index.generation < idx.generation:
                self._index = idx

    def wait(self, timeout: float | None = None) -> None:
        """Wait for a background rebuild to finish (for tests and benchmarks)."""
        thread = self._rebuild
        if thread is not None:
            thread.join(timeout)


def _stamp(path: Path) -> Path:
    return path.with_name(path.name + ".stamp")
