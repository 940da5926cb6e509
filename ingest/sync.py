"""The sync job: make the index match a folder of documents (one source root; the index may
hold several, and a sync touches only its own: see ``ingest.plan``).

New files are added, changed files have their chunks replaced, files gone from the folder have
their chunks removed, unchanged files are skipped without embedding. A bad file is reported by
name with its reason and the rest go on. The manifest's pending/done protocol makes a sync that
was killed part-way repairable by simply running it again.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from accord.access.markings import Rules
from accord.errors import BulkRemoval, ConfigError, DocumentError
from accord.models import Chunk, Document
from accord.settings import Settings
from accord.state import LEXICAL_FILE, RULES_STATE
from ingest.chunking import chunk_document, embedding_text
from ingest.folders import FolderDefaults
from ingest.loaders import load, load_sidecar
from ingest.manifest import Manifest
from ingest.metadata import build_metadata
from ingest.ocr import OcrStats, PageOcr, build_page_ocr
from ingest.plan import FileIssue, Planned, SyncPlan, _fingerprint, plan_sync, walk_folder

__all__ = [
    "FileIssue",
    "Planned",
    "SyncPlan",
    "SyncResult",
    "Syncer",
    "load_document",
    "page_ocr",
    "plan_sync",
    "walk_folder",
]

log = logging.getLogger(__name__)


@dataclass
class SyncResult:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    failed: list[FileIssue] = field(default_factory=list)
    skipped: list[FileIssue] = field(default_factory=list)
    chunks_written: int = 0
    chunks_removed: int = 0
    embedded: int = 0
    seconds: float = 0.0
    encode_seconds: float = 0.0
    ocr: OcrStats = field(default_factory=OcrStats)

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "failed": len(self.failed),
            "skipped": len(self.skipped),
            "chunks": self.chunks_written,
            "chunks_removed": self.chunks_removed,
            "embedded": self.embedded,
            "seconds": round(self.seconds, 2),
        }
        if self.ocr.read or self.ocr.cached:
            out.update(
                {
                    "ocr_pages_read": self.ocr.read,
                    "ocr_pages_cached": self.ocr.cached,
                    "ocr_low_confidence": len(self.ocr.low),
                }
            )
        return out


def load_document(
    path: Path,
    rel: str,
    rules: Rules,
    folders: FolderDefaults | None = None,
    ocr: PageOcr | None = None,
) -> tuple[Document, str]:
    """Load one file into a Document with its metadata; return it and its fingerprint. PDF
    pages without a text layer are read by ``ocr`` (when given and available); their text is
    searched for markings like any other page's.

    Raises DocumentError naming the file and the reason.
    """
    try:
        data = path.read_bytes()
    except PermissionError as exc:
        raise DocumentError(rel, "unreadable: permission denied", "unreadable") from exc
    except OSError as exc:
        raise DocumentError(rel, f"unreadable: {exc.strerror or exc}", "unreadable") from exc
    sidecar, side_raw = load_sidecar(path, rel)
    defaults, folder_raw = folders.above(path, rel) if folders else ([], b"")
    loaded = load(path, rel, data, ocr)
    sha, fp = _fingerprint(data, side_raw, rules.digest.encode() + folder_raw)
    meta = build_metadata(
        rel,
        loaded.text,
        loaded.meta,
        sidecar,
        rules,
        loaded.page_starts,
        defaults,
        loaded.marking_zones,
    )
    doc = Document(
        source=rel,
        text=loaded.text,
        sha256=sha,
        title=meta["title"],
        doc_type=meta["doc_type"],
        date=meta["date"],
        parties=meta["parties"],
        marking=meta["marking"],
        page_starts=loaded.page_starts,
        extra=meta["extra"],
        caveats=meta["caveats"],
        marking_rank=meta["marking_rank"],
        marking_evidence=meta["marking_evidence"],
    )
    for ev in meta["marking_evidence"]:
        if ev.get("problem"):
            log.warning("%s: marking %s: %s", rel, ev["line"], ev["problem"])
    if loaded.notes:
        doc.extra["notes"] = "; ".join(loaded.notes)
    if loaded.headings:
        doc.extra["headings"] = [list(h) for h in loaded.headings]
    if loaded.ocr_pages:
        doc.extra["ocr_pages"] = {str(n): c for n, c in sorted(loaded.ocr_pages.items())}
    return doc, fp


@dataclass
class _Prepared:
    planned: Planned
    doc: Document
    fingerprint: str
    chunks: list[Chunk]
    texts: list[str]


ProgressFn = Callable[[str, int], None]  # (source just finished, files finished so far)


def page_ocr(settings: Settings) -> PageOcr:
    """The OCR the settings ask for, caching under the data folder."""
    return build_page_ocr(
        settings.ocr,
        settings.ocr_languages,
        settings.ocr_cache_dir,
        settings.ocr_dpi,
        settings.ocr_low_confidence,
    )


class Syncer:
    """Runs one sync. Collaborators are passed in; the embedder is created only when needed."""

    def __init__(
        self,
        settings: Settings,
        store: Any,
        manifest: Manifest,
        embedder_factory: Callable[[], Any],
        batch_chunks: int = 256,
        ocr: PageOcr | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.manifest = manifest
        self.embedder_factory = embedder_factory
        self.batch_chunks = batch_chunks
        self._embedder: Any = None
        self._root: str | None = None
        self.ocr = ocr or page_ocr(settings)

    @property
    def embedder(self) -> Any:
        if self._embedder is None:
            self._embedder = self.embedder_factory()
        return self._embedder

    def run(
        self,
        root: Path,
        full: bool = False,
        plan: SyncPlan | None = None,
        progress: ProgressFn | None = None,
        prune: bool = False,
    ) -> SyncResult:
        """Make the index match ``root`` (its documents only; other roots stay). Returns what
        was done; never raises for one bad file. Raises BulkRemoval, changing nothing, when
        the sync would remove much (see ``SyncPlan.bulk``) and ``prune`` is not set."""
        if not root.is_dir():
            raise ConfigError(f"{root.resolve()} is not a folder")
        with self.manifest.writing():  # one writer at a time, on any host
            return self._run(root, full, plan, progress, prune)

    def _run(
        self,
        root: Path,
        full: bool,
        plan: SyncPlan | None,
        progress: ProgressFn | None,
        prune: bool,
    ) -> SyncResult:
        t0 = time.perf_counter()
        plan = plan or plan_sync(root, self.settings, self.manifest, full=full)
        if plan.bulk and not prune:
            raise BulkRemoval(plan.bulk_message())
        self._root = plan.root
        res = SyncResult(
            unchanged=len(plan.unchanged), skipped=list(plan.skipped), failed=list(plan.failed)
        )
        self.ocr.stats = res.ocr  # what OCR does during this run is counted in its result
        if full:
            res.removed = len(plan.remove) + plan.elsewhere
            self.store.reset(self.settings.model_name)
            self.manifest.clear()
        records = self.manifest.records()
        # A file that is now unusable no longer matches what the index holds: drop it too
        # (never another root's document: a conflict is only reported).
        failed_sources = {
            f.source
            for f in plan.failed
            if f.source in records and records[f.source].root in (plan.root, None)
        }
        for source in plan.remove + sorted(failed_sources):
            if source not in records:
                continue
            res.chunks_removed += self.store.delete_source(source)
            self.manifest.remove(source)
            res.removed += source in plan.remove
        adopted = sorted(set(plan.adopt) & set(plan.unchanged))
        if adopted:
            self.manifest.set_root(adopted, plan.root)
        self._process(root, plan, res, records, progress)
        self.refresh_lexical()
        self.manifest.note_sync(plan.root, res.summary())
        for entry in self.manifest.roots():  # a moved folder's old path, now empty and gone
            if (
                entry["root"]
                and entry["root"] != plan.root
                and not entry["documents"]
                and not Path(entry["root"]).is_dir()
            ):
                self.manifest.forget_root(entry["root"])
        # Every document now carries markings read by these rules: the index may answer again.
        self.manifest.set_state(RULES_STATE, self.settings.rules().digest)
        res.seconds = time.perf_counter() - t0
        return res

    def _process(
        self,
        root: Path,
        plan: SyncPlan,
        res: SyncResult,
        records: dict,
        progress: ProgressFn | None,
    ) -> None:
        if not plan.todo:
            return
        loaded: queue.Queue[_Prepared | FileIssue | None] = queue.Queue(maxsize=64)
        rules = self.settings.rules()
        folders = FolderDefaults(root, rules)

        def produce() -> None:
            # Parsing runs beside encoding: torch releases the GIL while it computes.
            for planned in plan.todo:
                try:
                    # OCR of a scan runs here too, beside the encoding of earlier files.
                    doc, fp = load_document(planned.path, planned.source, rules, folders, self.ocr)
                    chunks = chunk_document(
                        doc, self.settings.chunk_chars, self.settings.chunk_max_chars
                    )
                    texts = [embedding_text(c, doc.title) for c in chunks]
                    loaded.put(_Prepared(planned, doc, fp, chunks, texts))
                except DocumentError as exc:
                    loaded.put(FileIssue(exc.path, exc.reason, exc.code))
                except Exception as exc:  # a loader bug must not lose the other files
                    log.exception("unexpected error loading %s", planned.source)
                    loaded.put(FileIssue(planned.source, f"unexpected error: {exc}", "internal"))
            loaded.put(None)

        producer = threading.Thread(target=produce, name="accord-loader", daemon=True)
        producer.start()
        batch: list[_Prepared] = []
        n_chunks = 0
        finished = 0
        while True:
            item = loaded.get()
            if item is None:
                break
            if isinstance(item, FileIssue):
                res.failed.append(item)
                if item.source in records:
                    res.chunks_removed += self.store.delete_source(item.source)
                    self.manifest.remove(item.source)
                finished += 1
                if progress:
                    progress(item.source, finished)
                continue
            batch.append(item)
            n_chunks += len(item.chunks)
            if n_chunks >= self.batch_chunks:
                finished = self._write(batch, res, records, progress, finished)
                batch, n_chunks = [], 0
        if batch:
            self._write(batch, res, records, progress, finished)
        producer.join()

    def _write(
        self,
        batch: list[_Prepared],
        res: SyncResult,
        records: dict,
        progress: ProgressFn | None,
        finished: int,
    ) -> int:
        # A document whose chunks are what the index already holds (only its sidecar, folder
        # defaults or the marking rules changed) keeps its vectors: no re-embedding.
        kept: dict[str, np.ndarray] = {}
        for p in batch:
            if p.doc.source in records and records[p.doc.source].sha256 == p.doc.sha256:
                stored = self.manifest.chunk_texts(p.doc.source)
                if stored == [(c.id, t) for c, t in zip(p.chunks, p.texts, strict=True)]:
                    vectors = self.store.embeddings([c.id for c in p.chunks])
                    if vectors is not None:
                        kept[p.doc.source] = vectors
        texts = [t for p in batch if p.doc.source not in kept for t in p.texts]
        t = time.perf_counter()
        fresh = self.embedder.embed_batch(texts) if texts else np.zeros((0, 0), np.float32)
        res.encode_seconds += time.perf_counter() - t
        res.embedded += len(texts)
        parts, at = [], 0
        for p in batch:
            if p.doc.source in kept:
                parts.append(kept[p.doc.source])
            else:
                parts.append(fresh[at : at + len(p.texts)])
                at += len(p.texts)
        parts = [x for x in parts if len(x)]
        embeddings = np.concatenate(parts) if parts else np.zeros((0, 0), np.float32)
        for p in batch:  # from here a crash leaves 'pending' rows that the next run repairs
            self.manifest.mark_pending(p.doc.source, p.fingerprint, p.doc.sha256, self._root)
        ids = [c.id for p in batch for c in p.chunks]
        docs = [c.text for p in batch for c in p.chunks]
        metas = [c.metadata(p.doc) for p in batch for c in p.chunks]
        if ids:
            self.store.upsert(ids, embeddings, docs, metas)
        for p in batch:
            if p.doc.source in records:  # replaced or interrupted: drop chunks not rewritten
                res.chunks_removed += self.store.delete_source(
                    p.doc.source, keep=[c.id for c in p.chunks]
                )
            self.manifest.mark_done(p.doc, p.fingerprint, p.chunks, p.texts, self._root)
            res.chunks_written += len(p.chunks)
            if p.planned.action == "add":
                res.added += 1
            else:
                res.updated += 1
            finished += 1
            if progress:
                progress(p.doc.source, finished)
        return finished

    def refresh_lexical(self) -> None:
        """Rebuild the saved lexical index when the manifest has changed since it was built."""
        from vectorstore.lexical import LexicalIndex

        path = self.settings.data_dir / LEXICAL_FILE
        gen = self.manifest.generation()
        if path.exists() and LexicalIndex.saved_generation(path) == gen:
            return
        LexicalIndex.build(self.manifest.iter_chunks(), generation=gen).save(path)
