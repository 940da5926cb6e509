"""The bot's record of answers given and the feedback officers leave on them.

Every answer the bot posts is stored with its question, text, citations, asker, channel and
thread; the buttons under it carry only the answer's id (a button value holds 2,000 characters,
an answer may not fit). A feedback click stores the rating with who clicked and when, and
``export`` writes the joined rows as JSONL or CSV for evaluators. The same record tells the bot
which threads it answered and what was asked there, for follow-up questions.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from accord.db import Database, Step, connect_sqlite
from accord.models import Answer, Citation, RetrievedSource

RATINGS: tuple[str, ...] = ("helpful", "not_helpful", "wrong_source")
DB_NAME = "slack_bot.sqlite"
EXPORT_FIELDS: tuple[str, ...] = (
    "feedback_id",
    "rating",
    "user",
    "channel",
    "time",
    "answer_id",
    "question",
    "answer",
    "refused",
    "citations",
    "asked_by",
    "asked_at",
)

MIGRATIONS: list[Step] = [
    (
        "CREATE TABLE IF NOT EXISTS answers (id TEXT PRIMARY KEY, question TEXT NOT NULL, "
        'answer_json TEXT NOT NULL, "user" TEXT, channel TEXT, thread_ts TEXT, ts TEXT, '
        "created {real} NOT NULL)",
        "CREATE INDEX IF NOT EXISTS answers_thread ON answers (channel, thread_ts, created)",
        "CREATE TABLE IF NOT EXISTS feedback (id {serial}, answer_id TEXT NOT NULL, rating TEXT "
        'NOT NULL, "user" TEXT, channel TEXT, created {real} NOT NULL)',
    )
]


def answer_from_dict(d: dict[str, Any]) -> Answer:
    """Rebuild an Answer stored with ``dataclasses.asdict``."""
    d = dict(d)
    d["citations"] = [Citation(**c) for c in d.get("citations", [])]
    d["retrieved"] = [RetrievedSource(**r) for r in d.get("retrieved", [])]
    d["related"] = [RetrievedSource(**r) for r in d.get("related", [])]
    return Answer(**d)


class FeedbackStore:
    """A SQLite file under the data dir, or tables in the shared PostgreSQL database; safe to
    share between the bot's worker threads."""

    def __init__(self, target: Path | Database) -> None:
        self._db = target if isinstance(target, Database) else connect_sqlite(target)
        self.path = target if isinstance(target, Path) else None
        self._lock = self._db.lock
        self._db.migrate("feedback", MIGRATIONS)

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> FeedbackStore:
        return cls(Path(data_dir) / DB_NAME)

    def record_answer(
        self,
        answer: Answer,
        user: str | None,
        channel: str | None,
        thread_ts: str | None,
        ts: str | None = None,
        answer_id: str | None = None,
    ) -> str:
        """Store an answer as given; returns its id (the value its feedback buttons carry)."""
        answer_id = answer_id or uuid.uuid4().hex[:16]
        with self._lock:
            self._db.execute(
                'INSERT INTO answers (id, question, answer_json, "user", channel, thread_ts, ts, '
                "created) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                "question = excluded.question, answer_json = excluded.answer_json, "
                '"user" = excluded."user", channel = excluded.channel, '
                "thread_ts = excluded.thread_ts, ts = excluded.ts, created = excluded.created",
                (
                    answer_id,
                    answer.question,
                    json.dumps(dataclasses.asdict(answer)),
                    user,
                    channel,
                    thread_ts,
                    ts,
                    time.time(),
                ),
            )
        return answer_id

    def set_ts(self, answer_id: str, ts: str) -> None:
        """Remember the ts of the message showing the answer (known once it is posted)."""
        with self._lock:
            self._db.execute("UPDATE answers SET ts = ? WHERE id = ?", (ts, answer_id))

    def answer(self, answer_id: str) -> Answer | None:
        """The stored Answer with this id, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT answer_json FROM answers WHERE id = ?", (answer_id,)
            ).fetchone()
        return answer_from_dict(json.loads(row[0])) if row else None

    def answered_thread(self, channel: str, thread_ts: str) -> bool:
        """True if the bot has answered in this thread."""
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM answers WHERE channel = ? AND thread_ts = ? LIMIT 1",
                (channel, thread_ts),
            ).fetchone()
        return row is not None

    def thread_questions(self, channel: str, thread_ts: str) -> list[str]:
        """The questions answered in this thread, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT question FROM answers WHERE channel = ? AND thread_ts = ? ORDER BY created",
                (channel, thread_ts),
            ).fetchall()
        return [r[0] for r in rows]

    def add_feedback(
        self, answer_id: str, rating: str, user: str | None, channel: str | None
    ) -> int:
        """Store one click; returns its id. Raises ValueError for an unknown rating."""
        if rating not in RATINGS:
            raise ValueError(f"unknown rating {rating!r}; use one of {', '.join(RATINGS)}")
        with self._lock:
            return self._db.insert(
                'INSERT INTO feedback (answer_id, rating, "user", channel, created) '
                "VALUES (?, ?, ?, ?, ?) RETURNING id",
                (answer_id, rating, user, channel, time.time()),
            )

    def recent_counts(self, since: float) -> dict[str, int]:
        """Answers given and feedback clicks by rating since ``since`` (epoch seconds):
        ``{"answers": n, "helpful": n, "not_helpful": n, "wrong_source": n}``."""
        with self._lock:
            answers = self._db.execute(
                "SELECT COUNT(*) FROM answers WHERE created >= ?", (since,)
            ).fetchone()[0]
            rated = dict(
                self._db.execute(
                    "SELECT rating, COUNT(*) FROM feedback WHERE created >= ? GROUP BY rating",
                    (since,),
                ).fetchall()
            )
        return {"answers": int(answers), **{r: int(rated.get(r, 0)) for r in RATINGS}}

    def rows(self) -> Iterator[dict[str, Any]]:
        """Each feedback click joined with the answer it rates, oldest first."""
        with self._lock:
            rows = self._db.execute(
                'SELECT f.id, f.rating, f."user", f.channel, f.created, f.answer_id, a.question, '
                'a.answer_json, a."user", a.created FROM feedback f '
                "LEFT JOIN answers a ON a.id = f.answer_id ORDER BY f.created, f.id"
            ).fetchall()
        for fid, rating, user, channel, created, aid, question, ajson, asked_by, asked in rows:
            ans = json.loads(ajson) if ajson else {}
            yield {
                "feedback_id": fid,
                "rating": rating,
                "user": user,
                "channel": channel,
                "time": _iso(created),
                "answer_id": aid,
                "question": question,
                "answer": ans.get("text"),
                "refused": ans.get("refused"),
                "citations": [
                    {
                        k: c.get(k)
                        for k in (
                            "n",
                            "source",
                            "title",
                            "doc_type",
                            "date",
                            "page",
                            "section",
                            "quote",
                            "chunk_id",
                            "content_hash",
                        )
                    }
                    for c in ans.get("citations", [])
                ],
                "asked_by": asked_by,
                "asked_at": _iso(asked) if asked else None,
            }

    def export(self, out: IO[str], fmt: str = "jsonl") -> int:
        """Write every feedback row to ``out`` as ``jsonl`` or ``csv``; returns the row count.

        In CSV the citations column holds the citations as a JSON list.
        """
        if fmt not in ("jsonl", "csv"):
            raise ValueError(f"unknown export format {fmt!r}; use jsonl or csv")
        n = 0
        writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS) if fmt == "csv" else None
        if writer:
            writer.writeheader()
        for row in self.rows():
            if writer:
                writer.writerow(
                    {**row, "citations": json.dumps(row["citations"], ensure_ascii=False)}
                )
            else:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
        return n

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).isoformat(timespec="seconds")
