"""The audit record: one append-only row for every answer given, by every front end.

Each row says when, through which front end (``cli``, ``slack``, ``eval``, ``api``), for which
user and conversation, under which audience (clearance, caveats and why), the question, whether
it was refused, every cited and listed chunk with its document's marking and caveats, the
answerer and model, and the latency. Shares from Slack are recorded too (kind ``share`` or
``share_refused``). Rows are never updated (a trigger refuses it); only the retention setting
deletes rows, oldest first. Secrets (Slack tokens, API keys) are masked before anything is
written.

``accord audit export [--since] [--format jsonl|csv]`` writes the rows back out.
"""

from __future__ import annotations

import csv
import json
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from accord.access.audiences import Audience
from accord.db import Database, Step, connect_sqlite
from accord.models import Answer

DB_NAME = "audit.sqlite"
FIELDS: tuple[str, ...] = (
    "id",
    "time",
    "kind",
    "front_end",
    "user",
    "conversation",
    "clearance",
    "caveats",
    "audience_reason",
    "question",
    "refused",
    "answerer",
    "model",
    "latency_ms",
    "cited",
    "listed",
    "note",
)


def _append_only(db: Database) -> None:
    """Rows are never updated: the database refuses it, whoever asks."""
    if db.dialect == "sqlite":
        db.execute(
            "CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit "
            "BEGIN SELECT RAISE(ABORT, 'the audit record is append-only'); END"
        )
        return
    db.execute(
        "CREATE OR REPLACE FUNCTION accord_audit_no_update() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION 'the audit record is append-only'; END $$ "
        "LANGUAGE plpgsql"
    )
    db.execute("DROP TRIGGER IF EXISTS audit_no_update ON audit")
    db.execute(
        "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit FOR EACH ROW "
        "EXECUTE FUNCTION accord_audit_no_update()"
    )


MIGRATIONS: list[Step] = [
    (
        "CREATE TABLE IF NOT EXISTS audit (id {serial}, time TEXT NOT NULL, epoch {real} NOT "
        'NULL, kind TEXT NOT NULL, front_end TEXT NOT NULL, "user" TEXT, conversation TEXT, '
        "clearance TEXT NOT NULL, caveats TEXT NOT NULL, audience_reason TEXT, question TEXT, "
        "refused INTEGER, answerer TEXT, model TEXT, latency_ms {real}, cited TEXT NOT NULL, "
        "listed TEXT NOT NULL, note TEXT)",
        "CREATE INDEX IF NOT EXISTS audit_epoch ON audit (epoch)",
    ),
    _append_only,
]


# Token shapes that must never be stored even when pasted into a question.
_SECRET_SHAPES = re.compile(
    r"\bxox[abposre]-[A-Za-z0-9-]{8,}|\bxapp-[A-Za-z0-9-]{8,}|\bsk-[A-Za-z0-9_-]{16,}"
    r"|\bgh[pousr]_[A-Za-z0-9]{20,}|\bAKIA[0-9A-Z]{16}\b"
)
MASK = "[secret removed]"


@dataclass(frozen=True)
class Origin:
    """Who asked, through what: ``front_end`` is cli, slack, eval or api."""

    front_end: str = "api"
    user: str | None = None
    conversation: str | None = None


def redact(text: str | None, secrets: Iterable[str] = ()) -> str | None:
    """``text`` with secret values and token-shaped strings masked."""
    if text is None:
        return None
    for s in secrets:
        if s and len(s) >= 6:
            text = text.replace(s, MASK)
    return _SECRET_SHAPES.sub(MASK, text)


