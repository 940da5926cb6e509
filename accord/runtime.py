"""Builds the collaborators once per process (store, manifest, embedder, answer pipeline).

Entry points (the CLI, the bot, the evaluation runner, tests) create one ``Runtime`` and pass
its parts down; nothing is created at import time. Each part is built on first use, so
``accord status`` never loads the embedding model and an unchanged sync never embeds.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from accord.settings import MANIFEST_DB, Settings
from accord.state import LEXICAL_FILE

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from accord.access.audit import AuditLog
    from accord.answer.decision import Decision
    from accord.ports import Embedder
    from accord.qa import QA
    from ingest.manifest import Manifest
    from ingest.sync import Syncer
    from vectorstore.store import ChunkStore


class Runtime:
    """The composition root: the only place that builds Accord's parts and wires them together.

    Imports of heavy parts (Chroma, torch, the ONNX runtime) stay inside the builders, so a
    command that does not need a part never loads it."""

    def __init__(
        self,
        settings: Settings,
        client: Any = None,
        embedder: Embedder | None = None,
        llm: BaseChatModel | None = None,
    ) -> None:
        self.settings = settings
        self._client = client  # a chromadb client (chromadb's API type)
        self._embedder = embedder
        self._store: ChunkStore | None = None
        self._manifest: Manifest | None = None
        self._qa: QA | None = None
        self._llm = llm  # a LangChain chat model, or None to build the provider's
        self._audit: AuditLog | None = None
        self._query_embedder: Embedder | None = None
        self._sentence_embedder: Embedder | None = None
        self._ingest_embedder: Embedder | None = None

    @property
    def model_name(self) -> str:
        return self.settings.model_name

    @property
    def client(self) -> Any:
        if self._client is None:
            from vectorstore.store import make_client

            self._client = make_client(self.settings)
        return self._client

    def store(self, check_model: bool = True) -> ChunkStore:
        if self._store is None:
            from vectorstore.store import ChunkStore

            self._store = ChunkStore(
                self.client, self.settings.collection, self.model_name, check_model=check_model
            )
        return self._store

    @property
    def manifest(self) -> Manifest:
        if self._manifest is None:
            from ingest.manifest import Manifest

            self._manifest = Manifest(self.settings.state_db(MANIFEST_DB))
        return self._manifest

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            from vectorstore.embeddings import shared_embedder

            self._embedder = shared_embedder(
                self.settings.embedding_model,
                self.settings.embedding_device,
                self.settings.embedding_batch_size,
            )
        return self._embedder

    @property
    def encoder_dir(self) -> Path:
        from vectorstore.onnx_encoder import encoder_dir

        return encoder_dir(self.settings.data_dir, self.model_name)

    @property
    def query_embedder(self) -> Embedder:
        """What embeds questions: an embedder given to this Runtime, else the ONNX export when
        there is one (``query_encoder`` auto or onnx), else sentence-transformers."""
        if self._query_embedder is None:
            from accord.errors import ConfigError
            from vectorstore.onnx_encoder import OnnxEmbedder, exported

            mode = self.settings.query_encoder
            if self._embedder is not None or mode == "sentence-transformers":
                self._query_embedder = self.embedder
            elif exported(self.encoder_dir, self.model_name):
                self._query_embedder = OnnxEmbedder(self.encoder_dir)
            elif mode == "onnx":
                raise ConfigError(
                    f"no ONNX export of {self.model_name} in {self.encoder_dir}: "
                    "run `accord ingest FOLDER` (it writes one), or set "
                    "ACCORD_QUERY_ENCODER=auto"
                )
            else:
                self._query_embedder = self.embedder
        return self._query_embedder

    @property
    def sentence_embedder(self) -> Embedder:
        """What embeds candidate sentences while answering (their similarity to the question
        is one feature of the answerability decision): the int8 copy of the ONNX export when
        the index was built with it (about 1.5x faster than fp32, cosine >= 0.98 to it; chunks
        are embedded with it already), else the question embedder."""
        if self._sentence_embedder is None:
            from vectorstore.onnx_encoder import MODEL_FILES, OnnxEmbedder, exported

            query = self.query_embedder
            if (
                self._embedder is None
                and self.settings.query_encoder != "sentence-transformers"
                and exported(self.encoder_dir, self.model_name)
                and (self.encoder_dir / MODEL_FILES["int8"]).exists()
            ):
                self._sentence_embedder = OnnxEmbedder(self.encoder_dir, precision="int8")
            else:
                self._sentence_embedder = query
        return self._sentence_embedder

    def ensure_query_export(self) -> bool:
        """Write the ONNX export of the embedding model if it is missing (loads the model).
        Returns whether an export is there; a model that cannot be exported is logged."""
        import logging

        from accord.errors import ConfigError
        from vectorstore.onnx_encoder import export, exported

        if self.settings.query_encoder == "sentence-transformers":
            return False
        if exported(self.encoder_dir, self.model_name):
            return True
        model = getattr(self.embedder, "_model", None)
        if model is None:
            return False
        try:
            export(model, self.model_name, self.encoder_dir)
        except ConfigError as exc:
            logging.getLogger(__name__).warning("%s; questions use sentence-transformers", exc)
            return False
        return True

    @property
    def ingest_embedder(self) -> Embedder:
        """What embeds chunks during a sync: an embedder given to this Runtime, else the
        ``ingest_encoder`` setting's: sentence-transformers, or the ONNX export (written on first
        use by a child process, so this one never imports torch) or its int8 copy. A model that
        cannot be exported is logged and embedded with sentence-transformers."""
        import logging

        from accord.errors import ConfigError
        from vectorstore.onnx_encoder import (
            INGEST_BATCH,
            OnnxEmbedder,
            export_in_child,
            exported,
            quantize,
        )

        mode = self.settings.ingest_encoder
        if self._embedder is not None or mode == "sentence-transformers":
            return self.embedder
        if self._ingest_embedder is not None:
            return self._ingest_embedder
        try:
            if not exported(self.encoder_dir, self.model_name):
                export_in_child(self.settings.embedding_model, self.model_name, self.encoder_dir)
            precision = "int8" if mode == "onnx-int8" else "fp32"
            if precision == "int8":
                quantize(self.encoder_dir)
        except ConfigError as exc:  # e.g. a model of another shape: the reference path
            logging.getLogger(__name__).warning(
                "%s; chunks are embedded with sentence-transformers", exc
            )
            return self.embedder
        self._ingest_embedder = OnnxEmbedder(
            self.encoder_dir,
            batch_size=min(INGEST_BATCH, self.settings.embedding_batch_size),
            threads=self.settings.encoder_threads or None,
            precision=precision,
            max_tokens=self.settings.encoder_max_tokens,
        )
        return self._ingest_embedder

    def syncer(self, check_model: bool = True) -> Syncer:
        from ingest.sync import Syncer

        return Syncer(
            self.settings,
            self.store(check_model),
            self.manifest,
            lambda: self.ingest_embedder,
            batch_chunks=self.settings.ingest_batch_chunks,
        )

    @property
    def qa(self) -> QA:
        if self._qa is None:
            self._qa = self.build_qa()
        return self._qa

    def build_qa(self, decision: Decision | None = None) -> QA:
        """The answer pipeline over this runtime's store, embedders and manifest
        (``decision``: the fitted answerability decision, by default the shipped one)."""
        from accord.qa import QA
        from vectorstore.lexical import LexicalCache
        from vectorstore.retrieval import HybridRetriever

        lexical = LexicalCache(self.settings.data_dir / LEXICAL_FILE, self.manifest)
        embedder = self.query_embedder
        retriever = HybridRetriever(self.store(), embedder, lexical, self.settings.rules())
        answerer = None
        if self.settings.llm_provider != "none":
            from accord.answer.llm import build_answerer

            answerer = build_answerer(self.settings, llm=self._llm)
        return QA(
            self.settings,
            retriever,
            embedder,
            lexical,
            self.manifest,
            answerer,
            audit=self.audit,
            decision=decision,
            sentence_embedder=self.sentence_embedder,
        )

    @property
    def audit(self) -> AuditLog:
        """The audit log under the data dir (every answer appends a row)."""
        if self._audit is None:
            from accord.access.audit import DB_NAME, AuditLog

            self._audit = AuditLog(
                self.settings.state_db(DB_NAME),
                self.settings.audit_retention_days,
                self.settings.secrets,
            )
        return self._audit

    def close(self) -> None:
        if self._audit is not None:
            self._audit.close()
        if self._manifest is not None:
            self._manifest.close()
