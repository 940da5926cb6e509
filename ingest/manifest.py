"""The sync manifest: what is indexed, at which content hash, and the chunk texts.

A SQLite file under ``ACCORD_DATA_DIR``, or tables in the PostgreSQL database of
``ACCORD_DATABASE_URL`` (see ``accord.db``). A document row is written ``pending`` before its
chunks reach Chroma and ``done`` after, in one transaction with its chunk rows, so a sync killed
at any point is repaired by the next one. The chunk rows feed the lexical index; the stored
extracted text lets anyone check a citation's quote against its span.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accord.db import BusyError, Database, Step, connect_sqlite
from accord.models import Chunk, Document


def _old_columns(db: Database) -> None:
    """An index from before access control and source roots lacks these columns (re-marked
    and attributed on the next sync)."""
    have = db.columns("documents")
    for column, kind in (
        ("caveats", "TEXT"),
        ("marking_rank", "INTEGER"),
        ("marking_evidence", "TEXT"),
        ("root", "TEXT"),
    ):
        if column not in have:
            db.execute(f"ALTER TABLE documents ADD COLUMN {column} {kind}")


MIGRATIONS: list[Step] = [
    (
        "CREATE TABLE IF NOT EXISTS documents (source TEXT PRIMARY KEY, fingerprint TEXT NOT "
        "NULL, sha256 TEXT NOT NULL, status TEXT NOT NULL, title TEXT, doc_type TEXT, date TEXT, "
        "parties TEXT, marking TEXT, page_starts TEXT, extra TEXT, text TEXT, chunk_ids TEXT, "
        "indexed_at {real})",
        "CREATE TABLE IF NOT EXISTS chunks (id TEXT PRIMARY KEY, source TEXT NOT NULL, "
        "ordinal INTEGER, lexical_text TEXT NOT NULL, meta TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS chunks_source ON chunks(source)",
        "CREATE TABLE IF NOT EXISTS runs (id {serial}, started {real}, finished {real}, "
        "root TEXT, embedding_model TEXT, summary TEXT, failures TEXT)",
        "CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT)",
        "CREATE TABLE IF NOT EXISTS roots (path TEXT PRIMARY KEY, added {real}, "
        "last_sync {real}, summary TEXT)",
    ),
    _old_columns,
]
DOC_COLUMNS = (
    "source",
    "fingerprint",
    "sha256",
    "status",
    "title",
    "doc_type",
    "date",
    "parties",
    "marking",
    "page_starts",
    "extra",
    "text",
    "chunk_ids",
    "indexed_at",
    "caveats",
    "marking_rank",
    "marking_evidence",
    "root",
)
WRITER_LOCK = "accord-ingest"


@dataclass
class DocRecord:
    source: str
    fingerprint: str
    sha256: str
    status: str
    chunk_ids: list[str]
    root: str | None = None  # the source root (absolute folder) it was synced from


class Manifest:
    """The manifest: a SQLite file (a path) or any :class:`Database`. One instance per
    process; its threads share it."""

    def __init__(self, target: Path | Database) -> None:
        self.db = target if isinstance(target, Database) else connect_sqlite(target)
        self.path = target if isinstance(target, Path) else None
        self.lock = self.db.lock
        self.db.migrate("manifest", MIGRATIONS)
        with self.db.transaction():
            self._migrate_roots()

    def _migrate_roots(self) -> None:
        """An index from before source roots held one folder's documents: the folder of its
        last recorded sync (each sync removed what the folder did not hold). They become that
        root's, without re-embedding. With no sync recorded they stay unattributed: no sync
        removes them, ``accord remove`` can."""
        if not self.db.one("SELECT 1 FROM documents WHERE root IS NULL LIMIT 1"):
            return
        run = self.db.one(
            "SELECT root, finished, summary FROM runs WHERE root IS NOT NULL "
            "ORDER BY id DESC LIMIT 1"
        )
        if run:
            self.db.execute("UPDATE documents SET root=? WHERE root IS NULL", (run[0],))
            self.db.execute(
                "INSERT INTO roots(path, added, last_sync, summary) "
                "VALUES (?,?,?,?) ON CONFLICT(path) DO NOTHING",
                (run[0], run[1], run[1], run[2]),
            )

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the index's writer lock for the block: one ingest (or removal) at a time, on
        any host. Raises BusyError at once when another process holds it."""
        if not self.db.try_lock(WRITER_LOCK):
            raise BusyError(
                f"another ingest is writing to this index ({self.db.where}); "
                "wait for it to finish, then run this again"
            )
        try:
            yield
        finally:
            self.db.unlock(WRITER_LOCK)

    def close(self) -> None:
        self.db.close()

    # --- documents -----------------------------------------------------------------------------
    def records(self) -> dict[str, DocRecord]:
        rows = self.db.all(
            "SELECT source, fingerprint, sha256, status, chunk_ids, root FROM documents"
        )
        return {
            r[0]: DocRecord(r[0], r[1], r[2], r[3], json.loads(r[4] or "[]"), r[5]) for r in rows
        }

    def mark_pending(
        self, source: str, fingerprint: str, sha256: str, root: str | None = None
    ) -> None:
        """Record that ``source`` is being (re)written: a crash from here on is repaired later."""
        self.db.execute(
            "INSERT INTO documents(source, fingerprint, sha256, status, root) "
            "VALUES (?,?,?,'pending',?) ON CONFLICT(source) DO UPDATE SET status='pending', "
            "root=COALESCE(excluded.root, documents.root)",
            (source, fingerprint, sha256, root),
        )

    def mark_done(
        self,
        doc: Document,
        fingerprint: str,
        chunks: list[Chunk],
        lexical_texts: list[str],
        root: str | None = None,
    ) -> None:
        """Store the document and its chunk rows, status done, in one transaction."""
        with self.db.transaction():
            self.db.execute("DELETE FROM chunks WHERE source=?", (doc.source,))
            self.db.executemany(
                "INSERT INTO chunks(id, source, ordinal, lexical_text, meta) VALUES (?,?,?,?,?) "
                "ON CONFLICT(id) DO UPDATE SET source=excluded.source, ordinal=excluded.ordinal, "
                "lexical_text=excluded.lexical_text, meta=excluded.meta",
                [
                    (c.id, c.source, c.ordinal, lt, json.dumps(c.metadata(doc)))
                    for c, lt in zip(chunks, lexical_texts, strict=True)
                ],
            )
            self.db.execute(
                f"INSERT INTO documents({', '.join(DOC_COLUMNS)}) "
                "VALUES (?,?,?,'done',?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(source) DO UPDATE "
                f"SET {', '.join(f'{c}=excluded.{c}' for c in DOC_COLUMNS[1:])}",
                (
                    doc.source,
                    fingerprint,
                    doc.sha256,
                    doc.title,
                    doc.doc_type,
                    doc.date,
                    json.dumps(doc.parties),
                    doc.marking,
                    json.dumps(doc.page_starts),
                    json.dumps(doc.extra, default=str),
                    doc.text,
                    json.dumps([c.id for c in chunks]),
                    time.time(),
                    json.dumps(doc.caveats),
                    doc.marking_rank,
                    json.dumps(doc.marking_evidence),
                    root,
                ),
            )
            self._bump()

    def remove(self, source: str) -> None:
        with self.db.transaction():
            self.db.execute("DELETE FROM chunks WHERE source=?", (source,))
            self.db.execute("DELETE FROM documents WHERE source=?", (source,))
            self._bump()

    # --- source roots --------------------------------------------------------------------------
    def set_root(self, sources: Iterable[str], root: str) -> None:
        """Attribute documents to ``root`` (a moved folder's, found again under its new path)."""
        with self.db.transaction():
            self.db.executemany(
                "UPDATE documents SET root=? WHERE source=?", [(root, s) for s in sources]
            )

    def note_sync(self, root: str, summary: dict[str, Any]) -> None:
        """Record that ``root`` was just synced (added to the roots on its first sync)."""
        now = time.time()
        with self.db.transaction():
            self.db.execute(
                "INSERT INTO roots(path, added, last_sync, summary) VALUES (?,?,?,?) "
                "ON CONFLICT(path) DO UPDATE SET last_sync=excluded.last_sync, "
                "summary=excluded.summary",
                (root, now, now, json.dumps(summary)),
            )

    def forget_root(self, root: str) -> None:
        with self.db.transaction():
            self.db.execute("DELETE FROM roots WHERE path=?", (root,))

    def roots(self) -> list[dict[str, Any]]:
        """Every source root (and ``None`` for documents no recorded sync brought) with its
        documents, chunks, last sync and that sync's summary, by path."""
        with self.lock:
            known = {
                r[0]: {
                    "root": r[0],
                    "added": r[1],
                    "last_sync": r[2],
                    "summary": json.loads(r[3] or "{}"),
                    "documents": 0,
                    "chunks": 0,
                }
                for r in self.db.all("SELECT path, added, last_sync, summary FROM roots")
            }
            counts = self.db.all(
                "SELECT d.root, COUNT(DISTINCT d.source), COUNT(c.id) FROM documents d "
                "LEFT JOIN chunks c ON c.source=d.source GROUP BY d.root"
            )
        for root, docs, chunks in counts:
            entry = known.setdefault(
                root,
                {
                    "root": root,
                    "added": None,
                    "last_sync": None,
                    "summary": {},
                    "documents": 0,
                    "chunks": 0,
                },
            )
            entry["documents"], entry["chunks"] = int(docs), int(chunks)
        return sorted(known.values(), key=lambda e: (e["root"] is None, e["root"] or ""))

    def sources_in(self, root: str | None) -> list[str]:
        """The documents attributed to ``root`` (None: to no recorded sync), by source."""
        with self.lock:
            rows = (
                self.db.all("SELECT source FROM documents WHERE root IS NULL ORDER BY source")
                if root is None
                else self.db.all(
                    "SELECT source FROM documents WHERE root=? ORDER BY source", (root,)
                )
            )
        return [r[0] for r in rows]

    def clear(self) -> None:
        with self.db.transaction():
            self.db.execute("DELETE FROM chunks")
            self.db.execute("DELETE FROM documents")
            self._bump()

    def document(self, source: str) -> Document | None:
        """The stored document (extracted text and metadata) as indexed, or None."""
        with self.lock:
            row = self.db.one(
                "SELECT source, text, sha256, title, doc_type, date, parties, marking, "
                "page_starts, extra, caveats, marking_rank, marking_evidence FROM documents "
                "WHERE source=? AND status='done'",
                (source,),
            )
        if not row:
            return None
        return Document(
            source=row[0],
            text=row[1] or "",
            sha256=row[2],
            title=row[3] or "",
            doc_type=row[4] or "other",
            date=row[5],
            parties=json.loads(row[6] or "[]"),
            marking=row[7] or "UNMARKED",
            page_starts=json.loads(row[8] or "[]"),
            extra=json.loads(row[9] or "{}"),
            caveats=json.loads(row[10] or "[]"),
            marking_rank=int(row[11] or 0),
            marking_evidence=json.loads(row[12] or "[]"),
        )

    def sources_of_type(self, doc_type: str) -> list[str]:
        """Indexed documents of one type, by source."""
        with self.lock:
            rows = self.db.all(
                "SELECT source FROM documents WHERE status='done' AND doc_type=? ORDER BY source",
                (doc_type,),
            )
        return [r[0] for r in rows]

    def access(self, source: str) -> tuple[str, list[str]] | None:
        """(marking, caveats) of an indexed document as the index holds them, or None."""
        with self.lock:
            row = self.db.one(
                "SELECT marking, caveats FROM documents WHERE source=? AND status='done'", (source,)
            )
        if not row or row[1] is None:
            return None  # not indexed, or indexed before caveats were recorded
        return str(row[0]), list(json.loads(row[1]))

    def markings(self) -> list[dict[str, Any]]:
        """Every indexed document with its marking, caveats and evidence, by source."""
        with self.lock:
            rows = self.db.all(
                "SELECT source, title, marking, caveats, marking_evidence FROM documents "
                "WHERE status='done' ORDER BY source"
            )
        return [
            {
                "source": r[0],
                "title": r[1] or "",
                "marking": r[2] or "UNMARKED",
                "caveats": json.loads(r[3] or "[]"),
                "evidence": json.loads(r[4] or "[]"),
            }
            for r in rows
        ]

    def catalogue(self) -> list[dict[str, Any]]:
        """Every indexed document's source, title, type, date, marking, caveats (None when
        indexed before caveats were recorded) and when it was indexed, by source: what an
        overview of the index needs without the documents' text."""
        with self.lock:
            rows = self.db.all(
                "SELECT source, title, doc_type, date, marking, caveats, indexed_at FROM "
                "documents WHERE status='done' ORDER BY source"
            )
        return [
            {
                "source": r[0],
                "title": r[1] or "",
                "doc_type": r[2] or "other",
                "date": r[3],
                "marking": r[4] or "UNMARKED",
                "caveats": None if r[5] is None else list(json.loads(r[5])),
                "indexed_at": r[6],
            }
            for r in rows
        ]

    def document_stats(self) -> list[tuple[str, str, int, int]]:
        """(doc_type, marking, documents, chunks) for indexed documents."""
        rows = self.db.all(
            "SELECT d.doc_type, d.marking, COUNT(DISTINCT d.source), COUNT(c.id) FROM documents d "
            "LEFT JOIN chunks c ON c.source=d.source WHERE d.status='done' "
            "GROUP BY d.doc_type, d.marking ORDER BY d.doc_type, d.marking"
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    # --- chunks --------------------------------------------------------------------------------
    def iter_chunks(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """(chunk id, lexical text, metadata) for every chunk of a finished document."""
        with self.lock:
            rows = self.db.all(
                "SELECT c.id, c.lexical_text, c.meta FROM chunks c JOIN documents d "
                "ON d.source=c.source AND d.status='done' ORDER BY c.source, c.ordinal"
            )
        for cid, text, meta in rows:
            yield cid, text, json.loads(meta)

    def chunk_texts(self, source: str) -> list[tuple[str, str]]:
        """(chunk id, embedded text) of ``source``'s chunks in order, as last written."""
        with self.lock:
            rows = self.db.all(
                "SELECT id, lexical_text FROM chunks WHERE source=? ORDER BY ordinal", (source,)
            )
        return [(r[0], r[1]) for r in rows]

    def chunk_count(self) -> int:
        row = self.db.one("SELECT COUNT(*) FROM chunks")
        return int(row[0]) if row else 0

    def chunk_ids(self) -> set[str]:
        return {r[0] for r in self.db.all("SELECT id FROM chunks")}

    # --- state ---------------------------------------------------------------------------------
    def _bump(self) -> None:
        self.db.execute(
            "INSERT INTO state(key, value) VALUES ('generation', '1') ON CONFLICT(key) DO UPDATE "
            "SET value=CAST(CAST(state.value AS INTEGER)+1 AS TEXT)"
        )

    def generation(self) -> int:
        with self.lock:
            row = self.db.one("SELECT value FROM state WHERE key='generation'")
        return int(row[0]) if row else 0

    def get_state(self, key: str) -> str | None:
        row = self.db.one("SELECT value FROM state WHERE key=?", (key,))
        return row[0] if row else None

    def set_state(self, key: str, value: str) -> None:
        with self.db.transaction():
            self.db.execute(
                "INSERT INTO state(key, value) VALUES (?,?) ON CONFLICT(key) DO "
                "UPDATE SET value=excluded.value",
                (key, value),
            )

    def record_run(
        self,
        started: float,
        root: str,
        model: str,
        summary: dict[str, Any],
        failures: Iterable[dict[str, str]],
    ) -> None:
        with self.db.transaction():
            self.db.execute(
                "INSERT INTO runs(started, finished, root, embedding_model, summary, failures) "
                "VALUES (?,?,?,?,?,?)",
                (
                    started,
                    time.time(),
                    root,
                    model,
                    json.dumps(summary),
                    json.dumps(list(failures)),
                ),
            )

    def last_run(self) -> dict[str, Any] | None:
        row = self.db.one(
            "SELECT started, finished, root, embedding_model, summary, failures FROM runs "
            "ORDER BY id DESC LIMIT 1"
        )
        if not row:
            return None
        return {
            "started": row[0],
            "finished": row[1],
            "root": row[2],
            "embedding_model": row[3],
            "summary": json.loads(row[4]),
            "failures": json.loads(row[5]),
        }
