"""The record of threads opened in Slack's assistant container (SQLite under the data dir).

Slack delivers a message in an assistant thread as an ordinary DM message in a thread, exactly
like a follow-up in a DM thread the bot answered. What tells them apart is that Slack announced
the assistant thread first (``assistant_thread_started``): the bot records it here and answers
messages in recorded threads the assistant way (status, streaming, titles); any other DM thread
keeps the DM path. Replicas sharing ``ACCORD_DATA_DIR``, or the PostgreSQL database of
``ACCORD_DATABASE_URL``, share the record.
"""

from __future__ import annotations

import time
from pathlib import Path

from accord.db import Database, connect_sqlite

DB_NAME = "slack_assistant.sqlite"


class AssistantThreads:
    """Assistant threads by (channel, thread_ts), with the user who opened each."""

    def __init__(self, target: Path | Database | None = None) -> None:
        self._db = target if isinstance(target, Database) else connect_sqlite(target)
        self._lock = self._db.lock
        self._db.migrate(
            "assistant_threads",
            [
                (
                    "CREATE TABLE IF NOT EXISTS threads (channel TEXT, thread_ts TEXT, "
                    '"user" TEXT, started {real}, PRIMARY KEY (channel, thread_ts))',
                )
            ],
        )

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> AssistantThreads:
        return cls(Path(data_dir) / DB_NAME)

    def add(self, channel: str, thread_ts: str, user: str | None) -> None:
        """Record an assistant thread (again is harmless)."""
        with self._lock:
            self._db.execute(
                'INSERT INTO threads (channel, thread_ts, "user", started) '
                "VALUES (?, ?, ?, ?) ON CONFLICT (channel, thread_ts) DO NOTHING",
                (channel, thread_ts, user, time.time()),
            )

    def known(self, channel: str | None, thread_ts: str | None) -> bool:
        """Whether (channel, thread_ts) is an assistant thread Slack announced."""
        if not channel or not thread_ts:
            return False
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM threads WHERE channel = ? AND thread_ts = ?", (channel, thread_ts)
            ).fetchone()
        return row is not None

    def close(self) -> None:
        with self._lock:
            self._db.close()