class AuditLog:
    """The audit database under the data dir; safe to share between threads and processes."""

    def __init__(
        self, target: Path | Database, retention_days: int = 0, secrets: Iterable[str] = ()
    ) -> None:
        self._db = target if isinstance(target, Database) else connect_sqlite(target)
        self.path = target if isinstance(target, Path) else None
        self.retention_days = retention_days
        self._secrets = [s for s in secrets if s]
        self._lock = self._db.lock
        self._db.migrate("audit", MIGRATIONS)
        self._last_purge = 0.0
        self.purge()

    @classmethod
    def in_data_dir(
        cls, data_dir: Path, retention_days: int = 0, secrets: Iterable[str] = ()
    ) -> AuditLog:
        return cls(Path(data_dir) / DB_NAME, retention_days, secrets)

    def close(self) -> None:
        self._db.close()

    def purge(self) -> int:
        """Delete rows older than the retention period (none when it is 0); return how many."""
        if not self.retention_days:
            return 0
        cutoff = time.time() - self.retention_days * 86400
        with self._lock:
            cur = self._db.execute("DELETE FROM audit WHERE epoch < ?", (cutoff,))
            self._last_purge = time.time()
        return cur.rowcount

    def record_answer(
        self, answer: Answer, audience: Audience, origin: Origin, model: str | None = None
    ) -> int:
        """Append one row for ``answer`` as given to ``audience``; returns the row id."""
        cited = [
            {
                "n": c.n,
                "source": c.source,
                "chunk_id": c.chunk_id,
                "marking": c.marking,
                "caveats": list(c.caveats),
            }
            for c in answer.citations
        ]
        listed = [
            {
                "source": r.source,
                "chunk_id": r.chunk_id,
                "marking": r.marking,
                "caveats": list(r.caveats),
                "as": kind,
            }
            for kind, group in (("retrieved", answer.retrieved), ("related", answer.related))
            for r in group
        ]
        return self._append(
            "answer",
            origin,
            audience,
            answer.question,
            answer.refused,
            answer.mode,
            model,
            answer.latency_ms,
            cited,
            listed,
            answer.notice,
        )

    def record_event(
        self,
        kind: str,
        origin: Origin,
        audience: Audience,
        question: str | None,
        cited: list[dict[str, Any]],
        note: str | None = None,
    ) -> int:
        """Append a row that is not an answer (a Slack share, allowed or refused)."""
        return self._append(
            kind, origin, audience, question, None, None, None, None, cited, [], note
        )

    def _append(
        self,
        kind: str,
        origin: Origin,
        audience: Audience,
        question: str | None,
        refused: bool | None,
        answerer: str | None,
        model: str | None,
        latency_ms: float | None,
        cited: list,
        listed: list,
        note: str | None,
    ) -> int:
        now = time.time()
        row = (
            datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds"),
            now,
            kind,
            origin.front_end,
            origin.user,
            origin.conversation,
            audience.clearance,
            json.dumps(sorted(audience.caveats)),
            audience.reason or None,
            redact(question, self._secrets),
            None if refused is None else int(refused),
            answerer,
            model,
            None if latency_ms is None else round(latency_ms, 1),
            json.dumps(cited),
            json.dumps(listed),
            redact(note, self._secrets),
        )
        with self._lock:
            rowid = self._db.insert(
                'INSERT INTO audit(time, epoch, kind, front_end, "user", conversation, '
                "clearance, caveats, audience_reason, question, refused, answerer, model, "
                "latency_ms, cited, listed, note) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
                "RETURNING id",
                row,
            )
        if self.retention_days and now - self._last_purge > 3600:
            self.purge()
        return rowid

    def rows(self, since: str | None = None) -> Iterator[dict[str, Any]]:
        """Rows in order, as dicts with the FIELDS (lists decoded); ``since`` is an ISO date or
        date-time (UTC), inclusive."""
        sql = (
            'SELECT id, time, kind, front_end, "user", conversation, clearance, caveats, '
            "audience_reason, question, refused, answerer, model, latency_ms, cited, listed, "
            "note FROM audit"
        )
        args: tuple[Any, ...] = ()
        if since:
            sql += " WHERE time >= ?"
            args = (since,)
        with self._lock:
            fetched = self._db.all(sql + " ORDER BY id", args)
        for r in fetched:
            d = dict(zip(FIELDS, r, strict=True))
            d["caveats"] = json.loads(d["caveats"])
            d["cited"] = json.loads(d["cited"])
            d["listed"] = json.loads(d["listed"])
            d["refused"] = None if d["refused"] is None else bool(d["refused"])
            yield d

    def export(self, out: IO[str], fmt: str = "jsonl", since: str | None = None) -> int:
        """Write the rows to ``out`` as JSON lines or CSV (lists as JSON text); return the count."""
        n = 0
        if fmt == "jsonl":
            for row in self.rows(since):
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                n += 1
            return n
        if fmt != "csv":
            raise ValueError(f"unknown format {fmt!r}: use jsonl or csv")
        writer = csv.DictWriter(out, fieldnames=list(FIELDS))
        writer.writeheader()
        for row in self.rows(since):
            writer.writerow(
                {k: json.dumps(v) if isinstance(v, (list, dict)) else v for k, v in row.items()}
            )
            n += 1
        return n


def read_csv_export(fh: IO[str]) -> list[dict[str, Any]]:
    """Rows of a CSV export as :meth:`AuditLog.rows` gives them (for checking a round trip)."""
    out = []
    for row in csv.DictReader(fh):
        d: dict[str, Any] = dict(row)
        for k in ("caveats", "cited", "listed"):
            d[k] = json.loads(d[k]) if d[k] else []
        d["id"] = int(d["id"])
        d["refused"] = None if d["refused"] == "" else d["refused"] == "True"
        d["latency_ms"] = None if d["latency_ms"] == "" else float(d["latency_ms"])
        for k in (
            "user",
            "conversation",
            "audience_reason",
            "question",
            "answerer",
            "model",
            "note",
        ):
            d[k] = d[k] if d[k] != "" else None
        out.append(d)
    return out
